"""The booking part of a template's demo data, under `booking` — what is booked by time among the
catalog's demo items (named by `item`, created by the catalog's loader first):

- `services`: a service's slots — `duration` and `step` minutes, daily `hours` ("08:00-18:00"),
  `capacity`, `staffed`, `cancellation` rules, `deposit_percent`;
- `staff`: who serves — name, bio, qualifications ([{name, verified, picture}]: a certificate drawn
  from its `picture` words), the `services` they do (by item name), daily `hours`; each gets a
  portrait drawn from its `picture` words ("Housekeeper …");
- `events`: an event's `sessions` ({in_days, start, end, place}: days from the day the demo is
  loaded, in the shop's time zone), its `quotas` ({name, size, tickets: the SKUs' option values,
  or all}) and registration `form`;
- `rooms`: a room type's `capacity` rooms, stays of `min_stay` to `max_stay` nights, a
  `weekend_price`, `seasons` ({from_days, to_days, price}: days from the day it is loaded) and
  `deposit_percent`."""

from __future__ import annotations

import datetime as dt

from core.db import utcnow
from core.engines import DemoKit
from engines.booking.availability import local_today, zone
from engines.booking.resources import create_quota, create_resource, create_session, create_staff
from engines.catalog.services import items_of_kinds, skus_by_item


def _hours(text: str) -> list:
    """"08:00-18:00": those hours every day of the week."""
    start, end = text.split("-")
    return [[[start, end]] for _ in range(7)]


def load(demo: dict, kit: DemoKit) -> None:
    spec = demo.get("booking")
    if not spec:
        return
    items = {name: item_id for item_id, name, _kind in items_of_kinds(["service", "ticket", "room"])}
    today = local_today(utcnow())

    def item(name: str) -> int:
        if name not in items:
            raise ValueError(f"booking demo: no service, ticket or room item named {name!r}")
        return items[name]

    services = {}
    for entry in spec.get("services", []):
        services[entry["item"]] = create_resource(
            item_id=item(entry["item"]), capacity=entry.get("capacity", 1), duration_minutes=entry["duration"],
            step_minutes=entry.get("step", entry["duration"]), hours=_hours(entry.get("hours", "09:00-18:00")),
            staffed=entry.get("staffed", False), lead_minutes=entry.get("lead_minutes", 120),
            cancellation=entry.get("cancellation", []), deposit_percent=entry.get("deposit_percent", 0))
    for entry in spec.get("staff", []):
        create_staff(name=entry["name"], bio=entry.get("bio", ""), photo=kit.picture(entry.get("picture", entry["name"])),
                     qualifications=[{"name": q["name"], "image": kit.picture(q["picture"]) if q.get("picture") else "",
                                      "verified": q.get("verified", False)} for q in entry.get("qualifications", [])],
                     resource_ids=[str(services[name].id) for name in entry.get("services", [])],
                     hours=_hours(entry.get("hours", "09:00-18:00")))
    for entry in spec.get("events", []):
        _event(entry, item(entry["item"]), today)
    for entry in spec.get("rooms", []):
        create_resource(item_id=item(entry["item"]), capacity=entry.get("capacity", 1),
                        min_stay=entry.get("min_stay", 1), max_stay=entry.get("max_stay", 14),
                        weekend_price=kit.price(entry["weekend_price"]) if entry.get("weekend_price") else None,
                        seasons=[{"from": (today + dt.timedelta(days=s["from_days"])).isoformat(),
                                  "to": (today + dt.timedelta(days=s["to_days"])).isoformat(),
                                  "price": kit.price(s["price"]),
                                  "weekend_price": kit.price(s["weekend_price"]) if s.get("weekend_price") else None}
                                 for s in entry.get("seasons", [])],
                        cancellation=entry.get("cancellation", []), deposit_percent=entry.get("deposit_percent", 0))


def _event(entry: dict, item_id: int, today: dt.date) -> None:
    event = create_resource(item_id=item_id, form_fields=entry.get("form", []),
                            cancellation=entry.get("cancellation", []))
    where = zone()
    for session in entry.get("sessions", []):
        day = today + dt.timedelta(days=session["in_days"])
        create_session(event, starts_at=_moment(day, session["start"], where),
                       ends_at=_moment(day, session["end"], where), place=session.get("place", ""))
    skus = skus_by_item([item_id])[item_id]
    for quota in entry.get("quotas", []):
        wanted = quota.get("tickets")
        chosen = [sku for sku in skus if wanted is None or set((sku.options or {}).values()) & set(wanted)]
        create_quota(event, name=quota["name"], size=quota["size"], sku_ids=[str(sku.id) for sku in chosen])


def _moment(day: dt.date, clock: str, where) -> dt.datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), where).astimezone(dt.UTC)

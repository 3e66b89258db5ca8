"""Booked checkout lines (engines.orders.booked_lines): a line of a service names its slot
(`{"start", "staff_id"?, "address_id"?}`), a ticket its session (`{"session_id", "answers"?}`), a
room its dates (`{"from", "to", "guests"?}`, `to` the day of leaving). `price` checks and prices
them as the quote does; `hold` books them in the checkout's transaction, under the lock of each
resource's row (and of the staff who could serve), so two checkouts of the last place never both
get it: the second finds it taken and is refused 409 fully_booked."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _
from sqlalchemy import select

from core.addresses import find_address
from core.consumers import PHONE
from core.db import db
from core.errors import APIError
from core.ids import parse_id
from core.tenancy import insert_rows, new_row
from engines.booking.availability import (find_resource, in_calendar, local_today, night_price, nights_left,
                                          session_open, slot_at, staff_of, tickets_left, zone)
from engines.booking.models import BookableResource, Booking, EventSession, Shape, BookingStaff
from engines.catalog.services import forget_remembered_facts, is_on_sale, skus_by_item, skus_with_items

CHECK_IN, CHECK_OUT = "14:00", "12:00"  # local times a stay begins and ends
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def _refuse(field: str, message: str):
    raise APIError("invalid_input", fields={f"booking.{field}": [message]})


def _shown(moment: dt.datetime) -> str:
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


# -- what each shape makes of a line -----------------------------------------------------------

def _slot(resource: BookableResource, line, consumer_id: int, now: dt.datetime) -> dict:
    asked = line.booking
    try:
        start = dt.datetime.fromisoformat(str(asked.get("start")))
        start = (start if start.tzinfo else start.replace(tzinfo=zone())).astimezone(dt.UTC)
        if not in_calendar(start.date()):
            raise ValueError(start)
    except (ValueError, OverflowError):  # not a time, or one no calendar has (year 1 in UTC)
        _refuse("start", "Give the slot's start, e.g. 2026-12-05T10:00:00+08:00.")
    chosen = None
    if asked.get("staff_id") is not None:
        chosen = parse_id(asked.get("staff_id"))
        if not resource.staffed or chosen not in {member.id for member in staff_of(resource.id)}:
            _refuse("staff_id", "No such staff member does this service.")
    slot = slot_at(resource, start, now, chosen)
    if slot.left < line.quantity:
        raise APIError("fully_booked", extra={"sku_id": str(line.sku_id)})
    booked = {"resource_id": resource.id, "shape": "slot", "start": slot.start.isoformat(),
              "end": slot.end.isoformat(), "staff_id": None}
    if resource.staffed:  # the one chosen, else the one the quote found first, while free
        quoted = (line.booked or {}).get("staff_id")
        booked["staff_id"] = quoted if quoted in slot.staff else slot.staff[0]
    if asked.get("address_id") is not None:
        address = find_address(consumer_id, parse_id(asked.get("address_id")) or 0)
        booked["address"] = {"name": address.name, "phone": address.phone, "region": address.region,
                             "line": address.line}
    line.options = {**line.options, _("Time"): f"{_shown(slot.start)}–{slot.end.astimezone(zone()):%H:%M}"}
    if chosen is not None:
        line.options[_("Served by")] = db.session.get(BookingStaff, (resource.tenant_id, chosen)).name
    if "address" in booked:  # where the service is done, on the order as the customer and staff read it
        line.options[_("Address")] = f"{booked['address']['region']} {booked['address']['line']}".strip()
    return booked


def _answers(resource: BookableResource, given: object) -> dict:
    """The registration form's answers, checked against its fields; 422 naming the field."""
    given = given if isinstance(given, dict) else {}
    answers = {}
    for field in resource.form_fields or []:
        value = given.get(field["key"])
        value = "" if value is None else str(value).strip()
        if not value:
            if field.get("required"):
                _refuse(f"answers.{field['key']}", f"{field['label']}: required.")
            continue
        kind = field.get("type", "text")
        if len(value) > 200 or (kind == "phone" and not PHONE.match(value)) or \
                (kind == "email" and not EMAIL.match(value)) or (kind == "number" and not value.isdigit()) or \
                (kind == "choice" and value not in field.get("choices", [])):
            _refuse(f"answers.{field['key']}", f"{field['label']}: not a valid answer.")
        answers[field["key"]] = value
    return answers


def _session(resource: BookableResource, line, consumer_id: int, now: dt.datetime) -> dict:
    session_id = parse_id(line.booking.get("session_id"))
    session = db.session.get(EventSession, (resource.tenant_id, session_id)) if session_id else None
    if session is None or session.resource_id != resource.id or not session_open(session, resource, now):
        _refuse("session_id", "This session is not taking registrations.")
    left = tickets_left(resource, [session])[session.id].get(line.sku_id, 0)
    if left < line.quantity:
        raise APIError("fully_booked", extra={"sku_id": str(line.sku_id)})
    line.options = {**line.options, _("Session"): _shown(session.starts_at)}
    if session.place:
        line.options[_("Place")] = session.place
    return {"resource_id": resource.id, "shape": "session", "session_id": session.id,
            "start": session.starts_at.isoformat(), "end": session.ends_at.isoformat(),
            "answers": _answers(resource, line.booking.get("answers"))}


def stay_of(resource: BookableResource, asked: dict, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and the last night of a stay asked for, checked against the resource's rules."""
    try:
        arrive, leave = dt.date.fromisoformat(str(asked.get("from"))), dt.date.fromisoformat(str(asked.get("to")))
    except ValueError:
        _refuse("from", "Give the dates of arrival and departure, e.g. 2026-12-05 and 2026-12-07.")
    nights = (leave - arrive).days
    if not resource.min_stay <= nights <= resource.max_stay:
        _refuse("to", _("Stays are %(low)s to %(high)s nights.", low=resource.min_stay, high=resource.max_stay))
    today = local_today(now)
    if arrive < today or arrive > today + dt.timedelta(days=resource.horizon_days):
        _refuse("from", _("Arrive between today and %(days)s days from now.", days=resource.horizon_days))
    return arrive, leave - dt.timedelta(days=1)


def _night(resource: BookableResource, line, consumer_id: int, now: dt.datetime) -> dict:
    first, last = stay_of(resource, line.booking, now)
    guests = line.booking.get("guests", 1)
    if type(guests) is not int or not 1 <= guests <= 50:
        _refuse("guests", "Give the number of guests (1 to 50).")
    left = nights_left(resource, first, last)
    if min(left.values()) < line.quantity:
        raise APIError("fully_booked", extra={"sku_id": str(line.sku_id)})
    nights = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    first_rate = skus_by_item([resource.item_id])[resource.item_id][0].price
    line.unit_price = sum(night_price(resource, line.unit_price, night, first_rate) for night in nights)  # the SKU's
    line.options = {**line.options, _("Dates"): f"{first.isoformat()} → {(last + dt.timedelta(days=1)).isoformat()}",
                    _("Nights"): str(len(nights)), _("Guests"): str(guests)}
    return {"resource_id": resource.id, "shape": "night", "first_night": first.isoformat(),
            "last_night": last.isoformat(), "guests": guests}


SHAPES = {Shape.SLOT: _slot, Shape.SESSION: _session, Shape.NIGHT: _night}


# -- the booker --------------------------------------------------------------------------------

class Booker:
    """Registered with the orders engine for the kinds service, ticket and room."""

    def price(self, lines: list, consumer_id: int, now: dt.datetime) -> None:
        resources = {resource.item_id: resource for resource in db.session.scalars(
            select(BookableResource).where(BookableResource.item_id.in_({line.item_id for line in lines})))}
        for line in lines:
            resource = resources.get(line.item_id)
            if resource is None:
                if line.booking is not None:
                    raise APIError("invalid_input", fields={"lines": [f"{line.name} is not booked by time: order it "
                                                                      "without `booking`."]})
                continue  # sold from stock, as before
            if line.booking is None:
                raise APIError("invalid_input", fields={"lines": [_("Choose when for %(name)s.", name=line.name)]})
            if not resource.active:
                raise APIError("not_on_sale", extra={"sku_id": str(line.sku_id)})
            line.booked = SHAPES[resource.shape](resource, line, consumer_id, now)
            line.deposit_percent = resource.deposit_percent

    def hold(self, order, order_lines: list, quote_lines: list) -> None:
        """Lock each resource (in id order) and, for staffed services, the staff who do it, then
        check every line again as it stands now and book it."""
        resources = {resource_id: find_resource(resource_id, for_update=True)
                     for resource_id in sorted({line.booked["resource_id"] for line in quote_lines})}
        staffed = sorted({member.id for resource in resources.values() if resource.staffed
                          for member in staff_of(resource.id)})
        if staffed:
            db.session.execute(select(BookingStaff.id).where(BookingStaff.id.in_(staffed)).order_by(BookingStaff.id)
                               .with_for_update())
        fresh = skus_with_items([line.sku_id for line in quote_lines])
        for order_line, line in zip(order_lines, quote_lines):
            resource = resources[line.booked["resource_id"]]
            sku, item = fresh[line.sku_id]
            priced, line.unit_price = line.unit_price, sku.price  # priced again from the SKU as it is now
            if not is_on_sale(item):
                raise APIError("not_on_sale", extra={"sku_id": str(line.sku_id)})
            line.booked = SHAPES[resource.shape](resource, line, order.consumer_id, order.created_at)
            if line.unit_price != priced:
                forget_remembered_facts()
                raise APIError("price_changed", extra={"sku_id": str(line.sku_id)})
            insert_rows(Booking, [_booking_row(order, order_line, line, line.booked)])


def _booking_row(order, order_line, line, booked: dict):
    values = {"resource_id": booked["resource_id"], "order_id": order.id, "order_line_id": order_line.id,
              "consumer_id": order.consumer_id, "sku_id": line.sku_id, "quantity": line.quantity,
              "created_at": order.created_at, "updated_at": order.created_at}
    if booked["shape"] == "night":
        first, last = dt.date.fromisoformat(booked["first_night"]), dt.date.fromisoformat(booked["last_night"])
        where = zone()
        values.update(first_night=first, last_night=last, guests=booked["guests"],
                      starts_at=_local(first, CHECK_IN, where), ends_at=_local(last + dt.timedelta(days=1), CHECK_OUT,
                                                                              where))
    else:
        values.update(starts_at=dt.datetime.fromisoformat(booked["start"]),
                      ends_at=dt.datetime.fromisoformat(booked["end"]), session_id=booked.get("session_id"),
                      staff_id=booked.get("staff_id"), answers=booked.get("answers", {}),
                      address=booked.get("address", {}))
    return new_row(Booking, **values)


def _local(day: dt.date, clock: str, where) -> dt.datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), where).astimezone(dt.UTC)

"""The booking engine's page components:

- `bookable_list`: the shop's services, events or rooms as cards (an event with its next session
  and place, a room with its price a night), each opening its booking page;
- `staff_list`: the staff who serve, with what consumers may check of them (qualifications);
- `booking_detail`, the main section of the booking page (a system page, `bookable`): one service,
  event or room type — photos, price, what it is, who serves it, the cancellation rules — and the
  picker static/booking.js draws from the consumer API: a service's days and free slots (a staff
  member chosen or the first free), an event's sessions and ticket types with the registration
  form, a room type's calendar of nights with prices (arrival and departure, guests); then to
  checkout with the line naming its slot, session or dates;
- `my_bookings`: the consumer's bookings (a system page of the member centre, /my/bookings), filled
  by static/bookings.js — upcoming and past, a paid one still to come cancelled under the rules."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.components import (AppSection, Checkbox, Component, Range, Select, SettingsSchema, SystemPage, Text, register,
                             register_system_page)
from core.db import db
from core.ids import parse_id
from core.item_pages import register_item_pages
from core.money import Money
from engines.booking.availability import staff_of, zone
from engines.booking.models import BookableResource, EventSession, SessionStatus
from engines.booking.resources import BOOKING_STAMP, on_sale, resources, staff_list
from engines.catalog.components import REVIEW_STRINGS

register_system_page(SystemPage("bookable", _l("Booking page"), main="booking_detail", engine="booking"))


def _booking_pages(item_ids: list[int]) -> dict[int, str]:
    """The items booked by time (taking bookings) go to their booking page, not the item page."""
    return {item_id: f"bookable:{resource_id}" for resource_id, item_id in db.session.execute(
        select(BookableResource.id, BookableResource.item_id).where(BookableResource.item_id.in_(item_ids),
                                                                     BookableResource.active))}


register_item_pages(_booking_pages, data_kinds=(BOOKING_STAMP,))
register_system_page(SystemPage("bookings", _l("My bookings"), main="my_bookings", engine="booking",
                                member_centre=True))

SHAPE_CHOICES = [("slot", _l("Services")), ("session", _l("Events")), ("night", _l("Rooms"))]


def _price_from(skus: list, currency: str) -> str:
    return Money(min(sku.price for sku in skus), currency).format()


def _next_sessions(resource_ids: list[int], now: dt.datetime) -> dict[int, EventSession]:
    """Each event's next session still on sale (one query)."""
    if not resource_ids:
        return {}
    found: dict[int, EventSession] = {}
    for session in db.session.scalars(select(EventSession).where(
            EventSession.resource_id.in_(resource_ids), EventSession.ends_at > now,
            EventSession.status == SessionStatus.ON_SALE).order_by(EventSession.starts_at)):
        found.setdefault(session.resource_id, session)
    return found


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


@register
class BookableList(Component):
    type = "bookable_list"
    label = _l("Services, events or rooms")
    group = "commerce"
    icon = "calendar-event"
    engine = "booking"
    template = "components/bookable_list.html"
    data_kinds = ("catalog", BOOKING_STAMP)

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40)
        shape = Select(_l("What"), SHAPE_CHOICES, "slot")
        count = Range(_l("How many"), 6, min=1, max=20)
        show_price = Checkbox(_l("Show prices"), True)

    def load(self, ctx, sections):
        """One query for the resources of each shape on the page, two for their items and SKUs,
        one for the events' next sessions."""
        by_shape = {shape: on_sale(resources(shape=shape, active_only=True))
                    for shape in {section["settings"]["shape"] for section in sections}}
        events = [resource.id for resource, _item, _skus in by_shape.get("session", [])]
        upcoming = _next_sessions(events, ctx.now)
        if upcoming:
            ctx.expire_at(min(session.ends_at for session in upcoming.values()))
        currency = ctx.tenant.currency
        cards = {}
        for shape, found in by_shape.items():
            cards[shape] = []
            for resource, item, skus in found:
                if shape == "session" and resource.id not in upcoming:
                    continue  # an event with nothing to come is not offered
                session = upcoming.get(resource.id)
                cards[shape].append({
                    "id": str(resource.id), "name": item.name, "subtitle": item.subtitle,
                    "image": (item.images or [""])[0], "price": _price_from(skus, currency),
                    "free": all(sku.price == 0 for sku in skus), "duration": resource.duration_minutes,
                    "when": _when(session.starts_at) if session else "", "place": session.place if session else ""})
        if "session" in cards:  # events by their next session, the soonest first
            cards["session"].sort(key=lambda card: card["when"])
        ctx.add_media(card["image"] for shown in cards.values() for card in shown)
        return {section["id"]: cards[section["settings"]["shape"]][: section["settings"]["count"]]
                for section in sections}


@register
class StaffList(Component):
    type = "staff_list"
    label = _l("Staff")
    group = "commerce"
    icon = "users"
    engine = "booking"
    template = "components/staff_list.html"
    data_kinds = (BOOKING_STAMP,)

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40)
        count = Range(_l("How many"), 6, min=1, max=20)
        show_qualifications = Checkbox(_l("Show qualifications"), True)

    def load(self, ctx, sections):
        staff = staff_list(active_only=True)[:20]
        ctx.add_media([*(member.photo for member in staff), *certificates(staff)])
        shown = [{"id": str(member.id), "name": member.name, "bio": member.bio, "photo": member.photo,
                  "qualifications": qualifications(member),
                  "verified": any(q.get("verified") for q in member.qualifications or [])} for member in staff]
        return {section["id"]: shown[: section["settings"]["count"]] for section in sections}


def qualifications(member) -> list[dict]:
    """A staff member's qualifications as consumers see them: a name, and the certificate's photo."""
    return [{"name": q["name"], "image": q.get("image", "")} for q in member.qualifications or [] if q.get("name")]


def certificates(staff: list) -> list[str]:
    return [q["image"] for member in staff for q in member.qualifications or [] if q.get("image")]


def _rules(resource) -> list[str]:
    """The cancellation rules as consumers read them, most hours first, then what is left, and the
    deposit the shop takes."""
    said = []
    for rule in resource.cancellation or []:
        if rule["refund_percent"] == 100:
            said.append(_("Full refund if cancelled %(hours)s hours or more before the start.",
                          hours=rule["hours_before"]))
        elif rule["refund_percent"] > 0:
            said.append(_("%(percent)s%% refunded if cancelled %(hours)s hours or more before the start.",
                          percent=rule["refund_percent"], hours=rule["hours_before"]))
    said.append(_("No refund after that.") if said else _("Bookings are not refunded once paid."))
    if resource.deposit_percent:
        said.append(_("You may pay a %(percent)s%% deposit now and the rest at the shop on the day; what a "
                      "cancellation keeps comes out of the deposit.", percent=resource.deposit_percent))
    return said


@register
class BookingDetail(Component):
    type = "booking_detail"
    label = _l("Booking")
    group = "commerce"
    icon = "calendar-event"
    engine = "booking"
    pages = ("bookable",)
    limit = 1
    template = "components/booking_detail.html"
    script = "booking.js"
    data_kinds = ("catalog", BOOKING_STAMP)
    strings = {"book_day": _l("Day"), "book_time": _l("Time"), "book_staff": _l("Served by"),
               "book_any_staff": _l("First available"), "book_none_free": _l("Nothing free on this day."),
               "book_left": _l("%(n)s left", n="{n}"), "book_full": _l("Full"), "book_choose_slot": _l("Choose a time."),
               "book_sessions": _l("Sessions"), "book_no_sessions": _l("No sessions are taking registrations."),
               "book_choose_session": _l("Choose a session and a ticket."),
               "book_choose_dates": _l("Choose the day you arrive, then the day you leave."),
               "book_nights": _l("%(n)s nights", n="{n}"), "book_one_night": _l("1 night"),
               "book_stay_rule": _l("Stays are %(low)s to %(high)s nights.", low="{low}", high="{high}"),
               "book_closed": _l("Not available"), "book_earlier": _l("Earlier"), "book_later": _l("Later"),
               **REVIEW_STRINGS}

    class Settings(SettingsSchema):
        ask_address = Checkbox(_l("Ask for the address served"), False,
                               help=_l("For services done at the customer's home: checkout asks for an address."))
        show_staff = Checkbox(_l("Show who serves"), True)

    def load(self, ctx, sections):
        resource_id = parse_id(ctx.params.get("id", ""))
        resource = BookableResource.get(resource_id) if resource_id else None
        found = on_sale([resource]) if resource is not None and resource.active else []
        if not found:
            return {section["id"]: None for section in sections}
        resource, item, skus = found[0]
        staff = staff_of(resource.id) if resource.staffed else []
        ctx.add_media([*(item.images or []), *(member.photo for member in staff), *certificates(staff)])
        currency = ctx.tenant.currency
        data = {"id": str(resource.id), "item_id": str(item.id), "shape": resource.shape.value, "name": item.name,
                "subtitle": item.subtitle, "images": item.images or [], "description": item.description,
                "price": _price_from(skus, currency), "free": all(sku.price == 0 for sku in skus),
                "duration": resource.duration_minutes, "capacity": resource.capacity, "staffed": resource.staffed,
                "min_stay": resource.min_stay, "max_stay": resource.max_stay,
                "horizon_days": resource.horizon_days, "form_fields": resource.form_fields or [],
                "skus": [{"id": str(sku.id), "label": " / ".join((sku.options or {}).values()) or item.name,
                          "price": Money(sku.price, currency).format()} for sku in skus],
                "staff": [{"id": str(member.id), "name": member.name, "bio": member.bio, "photo": member.photo,
                           "qualifications": qualifications(member)}
                          for member in staff],
                "rules": _rules(resource)}
        return {section["id"]: data for section in sections}


@register
class MyBookings(AppSection):
    type = "my_bookings"
    label = _l("My bookings")
    icon = "calendar-event"
    engine = "booking"
    pages = ("bookings",)
    script = "bookings.js"
    strings = {"bookings_upcoming": _l("Upcoming"), "bookings_past": _l("Past"),
               "bookings_none": _l("No bookings here."), "bookings_more": _l("Load more"),
               "bookings_cancel": _l("Cancel booking"),
               "bookings_cancel_ask": _l("Cancel this booking? The shop's rules say how much is refunded."),
               "bookings_cancelled": _l("Cancelled: %(amount)s will be refunded.", amount="{amount}"),
               "bookings_places": _l("%(n)s places", n="{n}"), "bookings_order": _l("Order"),
               "bookings_served_by": _l("Served by %(name)s", name="{name}"),
               "bookings_photo_arrival": _l("Photo taken on arrival"),
               "bookings_photo_completion": _l("Photo of the work done"),
               "bookings_nights": _l("%(from)s to %(to)s", **{"from": "{from}", "to": "{to}"}),
               "booking_held": _l("Awaiting payment"), "booking_confirmed": _l("Confirmed"),
               "booking_in_progress": _l("In progress"), "booking_completed": _l("Completed"),
               "booking_no_show": _l("Missed"), "booking_cancelled": _l("Cancelled")}

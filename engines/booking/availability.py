"""Availability, worked out when asked: a resource's capacity less its blocks and the bookings
that hold it (`models.HOLDING`), per slot, per ticket type of a session, per night. Each answer
costs a fixed number of queries however many bookings there are (the bookings of the range are
read once and counted here), so a month of a busy resource reads as fast as an empty one.

Times: the shop's weekly hours and dates are local (the tenant's timezone); what is stored and
answered is UTC, slots and sessions as instants, nights as the local dates they begin."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import zoneinfo

from sqlalchemy import func, or_, select

from core.db import db
from core.errors import APIError, register_codes
from core.money import Money
from core.tenancy import current_tenant
from engines.booking.models import (HOLDING, BookableResource, Booking, BookingBlock, EventSession, SessionStatus,
                                    Shape, BookingStaff, TicketQuota)
from engines.catalog.services import skus_by_item

MAX_DAYS = 62  # the longest range one availability read covers (two months)
WEEKEND_NIGHTS = (4, 5)  # Friday and Saturday nights

register_codes({
    "booking_resource_not_found": (404, "There is no such bookable item."),
    "fully_booked": (409, "That time has no room left; choose another."),
})


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_tenant().timezone)


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(zone()).date()


def find_resource(resource_id: int | None, *, for_update: bool = False) -> BookableResource:
    """The shop's resource (FOR UPDATE: bookings of it are then made one at a time), or 404."""
    query = select(BookableResource).where(BookableResource.id == resource_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    resource = db.session.scalar(query) if resource_id is not None else None
    if resource is None:
        raise APIError("booking_resource_not_found")
    return resource


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2199, 12, 31)  # dates asked about (beyond: no calendar to read)


def in_calendar(day: dt.date) -> bool:
    """Whether a date asked about is one bookings can have (year 9999 has no next day to bound it)."""
    return EARLIEST <= day <= LATEST


def date_range(start: object, end: object) -> tuple[dt.date, dt.date]:
    """`from` and `to` of a request (ISO dates, `to` inclusive), 422 unless ordered, at most
    MAX_DAYS long and in this calendar (2000 to 2199)."""
    try:
        first, last = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    except ValueError:
        raise APIError("invalid_input", fields={"from": ["Give from and to as dates, e.g. 2026-12-05."]}) from None
    if not (in_calendar(first) and in_calendar(last)):
        raise APIError("invalid_input", fields={"from": ["Give dates between 2000-01-01 and 2199-12-31."]})
    if last < first or (last - first).days >= MAX_DAYS:
        raise APIError("invalid_input", fields={"to": [f"Give a range of 1 to {MAX_DAYS} days, to not before from."]})
    return first, last


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants bounding local dates `first` to `last` (inclusive)."""
    where = zone()
    return _at(first, "00:00", where), _at(last, "24:00", where)


def _at(day: dt.date, clock: str, where: zoneinfo.ZoneInfo) -> dt.datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    if (hour, minute) == (24, 0):
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), where).astimezone(dt.UTC)
    return dt.datetime.combine(day, dt.time(hour, minute), where).astimezone(dt.UTC)


def windows(hours: list, day: dt.date, where: zoneinfo.ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working windows of weekly `hours` on a local date, as UTC instants."""
    today = hours[day.weekday()] if len(hours) == 7 else []
    return [(_at(day, start, where), _at(day, end, where)) for start, end in today]


def _overlap(start: float, end: float, spans: list[tuple]) -> list[tuple]:
    """The spans — (starts_at, ends_at, what) tuples, the times as POSIX seconds — that overlap
    [start, end)."""
    return [span for span in spans if span[0] < end and span[1] > start]


def _bookable_between(resource: BookableResource, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first and last moments a booking of the resource may start at now: `lead_minutes`
    ahead, within `horizon_days`."""
    return now + dt.timedelta(minutes=resource.lead_minutes), now + dt.timedelta(days=resource.horizon_days)


def _open_to_book(resource: BookableResource, start: dt.datetime, now: dt.datetime) -> bool:
    earliest, latest = _bookable_between(resource, now)
    return earliest <= start <= latest


# -- time slots ------------------------------------------------------------------------------

@dataclasses.dataclass
class Slot:
    start: dt.datetime
    end: dt.datetime
    left: int
    staff: list[int]  # the staff members free to serve it (staffed services), in the shop's order


def slot_starts(resource: BookableResource, day: dt.date, where: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """Where a slot of the resource may start on a local date: every `step_minutes` in each window
    of its weekly hours, as long as the service ends inside it."""
    step, length = dt.timedelta(minutes=resource.step_minutes), dt.timedelta(minutes=resource.duration_minutes)
    starts = []
    for opens, closes in windows(resource.hours, day, where):
        start = opens
        while start + length <= closes:
            starts.append(start)
            start += step
    return starts


@dataclasses.dataclass
class _SlotFacts:
    """What the slots of a range are counted from (three queries: the staff, the bookings and the
    blocks of the resource and of its staff): spans of
    (starts_at, ends_at, places) of the bookings, (…, places or None: all) of the blocks, (…,
    staff id) of the staff's bookings and blocks."""

    bookings: list[tuple]
    blocks: list[tuple]
    staff: list
    staff_bookings: list[tuple]
    staff_blocks: list[tuple]


def _slot_facts(resource: BookableResource, start: dt.datetime, end: dt.datetime,
                staff_id: int | None) -> _SlotFacts:
    staff = [member for member in staff_of(resource.id) if staff_id is None or member.id == staff_id] \
        if resource.staffed else []
    ids = {member.id for member in staff}
    booked = Booking.resource_id == resource.id
    blocked = BookingBlock.resource_id == resource.id
    if ids:  # the resource's and its staff's, in one query each
        booked, blocked = or_(booked, Booking.staff_id.in_(ids)), or_(blocked, BookingBlock.staff_id.in_(ids))
    bookings, staff_bookings = [], []
    for resource_id, member, starts_at, ends_at, places in db.session.execute(
            select(Booking.resource_id, Booking.staff_id, Booking.starts_at, Booking.ends_at,
                   Booking.quantity - Booking.refunded_quantity)
            .where(booked, Booking.status.in_(HOLDING), Booking.starts_at < end, Booking.ends_at > start)):
        since, until = starts_at.timestamp(), ends_at.timestamp()
        if resource_id == resource.id:
            bookings.append((since, until, places))
        if member in ids:
            staff_bookings.append((since, until, member))
    blocks, staff_blocks = [], []
    for resource_id, member, starts_at, ends_at, places in db.session.execute(
            select(BookingBlock.resource_id, BookingBlock.staff_id, BookingBlock.starts_at, BookingBlock.ends_at,
                   BookingBlock.quantity)
            .where(blocked, BookingBlock.starts_at < end, BookingBlock.ends_at > start)):
        since, until = starts_at.timestamp(), ends_at.timestamp()
        if resource_id == resource.id:
            blocks.append((since, until, places))
        if member in ids:
            staff_blocks.append((since, until, member))
    return _SlotFacts(bookings, blocks, staff, staff_bookings, staff_blocks)


def _days_of(facts: _SlotFacts, first: dt.date, last: dt.date, where: zoneinfo.ZoneInfo):
    """A function of a local date from `first` to `last`: the facts that touch it (each span filed
    under every day it touches, found by bisecting the days' starts)."""
    count = (last - first).days + 1
    starts = [_at(first + dt.timedelta(days=offset), "00:00", where).timestamp() for offset in range(count + 1)]

    def filed(spans: list[tuple]) -> list[list[tuple]]:
        days: list[list[tuple]] = [[] for _ in range(count)]
        for span in spans:
            for offset in range(max(bisect.bisect_right(starts, span[0]) - 1, 0),
                                min(bisect.bisect_left(starts, span[1]), count)):
                days[offset].append(span)
        return days

    lists = [filed(spans) for spans in (facts.bookings, facts.blocks, facts.staff_bookings, facts.staff_blocks)]
    return lambda day: _SlotFacts(*(found[(day - first).days] for found in lists[:2]), facts.staff,
                                  *(found[(day - first).days] for found in lists[2:]))


def staff_of(resource_id: int) -> list[BookingStaff]:
    """The active staff who do a service, in the shop's order (the first named first)."""
    found = db.session.scalars(select(BookingStaff).where(BookingStaff.active).order_by(BookingStaff.id))
    return [member for member in found if str(resource_id) in {str(r) for r in member.resource_ids}]


def _working(staff: list[BookingStaff], day: dt.date, where: zoneinfo.ZoneInfo) -> dict[int, list]:
    """Each staff member's working windows on a local date, by id, in the shop's order."""
    return {member.id: windows(member.hours, day, where) for member in staff}


def _slot(resource: BookableResource, start: dt.datetime, facts: _SlotFacts, working: dict[int, list]) -> Slot:
    end = start + dt.timedelta(minutes=resource.duration_minutes)
    since, until = start.timestamp(), end.timestamp()
    taken = sum(span[2] for span in _overlap(since, until, facts.bookings))
    blocked = sum(resource.capacity if span[2] is None else span[2] for span in _overlap(since, until, facts.blocks))
    left = max(resource.capacity - taken - blocked, 0)
    free = []
    if resource.staffed:
        busy = {span[2] for span in _overlap(since, until, facts.staff_bookings + facts.staff_blocks)}
        free = [member for member, hours in working.items() if member not in busy and
                any(opens <= start and end <= closes for opens, closes in hours)]
        left = min(left, len(free))  # each booking takes one of them
    return Slot(start, end, left, free)


def slots(resource: BookableResource, first: dt.date, last: dt.date, now: dt.datetime,
          staff_id: int | None = None) -> dict[dt.date, list[Slot]]:
    """The slots of each local date from `first` to `last` that can still be booked (`lead_minutes`
    ahead, within `horizon_days`), with the places left and the staff free to serve them."""
    where = zone()
    start, end = _at(first, "00:00", where), _at(last, "24:00", where)
    facts = _slot_facts(resource, start, end, staff_id)
    of_day = _days_of(facts, first, last, where)
    earliest, latest = _bookable_between(resource, now)
    days = {}
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        day_facts, working = of_day(day), _working(facts.staff, day, where)
        days[day] = [_slot(resource, begins, day_facts, working) for begins in slot_starts(resource, day, where)
                     if earliest <= begins <= latest]
    return days


def slot_at(resource: BookableResource, start: dt.datetime, now: dt.datetime, staff_id: int | None = None) -> Slot:
    """One slot (its availability now), 422 when no slot of the resource starts then or it cannot
    be booked any more (or yet)."""
    where = zone()
    day = start.astimezone(where).date()
    if start not in slot_starts(resource, day, where) or not _open_to_book(resource, start, now):
        raise APIError("invalid_input", fields={"booking.start": ["There is no slot to book at that time."]})
    end = start + dt.timedelta(minutes=resource.duration_minutes)
    facts = _slot_facts(resource, start, end, staff_id)
    return _slot(resource, start, facts, _working(facts.staff, day, where))


# -- sessions and their quotas ---------------------------------------------------------------

def sessions_between(resource: BookableResource, first: dt.date | None = None,
                     last: dt.date | None = None) -> list[EventSession]:
    query = select(EventSession).where(EventSession.resource_id == resource.id).order_by(EventSession.starts_at)
    if first is not None:
        where = zone()
        query = query.where(EventSession.starts_at >= _at(first, "00:00", where),
                            EventSession.starts_at < _at(last, "24:00", where))
    return list(db.session.scalars(query))


def tickets_left(resource: BookableResource, sessions: list[EventSession]) -> dict[int, dict[int, int]]:
    """For each session, the tickets left of each ticket type in a quota: the least room of the
    quotas it is in (pretix). Two queries, however many sessions and tickets sold."""
    quotas = list(db.session.scalars(select(TicketQuota).where(TicketQuota.resource_id == resource.id)))
    ids = [session.id for session in sessions]
    sold: dict[tuple[int, int], int] = {}
    if ids:
        for session_id, sku_id, count in db.session.execute(
                select(Booking.session_id, Booking.sku_id, func.sum(Booking.quantity - Booking.refunded_quantity))
                .where(Booking.resource_id == resource.id, Booking.session_id.in_(ids), Booking.status.in_(HOLDING))
                .group_by(Booking.session_id, Booking.sku_id)):
            sold[(session_id, sku_id)] = int(count)
    left: dict[int, dict[int, int]] = {}
    for session in sessions:
        mine = [quota for quota in quotas if quota.session_id in (None, session.id)]
        room = {quota.id: quota.size - sum(sold.get((session.id, int(sku)), 0) for sku in quota.sku_ids)
                for quota in mine}
        per_sku: dict[int, int] = {}
        for quota in mine:
            for sku in quota.sku_ids:
                per_sku[int(sku)] = min(per_sku.get(int(sku), room[quota.id]), room[quota.id])
        left[session.id] = {sku: max(value, 0) for sku, value in per_sku.items()}
    return left


def session_open(session: EventSession, resource: BookableResource, now: dt.datetime) -> bool:
    return session.status == SessionStatus.ON_SALE and _open_to_book(resource, session.starts_at, now)


# -- nights ----------------------------------------------------------------------------------

def night_price(resource: BookableResource, price: int, night: dt.date, first_rate: int | None = None) -> int:
    """A night's price at a rate that costs `price` a night: its season's (weekend or not), else
    the weekend price on Friday and Saturday nights, else `price`. Season and weekend prices are
    those of the room type's first rate (`first_rate`, its SKU's price): another rate (with
    breakfast) keeps what it costs over the first one on those nights too."""
    weekend = night.weekday() in WEEKEND_NIGHTS
    extra = price - (price if first_rate is None else first_rate)
    for season in resource.seasons or []:
        if season["from"] <= night.isoformat() <= season["to"]:
            return ((season.get("weekend_price") or season["price"]) if weekend else season["price"]) + extra
    if weekend and resource.weekend_price is not None:
        return resource.weekend_price + extra
    return price


def nights_left(resource: BookableResource, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """Rooms left each night from `first` to `last` (inclusive): two queries."""
    taken: dict[dt.date, int] = {}
    for begins, ends, count in db.session.execute(
            select(Booking.first_night, Booking.last_night, Booking.quantity - Booking.refunded_quantity)
            .where(Booking.resource_id == resource.id, Booking.status.in_(HOLDING), Booking.first_night <= last,
                   Booking.last_night >= first)):
        for offset in range((min(ends, last) - max(begins, first)).days + 1):
            night = max(begins, first) + dt.timedelta(days=offset)
            taken[night] = taken.get(night, 0) + count
    where = zone()
    blocks = db.session.execute(
        select(BookingBlock.starts_at, BookingBlock.ends_at, BookingBlock.quantity)
        .where(BookingBlock.resource_id == resource.id, BookingBlock.starts_at < _at(last, "24:00", where),
               BookingBlock.ends_at > _at(first, "00:00", where))).all()
    left = {}
    for offset in range((last - first).days + 1):
        night = first + dt.timedelta(days=offset)
        noon = _at(night, "12:00", where)  # a block covers a night when it covers its local noon
        blocked = sum(resource.capacity if row.quantity is None else row.quantity
                      for row in blocks if row.starts_at <= noon < row.ends_at)
        left[night] = max(resource.capacity - taken.get(night, 0) - blocked, 0)
    return left


# -- the answer of an availability read ------------------------------------------------------

def availability_answer(resource: BookableResource, first: dt.date, last: dt.date, now: dt.datetime, *,
                        staff_id: int | None = None, sku_id: int | None = None) -> dict:
    """What GET /booking/availability answers (schemas.AvailabilityOut): a slot resource's days
    and their slots, an event's sessions of the range and the tickets left of each type (none left
    once a session stops taking registrations), a room type's nights with the rooms left and the
    night's price (of `sku_id`, else the item's first SKU). A fixed number of queries."""
    answer = {"resource_id": str(resource.id), "shape": resource.shape.value, "days": [], "sessions": [],
              "nights": []}
    if resource.shape == Shape.SLOT:
        answer["days"] = [{"date": day.isoformat(), "slots": [
            {"start": slot.start.isoformat(), "end": slot.end.isoformat(), "left": slot.left,
             "staff_ids": [str(member) for member in slot.staff]} for slot in found]}
            for day, found in slots(resource, first, last, now, staff_id).items()]
    elif resource.shape == Shape.SESSION:
        found = sessions_between(resource, first, last)
        left = tickets_left(resource, found)
        answer["sessions"] = [{
            "id": str(session.id), "resource_id": str(resource.id), "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(), "place": session.place, "status": session.status.value,
            "tickets": [{"sku_id": str(sku), "left": count if session_open(session, resource, now) else 0}
                        for sku, count in sorted(left[session.id].items())]} for session in found]
    else:
        skus = skus_by_item([resource.item_id])[resource.item_id]
        sku = next((s for s in skus if sku_id is None or s.id == sku_id), None)
        if sku is None:
            raise APIError("invalid_input", fields={"sku_id": ["Name a SKU of this room type."]})
        currency = current_tenant().currency
        today = local_today(now)
        answer["nights"] = [{"date": night.isoformat(), "left": count if night >= today else 0,
                             "price": Money(night_price(resource, sku.price, night, skus[0].price), currency).to_json()}
                            for night, count in nights_left(resource, first, last).items()]
    return answer

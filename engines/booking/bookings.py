"""A booking's life after checkout (engines.booking.holds made it, held): confirmed when its order
is paid, cancelled — its capacity freed — when the unpaid order is cancelled or times out, its
refunded places freed when the order is refunded, completed when the order's code is verified;
the consumer's bookings; the day-before reminders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.db import db, utcnow
from core.errors import APIError, register_codes
from core.events import emit
from engines.booking import events as _events  # noqa: F401  the events emitted here
from engines.booking.models import HOLDING, BookableResource, Booking, BookingStatus
from engines.orders.services import approve_after_sale, find_order, refunded_units, request_after_sale

REMIND_BEFORE = dt.timedelta(days=1)

register_codes({
    "booking_not_found": (404, "There is no such booking."),
    "booking_not_cancellable": (409, "This booking cannot be cancelled now."),
})


def _move(order_id: int, origin: tuple[BookingStatus, ...], target: BookingStatus, now: dt.datetime) -> int:
    return db.session.execute(
        update(Booking).where(Booking.order_id == order_id, Booking.status.in_(origin))
        .values(status=target, updated_at=now).execution_options(synchronize_session=False)).rowcount


def confirm_order(order_id: int, now: dt.datetime | None = None) -> int:
    """The order was paid: its held bookings are confirmed."""
    return _move(order_id, (BookingStatus.HELD,), BookingStatus.CONFIRMED, now or utcnow())


def release_order(order_id: int, now: dt.datetime | None = None) -> int:
    """The unpaid order was cancelled (or timed out): its bookings free their capacity."""
    return _move(order_id, (BookingStatus.HELD,), BookingStatus.CANCELLED, now or utcnow())


def complete_order(order_id: int, now: dt.datetime | None = None) -> int:
    """The order's code was verified (a ticket scanned at the door, a service done): completed."""
    now = now or utcnow()
    return db.session.execute(
        update(Booking).where(Booking.order_id == order_id,
                              Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)))
        .values(status=BookingStatus.COMPLETED, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount


def release_refunded(after_sale_id: int, now: dt.datetime | None = None) -> int:
    """A refund was paid out: the refunded places of each booked line are freed (a booking all of
    whose places are refunded is cancelled). Returns the places freed."""
    now = now or utcnow()
    found = refunded_units(after_sale_id)
    if found is None:
        return 0
    order_id, units, _money = found
    freed = 0
    for booking in db.session.scalars(select(Booking).where(Booking.order_id == order_id,
                                                            Booking.order_line_id.in_(list(units)))
                                      .with_for_update().execution_options(populate_existing=True)):
        count = min(units[booking.order_line_id], booking.quantity - booking.refunded_quantity)
        booking.refunded_quantity += count
        freed += count
        if booking.refunded_quantity == booking.quantity:
            booking.status = BookingStatus.CANCELLED
        booking.updated_at = now
    return freed


def bookings_of(consumer_id: int, *, upcoming: bool | None = None, now: dt.datetime | None = None,
                before: int | None = None, limit: int = 20) -> tuple[list[Booking], int | None]:
    """A consumer's bookings, newest first (`upcoming`: only those still to come and holding; False:
    only the others), a page of `limit` before the id `before`, and the cursor of the next page."""
    now = now or utcnow()
    query = select(Booking).where(Booking.consumer_id == consumer_id).order_by(Booking.id.desc()).limit(limit + 1)
    if upcoming is True:
        query = query.where(Booking.ends_at > now, Booking.status.in_(HOLDING[:3]))
    elif upcoming is False:
        query = query.where((Booking.ends_at <= now) | Booking.status.not_in(HOLDING[:3]))
    if before is not None:
        query = query.where(Booking.id < before)
    found = list(db.session.scalars(query))
    return found[:limit], (found[limit - 1].id if len(found) > limit else None)


def find_booking(booking_id: int | None, *, consumer_id: int | None = None, for_update: bool = False) -> Booking:
    """The shop's booking (the consumer's own, when `consumer_id` is given), read afresh (locked
    with `for_update`), or 404."""
    query = select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
    booking = db.session.scalar(query.with_for_update() if for_update else query) if booking_id is not None else None
    if booking is None or (consumer_id is not None and booking.consumer_id != consumer_id):
        raise APIError("booking_not_found")
    return booking


def remind(booking_id: int, name: str, now: dt.datetime) -> bool:
    """booking.reminder.v1 for a confirmed booking starting within a day, once."""
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id, Booking.reminded_at.is_(None),
                                                      Booking.status == BookingStatus.CONFIRMED).with_for_update())
    if booking is None:
        return False
    booking.reminded_at = now
    emit("booking.reminder.v1", {"booking_id": str(booking.id), "order_id": str(booking.order_id),
                                 "consumer_id": str(booking.consumer_id) if booking.consumer_id else None, "resource_id": str(booking.resource_id),
                                 "starts_at": booking.starts_at.isoformat(), "name": name})
    return True


def refund_percent(resource: BookableResource, starts_at: dt.datetime, now: dt.datetime) -> int:
    """What the shop's cancellation rules refund of a booking cancelled at `now`: the first rule
    (most hours first) the cancellation is at least `hours_before` ahead of; none: nothing."""
    ahead = (starts_at - now).total_seconds() / 3600
    for rule in sorted(resource.cancellation or [], key=lambda r: -r["hours_before"]):
        if ahead >= rule["hours_before"]:
            return rule["refund_percent"]
    return 0


def cancel_booking(booking: Booking, *, consumer_id: int, now: dt.datetime | None = None) -> tuple[Booking, object]:
    """The consumer cancels a paid booking before it starts: a refund of its places, of the part
    the shop's cancellation rules give back at this time, asked for and approved at once (the
    places are freed at once, the money follows when the provider refunded). The caller holds the
    booking's row lock (find_booking(for_update=True)), so a second cancellation at the same time
    finds it cancelled. 409 once it started, when it is not paid (cancel the order instead) or when
    the rules refund nothing now. Returns the booking and the after-sales request."""
    now = now or utcnow()
    resource = BookableResource.get(booking.resource_id)
    if booking.status != BookingStatus.CONFIRMED or booking.starts_at <= now:
        raise APIError("booking_not_cancellable", "Only a paid booking that has not started can be cancelled; an "
                                                  "unpaid one is cancelled with its order.")
    percent = refund_percent(resource, booking.starts_at, now)
    if percent == 0:
        raise APIError("booking_not_cancellable", "It is too late to cancel this booking with a refund.")
    places = booking.quantity - booking.refunded_quantity
    after_sale = request_after_sale(find_order(booking.order_id), consumer_id=consumer_id, kind="refund",
                                    lines=[{"line_id": booking.order_line_id, "quantity": places}],
                                    reason=f"Booking cancelled ({percent}% refunded by the shop's rules)",
                                    percent=percent)
    approve_after_sale(after_sale, note="Cancellation rules applied")
    booking.status, booking.updated_at = BookingStatus.CANCELLED, now
    return booking, after_sale

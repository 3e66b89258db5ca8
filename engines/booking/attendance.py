"""What happens on the day: the staff member arrives (the guest checks in), the service is done
(the guest checks out), or nobody came. Each step is a move of a paid booking under its row lock
(two phones marking at once: one wins, the other is told what the booking became), may carry a
photo (seed 000: "service process photo confirmation"), and is stamped. Once none of an order's
bookings is still to be served, the order completes (reviews open, after-sales windows start);
a no-show is told to the shop's tools (booking.no_show.v1) and leaves the money as it is — the
cancellation rules decide refunds, not the mark."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db, utcnow
from core.errors import APIError, register_codes
from core.events import emit
from engines.booking.bookings import find_booking
from engines.booking.models import Booking, BookingStatus, Shape
from engines.orders.services import OrderStatus, deliver, has_open_after_sale, lock_order
from engines.payments.counter import balance_paid_at_counter

register_codes({"booking_status_changed": (409, "The booking is not at this step any more; reload it.")})

MOST_PHOTOS = 9  # of one stage
EARLY = dt.timedelta(hours=2)  # how long before the start a staff member may mark arrival


@dataclasses.dataclass(frozen=True)
class Step:
    """A move of a booking on the day: from which statuses, to which, the time it stamps and the
    stage its photos are filed under."""
    origin: tuple[BookingStatus, ...]
    target: BookingStatus
    stamp: str | None
    stage: str | None


STEPS = {
    "arrive": Step((BookingStatus.CONFIRMED,), BookingStatus.IN_PROGRESS, "arrived_at", "arrival"),
    "complete": Step((BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS), BookingStatus.COMPLETED, "completed_at",
                     "completion"),
    "no_show": Step((BookingStatus.CONFIRMED,), BookingStatus.NO_SHOW, None, None),
}
TO_SERVE = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)


def step_names(booking: Booking, now: dt.datetime | None = None) -> list[str]:
    """The steps a booking may take now, in the order staff meet them."""
    now = now or utcnow()
    return [name for name, step in STEPS.items() if booking.status in step.origin and _in_time(name, booking, now)]


def _in_time(name: str, booking: Booking, now: dt.datetime) -> bool:
    """Arrival and completion open two hours before the start, a no-show at the start."""
    return now >= booking.starts_at - (dt.timedelta(0) if name == "no_show" else EARLY)


def take_step(booking_id: int, name: str, *, actor: str, photos: list[str] = (), staff_id: int | None = None,
              balance_paid: bool = False, now: dt.datetime | None = None) -> Booking:
    """Move a booking one step on the day (`name`: arrive, complete, no_show) under its row lock;
    `staff_id`: the staff member's own booking only (a housekeeper marks their own work). 404 for
    another shop's or another staff member's booking; 409 booking_status_changed when it is past
    that step (or not paid), or too early (arrival and completion open two hours before the
    start, a no-show at the start). `photos`: media references ("media:<id>") filed under the step's stage.

    `balance_paid`: on arrival or completion, the balance of an order paid by a deposit was paid at
    the shop just now — recorded with the step (a payment at the counter). The order completes only
    once nothing is left to pay: completing the last booking of an order with its balance still
    due is refused (409 balance_due)."""
    now = now or utcnow()
    step = STEPS[name]
    booking = find_booking(booking_id, for_update=True)
    if staff_id is not None and booking.staff_id != staff_id:
        raise APIError("booking_not_found")
    if booking.status not in step.origin:
        raise APIError("booking_status_changed", extra={"status": booking.status.value})
    if not _in_time(name, booking, now):
        raise APIError("booking_status_changed", "It is too early for this step.", extra={"status": booking.status.value})
    if photos and step.stage is None:
        raise APIError("invalid_input", fields={"photos": ["No photos are kept with this step."]})
    if len(photos) > MOST_PHOTOS:
        raise APIError("invalid_input", fields={"photos": [f"At most {MOST_PHOTOS} photos."]})
    if balance_paid and step.stage is not None and lock_order(booking.order_id).balance_due:
        balance_paid_at_counter(booking.order_id, actor=actor, now=now)
    booking.status, booking.updated_at = step.target, now
    if step.stamp:
        setattr(booking, step.stamp, now)
    if photos:
        booking.photos = [*booking.photos, *({"stage": step.stage, "media": ref, "at": now.isoformat()}
                                             for ref in photos)]
    if name == "no_show":
        emit("booking.no_show.v1", {"booking_id": str(booking.id), "order_id": str(booking.order_id),
                                    "consumer_id": str(booking.consumer_id) if booking.consumer_id else None,
                                    "resource_id": str(booking.resource_id), "starts_at": booking.starts_at.isoformat()})
    elif name == "complete":
        _complete_order_when_served(booking, actor=actor, now=now)
    return booking


def _complete_order_when_served(booking: Booking, *, actor: str, now: dt.datetime) -> None:
    """The order completes once none of its bookings is still to be served (and nothing of it is
    being refunded): a paid order only — one already completed (a scanned ticket) stays."""
    order = lock_order(booking.order_id)
    if order.status != OrderStatus.PAID or has_open_after_sale(order):
        return
    waiting = db.session.scalar(select(Booking.id).where(Booking.order_id == order.id, Booking.id != booking.id,
                                                         Booking.status.in_(TO_SERVE)).limit(1))
    if waiting is None:
        deliver(order, actor=actor, now=now)


def step_label(name: str, shape: Shape) -> str:
    """What a step is called on the button, by the resource's shape (a stay checks in and out)."""
    if shape == Shape.NIGHT:
        return {"arrive": _("Check in"), "complete": _("Check out"), "no_show": _("No-show")}[name]
    return {"arrive": _("Arrived"), "complete": _("Completed"), "no_show": _("No-show")}[name]

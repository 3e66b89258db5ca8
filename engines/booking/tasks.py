"""Jobs of the booking engine: bookings follow their orders (paid, cancelled or timed out unpaid,
refunded, verified), and the hourly sweep that reminds of the bookings starting within a day. The
sweep takes `now`, so tests move the clock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.db import db, utcnow
from core.events import on
from core.jobs import periodic, run_per_tenant
from core.tenancy import platform_scope
from engines.booking.bookings import (REMIND_BEFORE, complete_order, confirm_order, release_order, release_refunded,
                                      remind)
from engines.booking.models import BookableResource, Booking, BookingStatus
from engines.catalog.services import Item


@on("order.paid.v1", handler="booking.confirm")
def on_paid(payload: dict, event) -> None:
    confirm_order(int(payload["order_id"]))


@on("order.cancelled.v1", handler="booking.release")
def on_cancelled(payload: dict, event) -> None:
    release_order(int(payload["order_id"]))


@on("order.completed.v1", handler="booking.complete")
def on_completed(payload: dict, event) -> None:
    complete_order(int(payload["order_id"]))


@on("after_sale.refunded.v1", handler="booking.release_refunded")
def on_refunded(payload: dict, event) -> None:
    release_refunded(int(payload["after_sale_id"]))


@periodic("booking.remind", seconds=3600)
def remind_upcoming(now: dt.datetime | None = None) -> int:
    """Every hour: the confirmed bookings starting within a day, not reminded yet."""
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(Booking.tenant_id, Booking.id).where(
                Booking.status == BookingStatus.CONFIRMED, Booking.starts_at > now,
                Booking.starts_at <= now + REMIND_BEFORE, Booking.reminded_at.is_(None)).limit(1000))]
    return run_per_tenant(due, lambda booking_id: _remind(booking_id, now))


def _remind(booking_id: int, now: dt.datetime) -> bool:
    resource = BookableResource.get(Booking.get(booking_id).resource_id)
    item = Item.get(resource.item_id)
    return remind(booking_id, item.name if item is not None else "", now)

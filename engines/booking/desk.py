"""Bookings the shop takes itself — a customer at the desk or on the phone — for the back office
(engines.booking.admin_walk_in) and the Admin API: the customer by phone (their account made when
they have none: signing in with a code, they find the booking), booked as the customer's checkout
books (an order with the booked line: the resource's lock, its rules and prices), and, paid at the
shop, settled by the counter (engines.payments.counter); else it waits for the customer to pay it
like any order. Runs in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select

from core.consumers import consumer_with_phone
from core.db import db
from core.errors import APIError
from engines.booking.bookings import confirm_order
from engines.booking.models import Booking
from engines.orders.services import place_order
from engines.payments.counter import paid_at_counter


def book_for_customer(*, line: dict, phone: str, name: str = "", note: str = "", paid_at_shop: bool,
                      actor: str) -> tuple[Booking, object, object]:
    """(the booking, its order, the customer) of a checkout line naming its slot, session or
    dates (`{"sku_id", "quantity", "booking": {...}}`, as the consumer API's); 422 for a line
    that books nothing, or as checkout refuses it (409 fully_booked …)."""
    if not isinstance(line.get("booking"), dict):
        raise APIError("invalid_input", fields={"booking": ["Name the slot, session or dates booked."]})
    customer = consumer_with_phone(phone, name=name)
    order, _lines = place_order(consumer_id=customer.id, lines=[line], fulfillment_choice={"type": "none"},
                                note=note[:200])
    if paid_at_shop and order.total:
        paid_at_counter(order.id, actor=actor)
        confirm_order(order.id)  # at once, as the answer says (the order.paid.v1 handler then finds it done)
    booking = db.session.scalar(select(Booking).where(Booking.order_id == order.id)
                                .execution_options(populate_existing=True))
    return booking, order, customer

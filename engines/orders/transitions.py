"""The order state machine: one enumerated table of (state, event) → state, applied by
compare-and-set updates so that two hands moving the same order cannot both win, and every move
recorded (who, when, from, to).

    pending_payment ─pay→ paid ─await_shipment→ awaiting_shipment ─ship→ shipped ─confirm_receipt→ completed
                                ─mark_ready→ ready_for_pickup ─verify→ completed
                                ─start_preparation→ in_preparation ─verify→ completed
                                ─start_service→ in_service ─verify→ completed
    pending_payment ─cancel→ cancelled            (any paid state) ─close→ closed (all refunded)
"""

from __future__ import annotations

import datetime as dt

from types import SimpleNamespace

from sqlalchemy import bindparam, select, update

from core.db import set_loaded, utcnow
from core.errors import APIError, register_codes
from core.tenancy import execute, execute_with_inserts, insert_rows, new_row, of_tenant
from engines.orders.models import FulfillmentType, Order, OrderStatus, OrderTransition

register_codes({"illegal_transition": (409, "The order cannot do this in its current state.")})

S = OrderStatus
PAID_STATES = (S.PAID, S.AWAITING_SHIPMENT, S.SHIPPED, S.READY_FOR_PICKUP, S.IN_PREPARATION, S.IN_SERVICE,
                S.COMPLETED)

TRANSITIONS: dict[tuple[OrderStatus, str], OrderStatus] = {
    (S.PENDING_PAYMENT, "pay"): S.PAID,
    (S.PENDING_PAYMENT, "cancel"): S.CANCELLED,
    (S.PAID, "await_shipment"): S.AWAITING_SHIPMENT,
    (S.PAID, "mark_ready"): S.READY_FOR_PICKUP,
    (S.PAID, "start_preparation"): S.IN_PREPARATION,
    (S.PAID, "start_service"): S.IN_SERVICE,
    (S.IN_PREPARATION, "mark_ready"): S.READY_FOR_PICKUP,
    (S.AWAITING_SHIPMENT, "ship"): S.SHIPPED,
    (S.SHIPPED, "confirm_receipt"): S.COMPLETED,
    (S.PAID, "verify"): S.COMPLETED,
    (S.PAID, "deliver"): S.COMPLETED,  # what an engine hands over at once once paid (a member card)
    (S.READY_FOR_PICKUP, "verify"): S.COMPLETED,
    (S.IN_PREPARATION, "verify"): S.COMPLETED,
    (S.IN_SERVICE, "verify"): S.COMPLETED,
    **{(state, "close"): S.CLOSED for state in PAID_STATES},
}
EVENTS = sorted({event for _, event in TRANSITIONS})

# Events that only make sense for some ways of fulfilling an order.
_FULFILLMENTS = {
    "await_shipment": {FulfillmentType.EXPRESS, FulfillmentType.SAME_CITY},
    "ship": {FulfillmentType.EXPRESS, FulfillmentType.SAME_CITY},
    "mark_ready": {FulfillmentType.PICKUP},
    "start_preparation": {FulfillmentType.PICKUP, FulfillmentType.DINE_IN},
    "start_service": {FulfillmentType.NONE},
}
# Columns stamped when an order reaches a state.
_STAMPS = {S.PAID: "paid_at", S.SHIPPED: "shipped_at", S.COMPLETED: "completed_at", S.CANCELLED: "cancelled_at"}


def allowed_events(order: Order) -> list[str]:
    return [event for (state, event) in TRANSITIONS if state == order.status
            and order.fulfillment_type in _FULFILLMENTS.get(event, set(FulfillmentType))]


def transition(order: Order | SimpleNamespace, event: str, *, actor: str, note: str = "",
               now: dt.datetime | None = None, guarding: bool = False, **changes) -> Order | SimpleNamespace:
    """Move `order` (a loaded order, or the plain row of the write paths) by `event`, or refuse
    with 409 `illegal_transition` and change nothing. `changes` are further columns set in the
    same UPDATE (a carrier and tracking number).

    `guarding`, first thing in an `inserts_together` block: the compare-and-set goes with the
    block's statement and guards what the block writes after it (`execute_with_inserts(guard=
    True)`: one round trip on PostgreSQL); the 409 then comes when the block is written, with
    nothing of it written."""
    origin = order.status
    target = TRANSITIONS.get((origin, event))
    if target is None or order.fulfillment_type not in _FULFILLMENTS.get(event, set(FulfillmentType)):
        raise APIError("illegal_transition", f"An order that is {origin.value.replace('_', ' ')} cannot {event}.",
                       extra={"status": origin.value, "event": event})
    now = now or utcnow()
    values = {"status": target, "updated_at": now, **changes}
    if target in _STAMPS:
        values[_STAMPS[target]] = now

    def check(moved) -> None:
        if moved.rowcount != 1:  # someone else moved it first
            set_loaded(order, status=execute(_STATUS, {"order_id": order.id}).scalar_one())
            raise APIError("illegal_transition", "The order changed meanwhile; look at it again.",
                           extra={"status": order.status.value, "event": event})

    params = {"order_id": order.id, "from_status": origin, **values}
    if guarding:
        execute_with_inserts(_MOVED, params, check, guard=True)
    else:
        check(execute(_MOVE, params))
    set_loaded(order, **values)
    _record(order.id, event, origin.value, target.value, actor, note, now)
    return order


def record_note(order: Order | SimpleNamespace, event: str, *, actor: str, note: str, at: dt.datetime) -> None:
    """Something that happened to an order without moving it (its balance paid at the shop)."""
    _record(order.id, event, order.status.value, order.status.value, actor, note, at)


def record_creation(order: Order | SimpleNamespace, *, actor: str) -> None:
    _record(order.id, "create", None, order.status.value, actor, "", order.created_at)


def _record(order_id: int, event: str, from_status: str | None, to_status: str, actor: str, note: str,
            at: dt.datetime) -> None:
    insert_rows(OrderTransition, [new_row(OrderTransition, order_id=order_id, event=event, from_status=from_status,
                                          to_status=to_status, actor=actor, note=note[:200], at=at)])


_orders = Order.__table__
# The compare-and-set: SET takes the columns of the parameters (status, updated_at, a stamp …).
_MOVE = update(_orders).where(of_tenant(_orders), _orders.c.id == bindparam("order_id"),
                              _orders.c.status == bindparam("from_status"))
_MOVED = _MOVE.returning(_orders.c.id)
_STATUS = select(_orders.c.status).where(of_tenant(_orders), _orders.c.id == bindparam("order_id"))

"""After-sales: refund only, or return and refund; by line and quantity.

The buyer asks; the merchant approves or rejects; for a return the buyer enters the return's
tracking and the merchant confirms the goods came back; then `after_sale.refund_due.v1` asks the
payments engine to refund through the provider. Before anything is sent, the payments engine
counts the refund on the order's lines (`count_refund`, compare-and-set: the database refuses
more than was bought); the provider's answer comes back as `mark_refunded` — stock returns then
(for goods that came back or never left), and an order refunded in full is closed — or, when the
provider finally refuses, as `uncount_refund`.

Requests and refunds of one order take the order's row lock first, so concurrent requests for the
same units make exactly one request, whatever the database's isolation.

Amounts are exact: a line's paid amount (after its share of discounts) is split over its units so
that refunding them one by one adds up to the whole, to the cent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.db import db, set_loaded, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.events import emit
from core.ids import parse_id
from core.tenancy import current_tenant, current_tenant_id
from engines.orders import events as _events  # noqa: F401  declares the events emitted here
from engines.orders.lifecycle import OPEN_AFTER_SALES, lines_of, lock_order, release_lines_stock
from engines.orders.models import AfterSale, AfterSaleStatus, FulfillmentType, Order, OrderLine, OrderStatus
from engines.orders.pricing import release_step_lines, share_of_units
from engines.orders.transitions import transition

register_codes({"after_sale_not_allowed": (409, "This order cannot have an after-sales request now."),
                "after_sales_closed": (409, "The time for after-sales requests on this order has passed.")})

A = AfterSaleStatus
REFUNDABLE_STATES = (OrderStatus.PAID, OrderStatus.AWAITING_SHIPMENT, OrderStatus.SHIPPED,
                     OrderStatus.READY_FOR_PICKUP, OrderStatus.IN_PREPARATION, OrderStatus.IN_SERVICE,
                     OrderStatus.COMPLETED)
NOT_YET_HANDED_OVER = (OrderStatus.PAID, OrderStatus.AWAITING_SHIPMENT, OrderStatus.READY_FOR_PICKUP)


def unit_share(line: OrderLine, already: int, quantity: int) -> int:
    """What `quantity` more units of a line refund, after `already` were refunded or asked for."""
    return share_of_units(line.paid_amount, line.quantity, already, quantity)


def _units(*requests_lines: list[dict]) -> dict[int, int]:
    """Units of each line in after-sales requests' lines."""
    units: dict[int, int] = {}
    for request_lines in requests_lines:
        for entry in request_lines:
            units[int(entry["line_id"])] = units.get(int(entry["line_id"]), 0) + entry["quantity"]
    return units


def _held(order_id: int) -> dict[int, int]:
    """Units of each line already in open requests."""
    return _units(*db.session.scalars(select(AfterSale.lines).where(AfterSale.order_id == order_id,
                                                                    AfterSale.status.in_(OPEN_AFTER_SALES))))


def _refunded_before(after_sale: AfterSale) -> dict[int, int]:
    """Units of each line the order's other refunded requests refunded (the order is locked)."""
    return _units(*db.session.scalars(select(AfterSale.lines).where(
        AfterSale.order_id == after_sale.order_id, AfterSale.status == A.REFUNDED, AfterSale.id != after_sale.id)))


def request_after_sale(order: Order, *, consumer_id: int, kind: str, lines: list[dict], reason: str = "",
                       percent: int = 100) -> AfterSale:
    """A refund request for some units of an order's lines. Takes the order's row lock first:
    what is already refunded or asked for is read after any concurrent request committed.
    `percent`: of what the units cost, the part refunded (a booking cancelled late, by the shop's
    cancellation rules); the units are given back all the same.

    An order paid by a deposit whose balance is still to pay at the shop: the units' share of the
    balance is waived (no longer owed, once refunded), and what the rules keep of their price comes
    out of their share of the deposit — nothing comes back when the deposit is less than it."""
    order = lock_order(order.id)
    if order.status not in REFUNDABLE_STATES:
        raise APIError("after_sale_not_allowed")
    window = flow_settings("orders")["after_sales_days"]
    if order.status == OrderStatus.COMPLETED and order.completed_at is not None and \
            order.completed_at + dt.timedelta(days=window) < utcnow():
        raise APIError("after_sales_closed", f"After-sales requests close {window} days after an order is completed.")
    if kind == "return_refund" and (order.fulfillment_type not in (FulfillmentType.EXPRESS, FulfillmentType.SAME_CITY)
                                    or order.status not in (OrderStatus.SHIPPED, OrderStatus.COMPLETED)):
        raise APIError("invalid_input", fields={"kind": ["Only goods that were delivered can be returned."]})
    order_lines = {line.id: line for line in lines_of([order.id], fresh=True)[order.id]}
    held = _held(order.id)
    owed = order.balance_due > 0  # paid by a deposit, the balance not yet paid at the shop
    chosen, amount = [], 0
    for index, entry in enumerate(lines):
        line = order_lines.get(parse_id(entry["line_id"]))
        if line is None:
            raise APIError("invalid_input", fields={f"lines.{index}.line_id": ["Not a line of this order."]})
        already = line.refunded_quantity + held.get(line.id, 0)
        if entry["quantity"] > line.quantity - already:
            raise APIError("invalid_input", fields={f"lines.{index}.quantity": [
                f"At most {line.quantity - already} of this line can still be refunded."]})
        share = unit_share(line, already, entry["quantity"]) * percent // 100
        waived = share_of_units(line.due_later, line.quantity, already, entry["quantity"]) if owed else 0
        share = max(0, share - waived)  # of a deposit, what is left once the shop kept what its rules keep
        held[line.id] = held.get(line.id, 0) + entry["quantity"]
        chosen.append({"line_id": str(line.id), "quantity": entry["quantity"], "amount": share, "waived": waived})
        amount += share
    everything = all(held.get(line.id, 0) + line.refunded_quantity == line.quantity for line in order_lines.values())
    if everything and order.status in NOT_YET_HANDED_OVER:
        amount += order.shipping_fee * percent // 100  # nothing was delivered: the delivery fee comes back too
    after_sale = AfterSale(order_id=order.id, consumer_id=consumer_id, kind=kind, lines=chosen, amount=amount,
                           reason=reason, restock=kind == "return_refund" or order.status in NOT_YET_HANDED_OVER)
    db.session.add(after_sale)
    db.session.flush()
    emit("after_sale.requested.v1", {"after_sale_id": str(after_sale.id), "order_id": str(order.id),
                                     "consumer_id": str(after_sale.consumer_id), "kind": after_sale.kind,
                                     "amount": {"amount": after_sale.amount, "currency": order.currency}})
    return after_sale


def find_after_sale(after_sale_id: int, *, consumer_id: int | None = None) -> AfterSale:
    statement = select(AfterSale).where(AfterSale.id == after_sale_id)
    if consumer_id is not None:
        statement = statement.where(AfterSale.consumer_id == consumer_id)
    found = db.session.scalar(statement)
    if found is None:
        raise APIError("not_found", "There is no such after-sales request.")
    return found


_REFUSALS = {
    A.REQUESTED: "This request is waiting for the shop.",
    A.AWAITING_RETURN: "This request is waiting for the goods to be sent back.",
    A.RETURN_SHIPPED: "The goods are on their way back to the shop.",
    A.REFUNDING: "This request is being refunded.",
    A.REFUNDED: "This request has been refunded.",
    A.REJECTED: "This request was rejected.",
    A.WITHDRAWN: "This request was withdrawn.",
}


def _move(after_sale: AfterSale, origin: tuple[AfterSaleStatus, ...], target: AfterSaleStatus, **values) -> None:
    """Compare-and-set, like orders: the first of two clicks wins, the second is a 409."""
    moved = db.session.execute(update(AfterSale).where(AfterSale.id == after_sale.id, AfterSale.status.in_(origin))
                               .values(status=target, **values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise APIError("illegal_transition", _REFUSALS.get(after_sale.status, "This request cannot change now."))
    db.session.refresh(after_sale)


def _refund_due(after_sale: AfterSale) -> None:
    _move(after_sale, (A.REQUESTED, A.RETURN_SHIPPED), A.REFUNDING)
    emit("after_sale.refund_due.v1", {"after_sale_id": str(after_sale.id), "order_id": str(after_sale.order_id),
                                      "consumer_id": str(after_sale.consumer_id),
                                      "amount": {"amount": after_sale.amount, "currency": current_tenant().currency}})


def approve(after_sale: AfterSale, *, note: str = "") -> AfterSale:
    if after_sale.kind == "return_refund":
        _move(after_sale, (A.REQUESTED,), A.AWAITING_RETURN, merchant_note=note[:200])
    else:
        after_sale.merchant_note = note[:200]
        _refund_due(after_sale)
    return after_sale


def reject(after_sale: AfterSale, *, note: str) -> AfterSale:
    if not note.strip():
        raise APIError("invalid_input", fields={"note": ["Tell the buyer why."]})
    _move(after_sale, (A.REQUESTED, A.RETURN_SHIPPED), A.REJECTED, merchant_note=note[:200], resolved_at=utcnow())
    return after_sale


def withdraw(after_sale: AfterSale) -> AfterSale:
    _move(after_sale, (A.REQUESTED, A.AWAITING_RETURN), A.WITHDRAWN, resolved_at=utcnow())
    return after_sale


def enter_return_tracking(after_sale: AfterSale, *, carrier: str, tracking_number: str) -> AfterSale:
    if not carrier.strip() or not tracking_number.strip():
        raise APIError("invalid_input", fields={"tracking_number": ["Give the carrier and the tracking number."]})
    _move(after_sale, (A.AWAITING_RETURN,), A.RETURN_SHIPPED, return_carrier=carrier.strip()[:40],
          return_tracking=tracking_number.strip()[:40])
    return after_sale


def confirm_returned(after_sale: AfterSale) -> AfterSale:
    """The merchant has the goods back: refund now."""
    if after_sale.status != A.RETURN_SHIPPED:
        raise APIError("illegal_transition", "The buyer has not sent the goods back yet.")
    _refund_due(after_sale)
    return after_sale


def count_refund(after_sale_id: int) -> bool:
    """Count an after-sale's units and amounts as refunded on its order's lines and the order,
    before its refund is sent: one compare-and-set per line, never past what was bought. False
    (and nothing counted) when the database refuses; the caller must not send the refund."""
    after_sale = db.session.get(AfterSale, (current_tenant_id(), after_sale_id))
    if after_sale is None or after_sale.status != A.REFUNDING:
        return False
    try:
        with db.session.begin_nested():
            for entry in after_sale.lines:
                counted = db.session.execute(
                    update(OrderLine).where(OrderLine.id == int(entry["line_id"]),
                                            OrderLine.order_id == after_sale.order_id,
                                            OrderLine.refunded_quantity + entry["quantity"] <= OrderLine.quantity)
                    .values(refunded_quantity=OrderLine.refunded_quantity + entry["quantity"],
                            refunded_amount=OrderLine.refunded_amount + entry["amount"])
                    .execution_options(synchronize_session=False))
                if counted.rowcount != 1:
                    raise _Refused()
            counted = db.session.execute(
                update(Order).where(Order.id == after_sale.order_id,
                                    Order.refunded_total + after_sale.amount <= Order.total)
                .values(refunded_total=Order.refunded_total + after_sale.amount)
                .execution_options(synchronize_session=False))
            if counted.rowcount != 1:
                raise _Refused()
    except _Refused:
        return False
    return True


def uncount_refund(after_sale_id: int) -> None:
    """Give back what `count_refund` counted (the provider finally refused the refund); the
    request stays `refunding`, and staff decide."""
    after_sale = db.session.get(AfterSale, (current_tenant_id(), after_sale_id))
    for entry in after_sale.lines:
        db.session.execute(update(OrderLine).where(OrderLine.id == int(entry["line_id"]),
                                                   OrderLine.refunded_quantity >= entry["quantity"])
                           .values(refunded_quantity=OrderLine.refunded_quantity - entry["quantity"],
                                   refunded_amount=OrderLine.refunded_amount - entry["amount"])
                           .execution_options(synchronize_session=False))
    db.session.execute(update(Order).where(Order.id == after_sale.order_id,
                                           Order.refunded_total >= after_sale.amount)
                       .values(refunded_total=Order.refunded_total - after_sale.amount)
                       .execution_options(synchronize_session=False))


class _Refused(Exception):
    """A compare-and-set changed no row: the savepoint goes back."""


def mark_refunded(after_sale_id: int, *, now: dt.datetime | None = None) -> bool:
    """The provider refunded (the amounts were counted before it was asked): waive the balance the
    units no longer owe at the shop, give stock back,
    let the price steps give back their share of the refunded units (`release_lines`), close an
    order refunded in full with nothing else in progress. Runs once (the status moves
    from refunding)."""
    after_sale = db.session.get(AfterSale, (current_tenant_id(), after_sale_id))
    if after_sale is None or after_sale.status != A.REFUNDING:
        return False
    now = now or utcnow()
    order = lock_order(after_sale.order_id)
    _move(after_sale, (A.REFUNDING,), A.REFUNDED, resolved_at=now)
    waived = sum(entry.get("waived", 0) for entry in after_sale.lines)
    if waived:  # no longer to pay at the shop
        db.session.execute(update(Order).where(Order.id == order.id, Order.balance_due >= waived)
                           .values(balance_due=Order.balance_due - waived).execution_options(synchronize_session=False))
        set_loaded(order, balance_due=order.balance_due - waived)
    order_lines = {line.id: line for line in lines_of([order.id], fresh=True)[order.id]}
    if after_sale.restock:
        release_lines_stock((order_lines[int(entry["line_id"])], entry["quantity"]) for entry in after_sale.lines)
    release_step_lines(order, _units(after_sale.lines), already=_refunded_before(after_sale),
                       quantities={line.id: line.quantity for line in order_lines.values()})
    everything = all(line.refunded_quantity == line.quantity for line in order_lines.values())
    if everything and not _held(order.id):
        transition(order, "close", actor="system", note="Refunded in full", now=now)
    emit("after_sale.refunded.v1", {"after_sale_id": str(after_sale.id), "order_id": str(order.id),
                                    "consumer_id": str(after_sale.consumer_id),
                                    "amount": {"amount": after_sale.amount, "currency": order.currency}})
    return True


def after_sales_of(order_id: int) -> list[AfterSale]:
    return list(db.session.scalars(select(AfterSale).where(AfterSale.order_id == order_id).order_by(AfterSale.id)))


"""What happens to an order after checkout: payment, cancellation (stock goes back), shipping,
readiness, receipt, verification codes (核销), and the deadlines swept by `tasks`."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import String, bindparam, cast, func, select, update

from core.db import db, set_loaded, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.events import emit
from core.money import Money
from core.paging import newest_first
from core.tenancy import current_tenant_id, execute, inserts_together, of_tenant
from engines.catalog.services import release_stock
from engines.orders import events as _events  # noqa: F401  declares the events emitted here
from engines.orders.models import AfterSale, AfterSaleStatus, FulfillmentType, Order, OrderLine, OrderStatus
from engines.orders.pricing import commit_steps, release_steps
from engines.orders.transitions import PAID_STATES, record_note, transition

register_codes({
    "code_not_valid": (404, "This code does not belong to an order of this shop."),
    "code_used": (409, "This code has already been used."),
    "order_not_paid": (409, "This order has not been paid."),
    "after_sale_open": (409, "This order has an after-sales request in progress."),
    "balance_due": (409, "This order still has its balance to pay at the shop: record that it was paid first."),
})

OPEN_AFTER_SALES = (AfterSaleStatus.REQUESTED, AfterSaleStatus.AWAITING_RETURN, AfterSaleStatus.RETURN_SHIPPED,
                    AfterSaleStatus.REFUNDING)


def find_order(order_id: int, *, consumer_id: int | None = None, for_update: bool = False) -> Order:
    """An order of this shop (of this consumer, when given); 404 otherwise — another consumer's
    order is as invisible as another tenant's."""
    statement = select(Order).where(Order.id == order_id)
    if consumer_id is not None:
        statement = statement.where(Order.consumer_id == consumer_id)
    order = db.session.scalar(statement.with_for_update() if for_update else statement)
    if order is None:
        raise APIError("not_found", "There is no such order.")
    return order


def lock_order(order_id: int) -> Order:
    """The order, re-read under its row lock (FOR UPDATE on PostgreSQL; SQLite's writes are
    serialised already): after-sales requests and refunds of one order run one at a time."""
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                              .execution_options(populate_existing=True))
    if order is None:
        raise APIError("not_found", "There is no such order.")
    return order


def flag_order(order_id: int, note: str, *, now: dt.datetime | None = None) -> None:
    """Ask staff to look at an order (shown on it and listed under "Needs attention")."""
    db.session.execute(update(Order).where(Order.id == order_id)
                       .values(attention=note[:200], attention_at=now or utcnow())
                       .execution_options(synchronize_session=False))


def clear_flag(order: Order) -> None:
    order.attention, order.attention_at = "", None


def lines_of(order_ids: list[int], *, fresh: bool = False) -> dict[int, list[OrderLine]]:
    """The lines of some orders; `fresh` re-reads rows the session may hold already."""
    out: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        statement = select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)
        if fresh:
            statement = statement.execution_options(populate_existing=True)
        for line in db.session.scalars(statement):
            out[line.order_id].append(line)
    return out


def release_lines_stock(units) -> None:
    """Give back to stock `(line, quantity)` units of order lines, by SKU; a booked line's capacity
    is the booking engine's (it follows order.cancelled.v1 and after_sale.refunded.v1), not stock."""
    released: dict[int, int] = {}
    for line, quantity in units:
        if not line.booked:
            released[line.sku_id] = released.get(line.sku_id, 0) + quantity
    release_stock(released)


def cancel_order(order: Order, *, actor: str, reason: str = "", now: dt.datetime | None = None) -> Order:
    """Cancel an unpaid order and give back its stock and what its price steps held."""
    transition(order, "cancel", actor=actor, note=reason, now=now)
    release_lines_stock((line, line.quantity) for line in lines_of([order.id])[order.id])
    release_steps(order)  # the coupons, points and budgets its price steps held
    emit("order.cancelled.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id), "reason": reason})
    return order


def mark_paid(order: Order | SimpleNamespace, *, actor: str, now: dt.datetime | None = None) -> bool:
    """Record the payment of an order awaiting it; False when the order can no longer be paid
    (cancelled, or paid already) — the caller refunds that payment."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    sold = getattr(order, "sold", None)  # read with the order by a statement that had it to hand
    sold = _sold_lines(sold) if sold is not None else [
        {"item_id": str(row.item_id), "sku_id": str(row.sku_id), "quantity": int(row.quantity)}
        for row in execute(_SOLD, {"order_id": order.id})]
    try:
        # the order's move, its transitions' rows, the event, the steps' uses: one statement on PostgreSQL, the move
        # guarding the rest
        with inserts_together():
            transition(order, "pay", actor=actor, now=now, guarding=True)
            if order.fulfillment_type in (FulfillmentType.EXPRESS, FulfillmentType.SAME_CITY):
                transition(order, "await_shipment", actor="system", now=now)
            emit("order.paid.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                   "total": {"amount": order.total, "currency": order.currency}, "lines": sold})
            commit_steps(order)  # what its price steps held is used (a coupon's copy: with these rows)
    except APIError as error:
        if error.code != "illegal_transition":
            raise
        return False  # another payment or the timeout won the race: nothing of the above was written
    return True


def ship(order: Order, *, carrier: str, tracking_number: str, actor: str, now: dt.datetime | None = None) -> Order:
    carrier, tracking_number = carrier.strip()[:40], tracking_number.strip()[:40]
    if order.fulfillment_type == FulfillmentType.EXPRESS and not (carrier and tracking_number):
        raise APIError("invalid_input", fields={"tracking_number": ["Give the carrier and the tracking number."]})
    _no_open_after_sale(order)
    now = now or utcnow()
    transition(order, "ship", actor=actor, now=now, carrier=carrier, tracking_number=tracking_number,
               complete_by=now + dt.timedelta(days=flow_settings("orders")["complete_days"]))
    emit("order.shipped.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id), "carrier": carrier,
                              "tracking_number": tracking_number})
    return order


def advance(order: Order, event: str, *, actor: str) -> Order:
    """The merchant's simple moves: mark_ready, start_preparation, start_service."""
    if event not in ("mark_ready", "start_preparation", "start_service"):
        raise APIError("illegal_transition", extra={"status": order.status.value, "event": event})
    return transition(order, event, actor=actor)


def deliver(order: Order, *, actor: str, now: dt.datetime | None = None) -> Order:
    """A paid purchase handed over by the engine that sells it (a member card activated, a booking
    served): the order completes — once nothing is left to pay at the shop (409 balance_due)."""
    _nothing_due(order)
    transition(order, "deliver", actor=actor, now=now)
    emit("order.completed.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                "total": {"amount": order.total, "currency": order.currency}})
    return order


def settle_balance(order: Order, *, actor: str, now: dt.datetime | None = None) -> int:
    """The balance of an order paid by a deposit was paid at the shop: nothing is due any more,
    and the order's timeline says so. The caller holds the order's row lock and records the money
    (engines.payments.counter); 409 while an after-sales request of it is in progress (it may waive
    part of the balance). Returns the amount settled."""
    _no_open_after_sale(order)
    amount = order.balance_due
    if order.status not in PAID_STATES or amount == 0:
        raise APIError("illegal_transition", "This order has no balance to pay at the shop.",
                       extra={"status": order.status.value, "event": "settle_balance"})
    now = now or utcnow()
    db.session.execute(update(Order).where(Order.id == order.id, Order.balance_due == amount)
                       .values(balance_due=0, updated_at=now).execution_options(synchronize_session=False))
    set_loaded(order, balance_due=0, updated_at=now)
    record_note(order, "settle_balance", actor=actor, note=f"Balance of {Money(amount, order.currency).format()} "
                                                           "paid at the shop", at=now)
    emit("order.balance_paid.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                   "amount": {"amount": amount, "currency": order.currency}})
    return amount


def confirm_receipt(order: Order, *, actor: str, now: dt.datetime | None = None) -> Order:
    transition(order, "confirm_receipt", actor=actor, now=now)
    emit("order.completed.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                "total": {"amount": order.total, "currency": order.currency}})
    return order


def has_open_after_sale(order: Order) -> bool:
    return db.session.scalar(select(AfterSale.id).where(AfterSale.order_id == order.id,
                                                        AfterSale.status.in_(OPEN_AFTER_SALES))) is not None


def _no_open_after_sale(order: Order) -> None:
    if has_open_after_sale(order):
        raise APIError("after_sale_open")


def _nothing_due(order: Order) -> None:
    """An order paid by a deposit completes only once its balance was paid at the shop."""
    if order.balance_due:
        raise APIError("balance_due", extra={"balance_due": Money(order.balance_due, order.currency).to_json()})


def order_for_code(code: str) -> Order:
    """The order a verification code belongs to, checked as the clerk's preview shows it:
    unknown (or another shop's) codes, unpaid and refunding orders and used codes are refused."""
    code = "".join(ch for ch in str(code) if ch.isascii() and ch.isdigit())[:12]
    order = db.session.scalar(select(Order).where(Order.verification_code == code)) if len(code) == 12 else None
    if order is None:
        raise APIError("code_not_valid")
    if order.verified_at is not None:
        raise APIError("code_used", extra={"verified_at": order.verified_at.isoformat()})
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        raise APIError("order_not_paid")
    if order.status == OrderStatus.CLOSED:
        raise APIError("code_not_valid", "This order was refunded.")
    _no_open_after_sale(order)
    _nothing_due(order)
    return order


def verify_code(code: str, *, actor: str, now: dt.datetime | None = None) -> Order:
    """Use a code once: the order completes. Two clerks scanning at once: one wins, one gets 409."""
    order = order_for_code(code)
    now = now or utcnow()
    try:
        transition(order, "verify", actor=actor, now=now, verified_at=now)
    except APIError:
        raise APIError("code_used") from None
    emit("order.completed.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                "total": {"amount": order.total, "currency": order.currency}})
    return order


def overdue(status: OrderStatus, column, now: dt.datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(tenant_id, order_id) of orders past a deadline, across tenants (the sweepers' read)."""
    return [tuple(row) for row in db.session.execute(
        select(Order.tenant_id, Order.id).where(Order.status == status, column < now).order_by(column).limit(limit))]


def expire_unpaid(order_id: int, now: dt.datetime | None = None) -> bool:
    """Cancel an order whose payment deadline passed; False if it was paid or cancelled meanwhile."""
    now = now or utcnow()
    order = db.session.get(Order, (current_tenant_id(), order_id))
    if order is None or order.status != OrderStatus.PENDING_PAYMENT or order.pay_by > now:
        return False
    try:
        cancel_order(order, actor="system", reason="Not paid in time", now=now)
    except APIError:
        return False
    return True


def complete_shipped(order_id: int, now: dt.datetime | None = None) -> bool:
    """Confirm receipt for the buyer N days after shipping (unless an after-sale is open)."""
    now = now or utcnow()
    order = db.session.get(Order, (current_tenant_id(), order_id))
    if order is None or order.status != OrderStatus.SHIPPED or order.complete_by > now:
        return False
    if has_open_after_sale(order):
        return False
    try:
        confirm_receipt(order, actor="system", now=now)
    except APIError:
        return False
    return True


def orders_of(consumer_id: int | None, *, statuses: list[str] | None = None, before: int | None = None,
              limit: int = 20) -> tuple[list[Order], int | None]:
    """A page of orders, newest first (a consumer's, or the shop's when consumer_id is None)."""
    statement = select(Order)
    if consumer_id is not None:
        statement = statement.where(Order.consumer_id == consumer_id)
    if statuses:
        statement = statement.where(Order.status.in_(statuses))
    return newest_first(statement, Order.id, limit=limit, before=before)


_lines = OrderLine.__table__
# What an order sold, item by item (order.paid.v1 carries it: the catalog counts its sales).
_SOLD = (select(_lines.c.item_id, _lines.c.sku_id, func.sum(_lines.c.quantity).label("quantity"))
         .where(of_tenant(_lines), _lines.c.order_id == bindparam("order_id"))
         .group_by(_lines.c.item_id, _lines.c.sku_id).order_by(_lines.c.item_id, _lines.c.sku_id))


def sold_column(tenant_id, order_id):
    """What the order `order_id` sold, as a column a statement that reads the order can return
    (PostgreSQL: one JSON array of [item id, SKU id, quantity], a line each) and hand to
    `mark_paid` as the order's `sold`, which then need not ask."""
    return (select(func.json_agg(func.json_build_array(cast(_lines.c.item_id, String), cast(_lines.c.sku_id, String),
                                                       _lines.c.quantity)))
            .where(_lines.c.tenant_id == tenant_id, _lines.c.order_id == order_id)
            .scalar_subquery().label("sold"))


def _sold_lines(lines: list) -> list[dict]:
    """`sold_column`'s lines as _SOLD answers them: a row per item and SKU, quantities summed."""
    quantities: dict[tuple[str, str], int] = {}
    for item_id, sku_id, quantity in lines:
        quantities[item_id, sku_id] = quantities.get((item_id, sku_id), 0) + quantity
    return [{"item_id": item_id, "sku_id": sku_id, "quantity": quantity}
            for (item_id, sku_id), quantity in sorted(quantities.items(), key=lambda entry: (int(entry[0][0]),
                                                                                             int(entry[0][1])))]

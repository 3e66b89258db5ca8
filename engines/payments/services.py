"""The payments write path: start a payment of an order, apply a provider's outcome exactly once,
open a refund (a late or second payment in full, an after-sale by its amount) and give one up.
Sending refunds to the provider, and retrying them, is `tasks`'s."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import bindparam, select, update

from sqlalchemy.exc import IntegrityError

from core.db import add_unique, db, set_loaded, utcnow
from core.errors import APIError, register_codes
from core.ids import new_id
from core.jobs import enqueue
from core.money import Money
from core.tenancy import current_tenant, current_tenant_id, execute, insert_rows, new_row, of_tenant, transaction_dialect
from engines.orders.services import (Order, OrderStatus, find_order, flag_order, guard_checkout,
                                     mark_paid, place_order, sold_column, uncount_refund)
from engines.payments.accounts import register_provider, require_any_enabled, require_enabled  # noqa: F401  offered to other engines
from engines.payments.models import Payment, PaymentStatus, ProviderEvent, Refund, RefundStatus
from engines.payments.providers import Provider, provider

log = logging.getLogger(__name__)

register_codes({
    "order_not_payable": (409, "This order cannot be paid: it is paid already, cancelled or past its deadline."),
    "provider_unavailable": (503, "The payment provider is unavailable; try again in a moment."),
})

RETRY_REFUNDS_AFTER = dt.timedelta(minutes=5)  # a refund left pending or unanswered this long is sent again
MAX_REFUND_ATTEMPTS = 5  # then it fails and staff are alerted on the order


class _Seen(Exception):
    pass


guard_checkout(require_any_enabled)  # an order nobody could pay would only hold stock


def start_payment(*, order_id: int, consumer_id: int, provider_name: str | None, now: dt.datetime | None = None
                  ) -> tuple[SimpleNamespace, dict]:
    """A new payment attempt for an order awaiting payment, with a provider the shop offers (None:
    the first it offers), and the consumer's next action."""
    chosen = provider(require_enabled(provider_name))
    order = execute(_PAYABLE, {"order_id": order_id, "consumer_id": consumer_id}).first()
    if order is None:
        raise APIError("not_found", "There is no such order.")
    if order.status != OrderStatus.PENDING_PAYMENT or order.pay_by <= (now or utcnow()):
        raise APIError("order_not_payable", extra={"status": order.status.value})
    payment, next_action = _started(chosen, order)
    insert_rows(Payment, [payment])
    return payment, next_action


def place_and_pay(*, provider_name: str | None, **checkout) -> tuple[SimpleNamespace, list, SimpleNamespace, dict]:
    """Checkout and the start of the order's payment in one call (the H5 checkout; a real
    mini-program's "submit order" answers the pay parameters too): the order as `place_order`
    places it, its payment started before any lock is taken — Stripe is called out to — and
    written with the order's rows. Returns the order, its lines, the payment and the consumer's
    next action (no payment and {"type": "paid"} for an order with nothing to pay). A payment started for an order that is then refused (409 out of stock) is never
    written; at Stripe, its PaymentIntent stays unconfirmed. The provider must be one the shop
    offers (None: the first it offers)."""
    chosen = provider(require_enabled(provider_name))
    started = {}

    def pay(order: SimpleNamespace):
        started["payment"], started["next_action"] = _started(chosen, order)
        return lambda: insert_rows(Payment, [started["payment"]])

    order, lines = place_order(pay=pay, **checkout)
    if "payment" not in started:  # nothing to pay: paid as it was placed
        return order, lines, None, {"type": "paid"}
    return order, lines, started["payment"], started["next_action"]


def _started(chosen: Provider, order) -> tuple[SimpleNamespace, dict]:
    """A pending payment of the order — all of it, or the deposit of one paid so (what is not
    its balance due at the shop) — started at the provider (its reference set before the row is
    written: one INSERT), and the consumer's next action."""
    payment = new_row(Payment, id=new_id(), order_id=order.id, provider=chosen.name,
                      amount=order.total - order.balance_due,
                      currency=order.currency, status=PaymentStatus.PENDING, refunded=0)
    return payment, chosen.start(payment)


def payment_of(payment_id: int, *, consumer_id: int) -> Payment:
    """One payment of the consumer's orders (another consumer's is as absent as none)."""
    payment = db.session.get(Payment, (current_tenant_id(), payment_id))
    if payment is None:
        raise APIError("not_found", "There is no such payment.")
    find_order(payment.order_id, consumer_id=consumer_id)  # 404 when the order is not theirs
    return payment


def payment_with_order(payment_id: int) -> tuple[SimpleNamespace, SimpleNamespace]:
    """A payment and what settling it needs of its order, in one prepared query, as plain rows
    (the pay page reads both on every settlement)."""
    row = execute(_PAYMENT_WITH_ORDER, {"payment_id": payment_id}).first()
    if row is None:
        raise APIError("not_found", "There is no such payment.")
    return _split(row)


def orders_of_payments(payment_ids: list[int]) -> dict[int, int]:
    """{payment id: its order's id} of some payments of the shop."""
    if not payment_ids:
        return {}
    return dict(db.session.execute(select(Payment.id, Payment.order_id).where(Payment.id.in_(set(payment_ids)))).all())


def payment_by_ref(provider_name: str, ref: str) -> SimpleNamespace | None:
    """A payment by the provider's reference (a webhook names it so)."""
    row = execute(_PAYMENT_BY_REF, {"provider_name": provider_name, "ref": ref}).first()
    return SimpleNamespace(**row._asdict()) if row is not None else None


def _split(row) -> tuple[SimpleNamespace, SimpleNamespace]:
    values = tuple(row)
    return (SimpleNamespace(**dict(zip(_PAYMENT_FIELDS, values[:len(_PAYMENT_FIELDS)]))),
            SimpleNamespace(**dict(zip((*_ORDER_FIELDS, "sold"), values[len(_PAYMENT_FIELDS):]))))


def seen_before(provider_name: str, event_id: str) -> bool:
    """Record a provider event id; True if it was recorded already (a duplicate webhook)."""
    try:
        add_unique(ProviderEvent(provider=provider_name, event_id=event_id[:120]), _Seen())
    except _Seen:
        return True
    return False


def apply_outcome(payment: Payment | SimpleNamespace, *, succeeded: bool, details: dict | None = None,
                  now: dt.datetime | None = None, order: Order | SimpleNamespace | None = None) -> str:
    """Settle a pending payment once — 'paid', 'failed', 'refunding' (it came too late, or the
    order was paid by another payment: it is refunded in full) or 'already_settled'."""
    now = now or utcnow()
    target = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
    moved = execute(_SETTLE, {"payment_id": payment.id, "status": target, "settled_at": now, "details": details or {}})
    if moved.rowcount != 1:
        return "already_settled"
    set_loaded(payment, status=target, settled_at=now, details=details or {})
    return _settled(payment, succeeded=succeeded, now=now, order=order)


def settle_with_order(payment_id: int, *, succeeded: bool, details: dict | None = None,
                      now: dt.datetime | None = None) -> tuple[str, SimpleNamespace, SimpleNamespace] | None:
    """`apply_outcome` for a payment known by its id (the pay page): on PostgreSQL the
    compare-and-set and the read of the payment and its order in one statement (SQLite's
    RETURNING cannot name the joined table: read, then settle). None when there is no such
    pending payment (settled already, or none)."""
    now = now or utcnow()
    dialect = transaction_dialect()
    if dialect == "sqlite":
        row = execute(_PAYMENT_WITH_ORDER, {"payment_id": payment_id}).first()
        if row is None:
            return None
        payment, order = _split(row)
        outcome = apply_outcome(payment, succeeded=succeeded, details=details, now=now, order=order)
        return None if outcome == "already_settled" else (outcome, payment, order)
    target = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
    # PostgreSQL: with what the order sold, for order.paid.v1 (Citus refuses the subquery there)
    row = execute(_SETTLE_WITH_ORDER_AND_SOLD if dialect == "postgresql" else _SETTLE_WITH_ORDER, {
        "payment_id": payment_id, "status": target, "settled_at": now, "details": details or {}}).first()
    if row is None:
        return None
    payment, order = _split(row)
    payment.details = details or {}
    return _settled(payment, succeeded=succeeded, now=now, order=order), payment, order


def _settled(payment: Payment | SimpleNamespace, *, succeeded: bool, now: dt.datetime,
             order: Order | SimpleNamespace | None) -> str:
    """What a payment settled a moment ago means for its order: 'failed', 'paid', or 'refunding'
    (the order was cancelled or paid by another payment)."""
    if not succeeded:
        return "failed"
    order = order or find_order(payment.order_id)
    if mark_paid(order, actor=f"provider:{payment.provider}", now=now):
        return "paid"
    reason = "late_payment" if order.status == OrderStatus.CANCELLED else "duplicate_payment"
    refund = open_refund([(payment.id, payment.amount)], reason=reason, source_id=payment.id, order_id=order.id)
    log.info("payment %s of order %s came when the order was %s: refunding", payment.id, order.id, order.status)
    return "refunding" if refund is not None else "refund_refused"


def open_refund(parts: list[tuple[int, int]], *, reason: str, source_id: int, order_id: int,
                count: Callable[[], bool] | None = None) -> list[Refund] | None:
    """Pending refunds of one source — `parts`: (payment id, amount) of each payment it comes from
    (see `refund_parts`) — each amount counted on its payment first (compare-and-set: never more
    than was paid) and the whole by `count` (the after-sale's lines), then handed to the refund job
    once this transaction commits. None — nothing counted, nothing to send, staff alerted on the
    order — when the database refuses a count; the same refund asked for twice is one."""
    try:
        with db.session.begin_nested():
            refunds = [Refund(payment_id=payment_id, amount=amount, reason=reason, source_id=source_id, part=part)
                       for part, (payment_id, amount) in enumerate(parts)]
            db.session.add_all(refunds)
            db.session.flush()
            for refund in refunds:
                if execute(_COUNT_REFUND, {"payment_id": refund.payment_id, "refund_amount": refund.amount}
                           ).rowcount != 1:
                    raise _Refused()
            if count is not None and not count():
                raise _Refused()
    except IntegrityError:
        return None  # asked for already (a redelivered event): that refund goes its own way
    except _Refused:
        amount = sum(amount for _, amount in parts)
        flag_order(order_id, f"A refund of {Money(amount, current_tenant().currency).format()} was refused: it would "
                             "refund more than was paid. Nothing was sent to the payment provider.")
        log.error("refund of %s for %s %s refused by the database", amount, reason, source_id)
        return None
    for refund in refunds:
        enqueue("payments.refund", refund.id)
    return refunds


def refund_parts(payments: list[Payment], amount: int) -> list[tuple[int, int]]:
    """An amount to refund spread over an order's successful payments, the first paid refunded
    first, each up to what it has left; what none has left stays on the last (and the database
    refuses the whole: never more than was paid)."""
    parts: dict[int, int] = {}
    for payment in payments:
        part = min(amount, payment.amount - payment.refunded)
        if part > 0:
            parts[payment.id] = part
            amount -= part
    if amount:  # more than was paid: asked of the last payment, whose count the database refuses
        parts[payments[-1].id] = parts.get(payments[-1].id, 0) + amount
    return list(parts.items())


class _Refused(Exception):
    pass


def give_up_refund(refund_id: int, why: str, *, now: dt.datetime | None = None) -> bool:
    """Fail a refund that is not settled: give back what it counted, alert staff on its order."""
    now = now or utcnow()
    failed = execute(_FAIL_REFUND, {"refund_id": refund_id, "failure": why[:200], "settled_at": now})
    if failed.rowcount != 1:
        return False
    refund = db.session.get(Refund, (current_tenant_id(), refund_id))
    execute(_UNCOUNT_REFUND, {"payment_id": refund.payment_id, "refund_amount": refund.amount})
    if refund.reason == "after_sale" and not _has_other_parts(refund):
        uncount_refund(refund.source_id)  # (of a refund in parts, some may have been paid: the lines stay counted)
    payment = db.session.get(Payment, (refund.tenant_id, refund.payment_id))
    flag_order(payment.order_id, f"Refund of {Money(refund.amount, payment.currency).format()} failed: {why}. "
                                 "Refund the buyer another way, or ask for help.", now=now)
    log.error("refund %s failed: %s", refund_id, why)
    return True


def _has_other_parts(refund: Refund) -> bool:
    return db.session.scalar(select(Refund.id).where(Refund.reason == refund.reason, Refund.source_id == refund.source_id,
                                                     Refund.id != refund.id).limit(1)) is not None


_payments, _orders = Payment.__table__, Order.__table__
_PAYABLE = select(_orders.c.id, _orders.c.status, _orders.c.pay_by, _orders.c.total, _orders.c.balance_due,
                  _orders.c.currency).where(
    of_tenant(_orders), _orders.c.id == bindparam("order_id"), _orders.c.consumer_id == bindparam("consumer_id"))
# What settling a payment and the pay page read (not the order's JSON snapshots).
_PAYMENT_FIELDS = ("tenant_id", "id", "order_id", "provider", "provider_ref", "amount", "currency", "status",
                   "refunded", "settled_at")
_ORDER_FIELDS = ("tenant_id", "id", "number", "consumer_id", "status", "fulfillment_type", "total", "currency",
                 "pricing")  # the price steps: whether any hooked step left an adjustment to commit
_PAYMENT_WITH_ORDER = (select(*(_payments.c[name] for name in _PAYMENT_FIELDS),
                              *(_orders.c[name] for name in _ORDER_FIELDS))
                       .join_from(_payments, _orders, (_orders.c.tenant_id == _payments.c.tenant_id)
                                  & (_orders.c.id == _payments.c.order_id))
                       .where(of_tenant(_payments), _payments.c.id == bindparam("payment_id")))
_PAYMENT_BY_REF = select(_payments).where(of_tenant(_payments), _payments.c.provider == bindparam("provider_name"),
                                          _payments.c.provider_ref == bindparam("ref"))
_refunds = Refund.__table__
# A refund's amount counted on its payment, never past what was paid.
_COUNT_REFUND = update(_payments).where(
    of_tenant(_payments), _payments.c.id == bindparam("payment_id"), _payments.c.status == PaymentStatus.SUCCEEDED,
    _payments.c.refunded + bindparam("refund_amount") <= _payments.c.amount).values(
    refunded=_payments.c.refunded + bindparam("refund_amount"))
_UNCOUNT_REFUND = update(_payments).where(
    of_tenant(_payments), _payments.c.id == bindparam("payment_id"),
    _payments.c.refunded >= bindparam("refund_amount")).values(refunded=_payments.c.refunded - bindparam("refund_amount"))
_FAIL_REFUND = update(_refunds).where(
    of_tenant(_refunds), _refunds.c.id == bindparam("refund_id"),
    _refunds.c.status.in_((RefundStatus.PENDING, RefundStatus.SENDING))).values(
    status=RefundStatus.FAILED, failure=bindparam("failure"), settled_at=bindparam("settled_at"))
# The compare-and-set that settles a payment once (SET: status, settled_at, details).
_SETTLE = update(_payments).where(of_tenant(_payments), _payments.c.id == bindparam("payment_id"),
                                  _payments.c.status == PaymentStatus.PENDING)
# The same, answering what _PAYMENT_WITH_ORDER reads (UPDATE … FROM orders … RETURNING).
_SETTLE_WITH_ORDER = _SETTLE.where(_orders.c.tenant_id == _payments.c.tenant_id,
                                   _orders.c.id == _payments.c.order_id).returning(
    *(_payments.c[name] for name in _PAYMENT_FIELDS), *(_orders.c[name] for name in _ORDER_FIELDS))
_SETTLE_WITH_ORDER_AND_SOLD = _SETTLE_WITH_ORDER.returning(
    sold_column(_orders.c.tenant_id, _orders.c.id))  # the order's lines, for order.paid.v1 (mark_paid)

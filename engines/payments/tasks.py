"""The payments engine's jobs and handlers: send a refund to its provider (claimed, counted,
retried a bounded number of times), refund an approved after-sale, and the retry sweep."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import bindparam, select, update

from core.db import db, utcnow
from core.engines import hold_deletion
from core.events import on
from core.jobs import job, periodic, run_per_tenant
from core.tenancy import current_tenant_id, execute, of_tenant, platform_scope
from engines.orders.services import count_refund, flag_order, lock_order, mark_refunded
from engines.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from engines.payments.providers import provider
from engines.payments.services import (MAX_REFUND_ATTEMPTS, RETRY_REFUNDS_AFTER, give_up_refund, open_refund,
                                       refund_parts)

log = logging.getLogger(__name__)


@job("payments.refund")
def execute_refund(refund_id: int, now: dt.datetime | None = None) -> str:
    """Hand a refund to its provider once, and record the answer. The attempt is claimed and
    committed before the provider is called (a crash or an outage leaves it `sending`, and the
    sweep sends it again with the same idempotency key, so the provider refunds once); after
    MAX_REFUND_ATTEMPTS it fails and staff are alerted. Returns the refund's new status, or
    'skipped' when another run has it."""
    now = now or utcnow()
    claimed = execute(_CLAIM_REFUND, {"refund_id": refund_id, "at": now, "stale": now - RETRY_REFUNDS_AFTER,
                                      "max_attempts": MAX_REFUND_ATTEMPTS}).first()
    if claimed is None:
        return "skipped"
    db.session.commit()  # the attempt counts even if what follows never ends
    refund = db.session.get(Refund, (current_tenant_id(), refund_id))
    payment = db.session.get(Payment, (refund.tenant_id, refund.payment_id))
    try:
        status, reference = provider(payment.provider).refund(payment, refund)
    except Exception as error:  # the provider is down or slow: the sweep tries again
        log.warning("refund %s, attempt %s: the provider did not answer (%s)", refund.id, claimed.attempts, error)
        db.session.rollback()
        if claimed.attempts >= MAX_REFUND_ATTEMPTS:
            give_up_refund(refund.id, f"the payment provider did not answer {claimed.attempts} times", now=now)
            return RefundStatus.FAILED
        return RefundStatus.SENDING
    if status == "succeeded":
        if refund.reason == "after_sale":  # the parts of one after-sale settle one at a time: the last marks it
            lock_order(payment.order_id)
        settled = execute(_SETTLE_REFUND, {"refund_id": refund.id, "status": RefundStatus.SUCCEEDED,
                                           "provider_ref": reference, "settled_at": utcnow(), "failure": ""})
        if settled.rowcount == 1 and refund.reason == "after_sale" and _every_part_refunded(refund.source_id):
            mark_refunded(refund.source_id)
        return RefundStatus.SUCCEEDED
    give_up_refund(refund.id, "the payment provider refused it", now=now)
    return RefundStatus.FAILED


def _every_part_refunded(after_sale_id: int) -> bool:
    return db.session.scalar(select(Refund.id).where(Refund.reason == "after_sale", Refund.source_id == after_sale_id,
                                                     Refund.status != RefundStatus.SUCCEEDED).limit(1)) is None


# named as it was before it moved here: the name is its key in the dedupe table
@on("after_sale.refund_due.v1", handler="engines.payments.services.refund_after_sale")
def refund_after_sale(payload: dict, event) -> None:
    """An approved after-sale: refund its amount from the payments that paid the order (a deposit's
    first, then its balance's, each up to what it has left)."""
    after_sale_id, order_id = int(payload["after_sale_id"]), int(payload["order_id"])
    amount = payload["amount"]  # {"amount", "currency"}; a bare int in rows written before the contracts
    amount = int(amount["amount"] if isinstance(amount, dict) else amount)
    if amount == 0:  # units paid wholly in points: nothing goes through a provider
        if count_refund(after_sale_id):
            mark_refunded(after_sale_id)
        return
    payments = list(db.session.scalars(select(Payment).where(Payment.order_id == order_id,
                                                             Payment.status == PaymentStatus.SUCCEEDED)
                                       .order_by(Payment.settled_at, Payment.id)))
    if not payments:
        log.error("after-sale %s: order %s has no successful payment to refund", after_sale_id, order_id)
        flag_order(order_id, "An approved refund found no successful payment to refund.")
        return
    open_refund(refund_parts(payments, amount), reason="after_sale", source_id=after_sale_id, order_id=order_id,
                count=lambda: count_refund(after_sale_id))


@periodic("payments.retry_refunds", seconds=300)
def retry_refunds(now: dt.datetime | None = None) -> int:
    """Send again the refunds left pending or unanswered for a while (the provider was down, a
    worker died); each is tried MAX_REFUND_ATTEMPTS times at most. Returns how many succeeded."""
    now = now or utcnow()
    with platform_scope():
        rows = [tuple(row) for row in db.session.execute(select(Refund.tenant_id, Refund.id).where(
            Refund.status.in_((RefundStatus.PENDING, RefundStatus.SENDING)),
            Refund.last_attempt_at < now - RETRY_REFUNDS_AFTER).order_by(Refund.last_attempt_at).limit(200))]
    return run_per_tenant(rows, lambda refund_id: _retry(refund_id, now) == RefundStatus.SUCCEEDED)


def _retry(refund_id: int, now: dt.datetime) -> str:
    refund = db.session.get(Refund, (current_tenant_id(), refund_id))
    if refund is not None and refund.attempts >= MAX_REFUND_ATTEMPTS:
        give_up_refund(refund_id, f"the payment provider did not answer {refund.attempts} times", now=now)
        return RefundStatus.FAILED
    return execute_refund(refund_id, now)



_refunds = Refund.__table__
# One attempt: a pending refund, or one left unanswered for a while, while attempts remain.
_CLAIM_REFUND = update(_refunds).where(
    of_tenant(_refunds), _refunds.c.id == bindparam("refund_id"), _refunds.c.attempts < bindparam("max_attempts"),
    (_refunds.c.status == RefundStatus.PENDING)
    | ((_refunds.c.status == RefundStatus.SENDING) & (_refunds.c.last_attempt_at < bindparam("stale")))
).values(status=RefundStatus.SENDING, attempts=_refunds.c.attempts + 1,
         last_attempt_at=bindparam("at")).returning(_refunds.c.attempts)
_SETTLE_REFUND = update(_refunds).where(of_tenant(_refunds), _refunds.c.id == bindparam("refund_id"),
                                        _refunds.c.status == RefundStatus.SENDING)
from engines.payments import counter  # noqa: E402,F401  the counter provider: registered in every process


@hold_deletion
def refunds_on_their_way() -> str | None:
    """A shop being deleted waits for its refunds still pending or sent (money in flight first)."""
    waiting = db.session.scalar(select(Refund.id).where(Refund.status.in_((RefundStatus.PENDING, RefundStatus.SENDING)))
                                .limit(1))
    return "refunds on their way" if waiting is not None else None

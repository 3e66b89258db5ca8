"""Paid at the shop — cash, or the shop's own card terminal — and recorded by its staff: the
`counter` provider. Consumers are never offered it (checkout and the pay API refuse it as a
provider the shop does not offer); the back office records such a payment for an order awaiting
payment (a booking taken at the desk or by phone), or for the balance of an order paid online by
a deposit (collected on the day), settled at once. Its refunds are handed back
at the shop, so they succeed as they are made — and the order asks staff to hand the money back."""

from __future__ import annotations

import datetime as dt

from core.db import utcnow
from core.errors import APIError
from core.ids import new_id
from core.tenancy import insert_rows, new_row
from core.money import Money
from engines.orders.services import OrderStatus, find_order, flag_order, lock_order, settle_balance
from engines.payments.accounts import register_provider
from engines.payments.models import Payment, PaymentStatus
from engines.payments.services import apply_outcome

COUNTER = "counter"


class CounterProvider:
    name = COUNTER

    def offered(self) -> bool:
        return False  # recorded by staff, never chosen by a consumer

    def start(self, payment) -> dict:
        payment.provider_ref = f"ctr_{payment.id}"
        return {"type": "counter"}

    def refund(self, payment, refund) -> tuple[str, str]:
        """Settled as it is made; the order asks staff to hand the money back (Needs attention)."""
        flag_order(payment.order_id, f"Hand back {Money(refund.amount, payment.currency).format()} at the shop: this "
                                     "order was paid there, and its refund is yours to give.")
        return "succeeded", f"ctrr_{refund.id}"


register_provider(CounterProvider())


def _recorded(order, amount: int, **values) -> Payment:
    """A counter payment of `amount` for an order, its reference set, written."""
    payment = new_row(Payment, id=new_id(), order_id=order.id, provider=COUNTER, amount=amount,
                      currency=order.currency, refunded=0, provider_ref="", **values)
    CounterProvider().start(payment)
    insert_rows(Payment, [payment])
    return payment


def paid_at_counter(order_id: int, *, actor: str, now: dt.datetime | None = None) -> Payment:
    """Record that an order awaiting payment was paid in full at the shop: a payment by the
    counter, settled at once (the order is paid). 409 order_not_payable when it is not awaiting
    payment."""
    order = find_order(order_id, for_update=True)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise APIError("order_not_payable", extra={"status": order.status.value})
    payment = _recorded(order, order.total, status=PaymentStatus.PENDING)
    apply_outcome(payment, succeeded=True, details={"recorded_by": actor}, now=now, order=order)
    return payment


def balance_paid_at_counter(order_id: int, *, actor: str, now: dt.datetime | None = None) -> Payment:
    """Record that the balance of an order paid by a deposit was paid at the shop: a payment by the
    counter of that balance, settled at once, and nothing left due (409 when there is no balance
    due, or an after-sales request of the order is in progress). Under the order's row lock: two
    clerks recording it at once record it once."""
    order = lock_order(order_id)
    amount = order.balance_due
    settle_balance(order, actor=actor, now=now)
    return _recorded(order, amount, status=PaymentStatus.SUCCEEDED, settled_at=now or utcnow(),
                     details={"recorded_by": actor, "balance": True})

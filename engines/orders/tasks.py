"""Jobs and sweepers of the orders engine. Deadlines are columns on the orders (`pay_by`,
`complete_by`); the sweepers enforce them across tenants with an injectable clock (DESIGN.md §4).
No delayed job per order: the payment sweep runs every minute, so an unpaid order is cancelled at
most a minute after its deadline, and a checkout costs no extra round trip to the job queue."""

from __future__ import annotations

import datetime as dt

from core.db import utcnow
from core.jobs import periodic, run_per_tenant
from core.tenancy import platform_scope
from engines.orders.lifecycle import complete_shipped, expire_unpaid, overdue
from engines.orders.models import Order, OrderStatus


def _sweep(status: OrderStatus, column, apply, now: dt.datetime | None) -> int:
    now = now or utcnow()
    with platform_scope():
        due = overdue(status, column, now)
    return run_per_tenant(due, lambda order_id: apply(order_id, now))


@periodic("orders.cancel_unpaid", seconds=60)
def cancel_unpaid(now: dt.datetime | None = None) -> int:
    """Cancel every order whose payment deadline has passed (stock goes back)."""
    return _sweep(OrderStatus.PENDING_PAYMENT, Order.pay_by, expire_unpaid, now)


@periodic("orders.complete_shipped", seconds=3600)
def complete_overdue_shipments(now: dt.datetime | None = None) -> int:
    """Confirm receipt of shipped orders N days after shipping."""
    return _sweep(OrderStatus.SHIPPED, Order.complete_by, complete_shipped, now)

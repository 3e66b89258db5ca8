"""What each marketing tool has brought in, as its list and page in the back office and the Admin
API show it: the paid orders that carry one of its adjustments, what those orders came to (GMV) and
what it took off them (its cost, a positive amount); a coupon adds the copies issued (claimed or
sent) and used, which its row counts as they happen.

An order counts once it is paid, whatever became of it since (shipped, completed, or refunded in
full and closed: GMV is what was bought); an order never paid (pending, cancelled) does not. A
timed discount writes one adjustment per line it cuts: the order counts once, its cost is their
sum. One grouped query answers a whole list page.

The orders engine offers its `Order` through engines.orders.services (the one module of it other
engines import) but not its adjustments' model: their table is read from the shared metadata."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from core.db import db
from core.tenancy import current_tenant_id
from engines.marketing.models import Bundle, Coupon, FreeShippingRule, Promotion, TimedDiscount
from engines.orders.services import Order, OrderStatus

PAID = tuple(status for status in OrderStatus if status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED))
# The adjustments' `source_kind` of each tool (the price steps name their sources so).
SOURCE_KINDS = {Coupon: "coupon", Promotion: "promotion", TimedDiscount: "timed_discount", Bundle: "bundle",
                FreeShippingRule: "free_shipping_rule"}


@dataclasses.dataclass(frozen=True)
class Figures:
    """A tool's figures; money in minor units of the shop's currency. `issued` and `used` are a
    coupon's (None for the other tools)."""

    orders: int = 0
    gmv: int = 0
    cost: int = 0
    issued: int | None = None
    used: int | None = None


def figures_of(rows: list) -> dict[int, Figures]:
    """The figures of each row (of one of the tools: coupons, promotions, timed discounts, bundles,
    free-delivery rules), by id, in one query; no query for no rows."""
    if not rows:
        return {}
    counted = _counted(SOURCE_KINDS[type(rows[0])], sorted({row.id for row in rows}))
    if isinstance(rows[0], Coupon):
        return {row.id: dataclasses.replace(counted.get(row.id, Figures()), issued=row.issued_count,
                                            used=row.used_count) for row in rows}
    return {row.id: counted.get(row.id, Figures()) for row in rows}


def _counted(source_kind: str, ids: list[int]) -> dict[int, Figures]:
    """Orders, GMV and cost by source id, for the sources with a paid order."""
    adjustment = db.metadata.tables["order_adjustments"].c
    per_order = (
        select(adjustment.source_id.label("source_id"), Order.total.label("total"),
               func.sum(adjustment.amount).label("amount"))
        .join(Order, (Order.tenant_id == adjustment.tenant_id) & (Order.id == adjustment.order_id))
        .where(adjustment.tenant_id == current_tenant_id(), adjustment.source_kind == source_kind,
               adjustment.source_id.in_(ids), adjustment.amount < 0, Order.status.in_(PAID))
        .group_by(adjustment.source_id, Order.id, Order.total)
        .subquery())
    rows = db.session.execute(select(per_order.c.source_id, func.count(), func.sum(per_order.c.total),
                                     func.sum(per_order.c.amount)).group_by(per_order.c.source_id))
    return {source_id: Figures(orders=orders, gmv=int(gmv), cost=-int(amount))
            for source_id, orders, gmv, amount in rows}

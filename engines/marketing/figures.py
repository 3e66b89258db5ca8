"""What each marketing tool has brought in, as its list and page in the back office and the Admin
API show it: the paid orders that carry one of its adjustments, what those orders came to (GMV) and
what it took off them (its cost, a positive amount); a coupon adds the copies issued (claimed or
sent) and used, which its row counts as they happen.

An order counts once it is paid, whatever became of it since (shipped, completed, or refunded in
full and closed: GMV is what was bought); an order never paid (pending, cancelled) does not. A
timed discount writes one adjustment per line it cuts: the order counts once, its cost is their
sum. One grouped query answers a whole list page (engines.orders.services.sales_by_source)."""

from __future__ import annotations

import dataclasses

from engines.marketing.models import Bundle, Coupon, FreeShippingRule, Promotion, TimedDiscount
from engines.orders.services import sales_by_source

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
    counted = {source_id: Figures(orders=orders, gmv=gmv, cost=cost) for source_id, (orders, gmv, cost)
               in sales_by_source(SOURCE_KINDS[type(rows[0])], sorted({row.id for row in rows})).items()}
    if isinstance(rows[0], Coupon):
        return {row.id: dataclasses.replace(counted.get(row.id, Figures()), issued=row.issued_count,
                                            used=row.used_count) for row in rows}
    return {row.id: counted.get(row.id, Figures()) for row in rows}

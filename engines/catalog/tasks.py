"""The catalog's reactions to other engines' events."""

from __future__ import annotations

from sqlalchemy import bindparam, update

from core.events import on
from core.tenancy import execute, of_tenant
from engines.catalog.models import Item


@on("order.paid.v1")
def count_sales(payload: dict, event) -> None:
    """An order was paid: its items sold that many more (the best-selling order). Item by item in
    id order, so two orders' counts never wait on each other in a cycle."""
    sold: dict[int, int] = {}
    for line in payload["lines"]:
        sold[int(line["item_id"])] = sold.get(int(line["item_id"]), 0) + line["quantity"]
    for item_id, quantity in sorted(sold.items()):
        execute(_COUNT_SALES, {"item_id": item_id, "sold": quantity})


_items = Item.__table__
_COUNT_SALES = update(_items).where(of_tenant(_items), _items.c.id == bindparam("item_id")).values(
    sales_count=_items.c.sales_count + bindparam("sold"))

"""The consumer API of the catalog: /api/v1/items, /api/v1/items/<id>, /api/v1/categories.

Every answer here is public — the same for every consumer of the shop (no member price, nothing
read from the bearer token) — so each is kept whole, as JSON bytes, in the page cache under the
shop, the endpoint, its normalised arguments, the shop's currency and its "catalog" stamp
(`core.cache.cached_json`), and served with an ETag (304 on If-None-Match). Catalog writes bump
the stamp after commit, in every process (Redis pub/sub), so the next answer is fresh at once.
A hit costs no database query.

What may lag, for display only: a reservation bumps the stamp only when it leaves a SKU at
LOW_STOCK (10) or fewer (see `reserve_stock`), so a larger `stock` may show more than is left
until the catalog next changes; the best-selling order moves with the catalog stamp too (a paid
order counts its sales without bumping it). Checkout never reads this cache: `reserve_stock` is
the check."""

from __future__ import annotations

from flask import Response, request

from core.api import api_blueprint, public_json
from core.paging import page_arguments
from core.cache import cached_json
from core.errors import APIError
from core.ids import parse_id
from core.openapi import api_doc
from core.tenancy import current_tenant
from engines.catalog.models import ItemKind
from engines.catalog.schemas import CategoriesOut, ItemAnswer, ItemDetailOut, ItemOut, ItemPageOut
from engines.catalog.services import category_tree, list_on_sale, on_sale_by_ids, skus_by_item

bp = api_blueprint("catalog_api", __name__, template_folder="templates")  # also finds the component templates

KINDS = ("catalog",)  # the data kinds these answers read
KIND_VALUES = frozenset(k.value for k in ItemKind)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    value = parse_id(raw)
    if value is None:
        raise APIError("invalid_input", fields={name: ["Not an id."]})
    return value


def _public(key: tuple, build) -> Response:
    """The cached answer for `key` in this shop (built on a miss), or 304 when the client holds
    it already. Public, revalidated on every use; shared caches keep one copy per shop."""
    tenant = current_tenant()
    return public_json(*cached_json(tenant.id, KINDS, (*key, tenant.currency), build))


@bp.get("/items")
@api_doc("Items on sale, newest first (or best-selling), with their SKUs", tags=["catalog"], response=ItemPageOut,
         query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor of the previous page", "category": "a category id "
                "(its subcategories included)", "kind": "physical | dish | service | virtual", "q": "words in the name",
                "order": "newest | best_selling"})
def items():
    limit, before = page_arguments()
    kind = request.args.get("kind") or None
    if kind and kind not in KIND_VALUES:
        raise APIError("invalid_input", fields={"kind": [f"Use one of {', '.join(k.value for k in ItemKind)}."]})
    order = request.args.get("order", "newest")
    if order not in ("newest", "best_selling"):
        raise APIError("invalid_input", fields={"order": ["Use newest or best_selling."]})
    category_id = _int_arg("category")
    raw_query = request.args.get("q")
    query = (raw_query or "").strip()[:60] or None  # what list_on_sale matches (blank matches every name)

    def build() -> dict:
        rows, next_cursor = list_on_sale(limit=limit, before=before, category_id=category_id, kind=kind,
                                         query=raw_query, order=order)
        skus = skus_by_item([i.id for i in rows])
        return {"items": ItemOut(many=True, skus=skus).dump(rows),
                "next_cursor": str(next_cursor) if next_cursor else None}

    return _public(("items", limit, before, category_id, kind, query, order), build)


@bp.get("/items/<int:item_id>")
@api_doc("One item on sale, with its SKUs and dish option groups", tags=["catalog"], response=ItemAnswer, errors=(404,))
def item(item_id: int):
    def build() -> dict:
        found = on_sale_by_ids([item_id]).get(item_id)
        if found is None:
            raise APIError("not_found", "There is no such item on sale.")
        return {"item": ItemDetailOut(skus=skus_by_item([item_id])).dump(found)}

    return _public(("item", item_id), build)


@bp.get("/categories")
@api_doc("The category tree (two levels)", tags=["catalog"], response=CategoriesOut)
def categories():
    return _public(("categories",), lambda: {"categories": category_tree()})

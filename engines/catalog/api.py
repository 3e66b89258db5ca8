"""The consumer API of the catalog: /api/v1/items, /api/v1/items/<id>, /api/v1/categories."""

from __future__ import annotations

from flask import jsonify, request

from core.api import api_blueprint
from core.errors import APIError
from core.ids import parse_id
from core.openapi import api_doc
from engines.catalog.models import ItemKind
from engines.catalog.schemas import CategoriesOut, ItemAnswer, ItemDetailOut, ItemOut, ItemPageOut
from engines.catalog.services import category_tree, list_on_sale, on_sale_by_ids, skus_by_item

bp = api_blueprint("catalog_api", __name__, template_folder="templates")  # also finds the component templates


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    value = parse_id(raw)
    if value is None:
        raise APIError("invalid_input", fields={name: ["Not an id."]})
    return value


@bp.get("/items")
@api_doc("Items on sale, newest first (or best-selling), with their SKUs", tags=["catalog"], response=ItemPageOut,
         query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor of the previous page", "category": "a category id "
                "(its subcategories included)", "kind": "physical | dish | service | virtual", "q": "words in the name",
                "order": "newest | best_selling"})
def items():
    limit = request.args.get("limit", default=20, type=int)
    if not 1 <= limit <= 50:
        raise APIError("invalid_input", fields={"limit": ["Use a limit from 1 to 50."]})
    kind = request.args.get("kind") or None
    if kind and kind not in {k.value for k in ItemKind}:
        raise APIError("invalid_input", fields={"kind": [f"Use one of {', '.join(k.value for k in ItemKind)}."]})
    order = request.args.get("order", "newest")
    if order not in ("newest", "best_selling"):
        raise APIError("invalid_input", fields={"order": ["Use newest or best_selling."]})
    rows, next_cursor = list_on_sale(limit=limit, before=_int_arg("cursor"), category_id=_int_arg("category"), kind=kind,
                                     query=request.args.get("q"), order=order)
    skus = skus_by_item([i.id for i in rows])
    return jsonify(items=ItemOut(many=True, skus=skus).dump(rows), next_cursor=str(next_cursor) if next_cursor else None)


@bp.get("/items/<int:item_id>")
@api_doc("One item on sale, with its SKUs and dish option groups", tags=["catalog"], response=ItemAnswer, errors=(404,))
def item(item_id: int):
    found = on_sale_by_ids([item_id]).get(item_id)
    if found is None:
        raise APIError("not_found", "There is no such item on sale.")
    return jsonify(item=ItemDetailOut(skus=skus_by_item([item_id])).dump(found))


@bp.get("/categories")
@api_doc("The category tree (two levels)", tags=["catalog"], response=CategoriesOut)
def categories():
    return jsonify(categories=category_tree())

"""The catalog in the Admin API (/admin/api/v1, "catalog.manage"): items of every status with their
SKUs, a SKU's price, stock and code, and categories — through the services the back office uses,
audited as it audits them. Creates take an Idempotency-Key."""

from __future__ import annotations

from flask import jsonify, request, url_for

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, idempotency_scope, page_args, record_audit, writing
from core.api import load_json
from core.errors import APIError
from core.idempotency import idempotent_created
from core.ids import parse_id
from core.openapi import api_doc
from engines.catalog.models import Category, Item, ItemStatus, Sku
from engines.catalog.schemas import (CategoriesOut, CategoryAnswer, CategoryIn, ItemIn, ItemPatchIn, SkuAnswer, SkuOut,
                                     SkuPatchIn, StaffCategoryOut, StaffItemAnswer, StaffItemOut, StaffItemPageOut)
from engines.catalog.services import (category_tree, create_category, create_item, list_for_staff, skus_by_item,
                                      update_item, update_sku)

bp = AdminAPIBlueprint("catalog_admin_api", __name__, permission="catalog.manage")

STATUSES = frozenset(s.value for s in ItemStatus)


def _item(item_id: int) -> Item:
    item = Item.get(item_id)
    if item is None or item.deleted_at is not None:
        raise APIError("not_found", "There is no such item.")
    return item


def _item_exists(item_id: int) -> bool:
    item = Item.get(item_id)
    return item is not None and item.deleted_at is None


def _dump(item: Item) -> dict:
    return StaffItemOut(skus=skus_by_item([item.id])).dump(item)


def _id_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise APIError("invalid_input", fields={name: ["Not an id."]})
    return value


@bp.get("/items")
@api_doc("Items of every status but deleted, newest first, with their SKUs", tags=["catalog"],
         response=StaffItemPageOut, query={**PAGE_QUERY, "status": "draft | on_sale | off_sale",
                                           "category": "a category id", "q": "words in the name"})
def items():
    limit, cursor = page_args()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise APIError("invalid_input", fields={"status": [f"Use one of {', '.join(sorted(STATUSES))}."]})
    rows, next_cursor = list_for_staff(status=status, category_id=_id_arg("category"),
                                       query=request.args.get("q") or None, before=cursor, limit=limit)
    return jsonify(items=StaffItemOut(many=True, skus=skus_by_item([i.id for i in rows])).dump(rows),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/items")
@api_doc("Create an item (one SKU per combination of its options); 403 plan_limit_reached beyond the shop's plan",
         tags=["catalog"], body=ItemIn, response=StaffItemAnswer, status=201, errors=(403, 409))
def create():
    data = load_json(ItemIn)

    def work():
        item = create_item(kind=data["kind"], name=data["name"], price=data["price"], stock=data["stock"],
                           category_id=parse_id(data["category_id"]), subtitle=data["subtitle"],
                           description=data["description"], images=data["images"], options=data["options"],
                           option_groups=data["option_groups"], status=data["status"], sku_code=data["sku_code"])
        record_audit("item.create", target=f"item {item.id}", details={"name": item.name})
        return {"item": _dump(item)}, 201

    return idempotent_created(idempotency_scope(), work, lambda body: url_for(".item", item_id=body["item"]["id"]))


@bp.get("/items/<int:item_id>")
@api_doc("One item, whatever its status, with its SKUs", tags=["catalog"], response=StaffItemAnswer)
def item(item_id: int):
    return jsonify(item=_dump(_item(item_id)))


@bp.patch("/items/<int:item_id>")
@api_doc("Change an item's name, selling point, description, images, category or status (prices, stock and codes "
         "are the SKUs')", tags=["catalog"], body=ItemPatchIn, response=StaffItemAnswer)
def update(item_id: int):
    found = _item(item_id)
    data = load_json(ItemPatchIn)
    with writing():
        update_item(found, name=data.get("name", found.name), subtitle=data.get("subtitle", found.subtitle),
                    description=data.get("description", found.description), images=data.get("images", found.images),
                    category_id=parse_id(data["category_id"]) if "category_id" in data else found.category_id,
                    status=data.get("status"))
        record_audit("item.update", target=f"item {found.id}", details={"name": found.name, "fields": sorted(data)})
    return jsonify(item=_dump(found))


@bp.patch("/skus/<int:sku_id>")
@api_doc("Set a SKU's price, stock or code", tags=["catalog"], body=SkuPatchIn, response=SkuAnswer, errors=(409,))
def update_sku_view(sku_id: int):
    sku = Sku.get(sku_id)
    if sku is None or not _item_exists(sku.item_id):
        raise APIError("not_found", "There is no such SKU.")
    data = load_json(SkuPatchIn)
    with writing():
        update_sku(sku, price=data.get("price", sku.price), stock=data.get("stock", sku.stock),
                   code=data["code"] if "code" in data else sku.code)
        record_audit("sku.update", target=f"sku {sku.id}", details={"item": str(sku.item_id), **data})
    return jsonify(sku=SkuOut().dump(sku))


@bp.get("/categories")
@api_doc("The category tree (two levels)", tags=["catalog"], response=CategoriesOut)
def categories():
    return jsonify(categories=category_tree())


@bp.post("/categories")
@api_doc("Create a category, top-level or under a top-level one", tags=["catalog"], body=CategoryIn,
         response=CategoryAnswer, status=201, errors=(409,))
def create_category_view():
    data = load_json(CategoryIn)

    def work():
        category = create_category(name=data["name"], parent_id=parse_id(data["parent_id"]),
                                   sort_order=data["sort_order"])
        record_audit("category.create", target=f"category {category.id}", details={"name": category.name})
        return {"category": StaffCategoryOut().dump(category)}, 201

    return idempotent_created(idempotency_scope(), work,
                              lambda body: url_for(".category", category_id=body["category"]["id"]))


@bp.get("/categories/<int:category_id>")
@api_doc("One category", tags=["catalog"], response=CategoryAnswer)
def category(category_id: int):
    found = Category.get(category_id)
    if found is None:
        raise APIError("not_found", "There is no such category.")
    return jsonify(category=StaffCategoryOut().dump(found))

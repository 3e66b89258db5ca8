"""The consumer API of stores: /api/v1/stores (for pickup and same-city delivery) and
/api/v1/tables/<code> (what a table's QR code names)."""

from __future__ import annotations

from flask import jsonify

from core.api import api_blueprint
from core.errors import APIError
from core.openapi import api_doc
from engines.stores.schemas import StoreListOut, StoreOut, TableOut
from engines.stores.services import active_stores, table_by_code

bp = api_blueprint("stores_api", __name__)


@bp.get("/stores")
@api_doc("The shop's open stores", tags=["stores"], response=StoreListOut)
def stores():
    return jsonify(stores=StoreOut(many=True).dump(active_stores()))


@bp.get("/tables/<code>")
@api_doc("The table a QR code names, and its store (for dine-in checkout)", tags=["stores"], response=TableOut,
         errors=(404,))
def table(code: str):
    found = table_by_code(code)
    if found is None:
        raise APIError("not_found", "There is no such table.")
    dining_table, store = found
    return jsonify(TableOut().dump({"code": dining_table.code, "name": dining_table.name, "store": store}))

"""The consumer's cart: /api/v1/cart (signed-in consumers only, their own cart only)."""

from __future__ import annotations

from flask import jsonify

from core.api import api_blueprint, load_json, require_consumer
from core.db import db
from core.openapi import api_doc
from engines.orders.schemas import AddLineIn, CartOut, QuantityIn
from engines.orders.services import add_line, change_quantity, priced_cart, remove_line

bp = api_blueprint("orders_api", __name__)


@bp.get("/cart")
@api_doc("The signed-in consumer's cart, priced now, with unavailable lines flagged", tags=["cart"], response=CartOut,
         auth=True)
def cart():
    return jsonify(priced_cart(require_consumer().id))


@bp.post("/cart/lines")
@api_doc("Put a SKU in the cart (adds to an existing line)", tags=["cart"], body=AddLineIn, response=CartOut,
         status=201, auth=True, errors=(409, 415))
def add():
    consumer = require_consumer()
    data = load_json(AddLineIn())
    add_line(consumer_id=consumer.id, sku_id=int(data["sku_id"]), quantity=data["quantity"])
    db.session.commit()
    return jsonify(priced_cart(consumer.id)), 201


@bp.patch("/cart/lines/<int:line_id>")
@api_doc("Change a line's quantity", tags=["cart"], body=QuantityIn, response=CartOut, auth=True, errors=(415,))
def change(line_id: int):
    consumer = require_consumer()
    change_quantity(consumer_id=consumer.id, line_id=line_id, quantity=load_json(QuantityIn())["quantity"])
    db.session.commit()
    return jsonify(priced_cart(consumer.id))


@bp.delete("/cart/lines/<int:line_id>")
@api_doc("Remove a line", tags=["cart"], response=CartOut, auth=True)
def remove(line_id: int):
    consumer = require_consumer()
    remove_line(consumer_id=consumer.id, line_id=line_id)
    db.session.commit()
    return jsonify(priced_cart(consumer.id))

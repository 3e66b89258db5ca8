"""The consumer's cart and address book: /api/v1/cart, /api/v1/addresses (signed-in consumers only,
their own only)."""

from __future__ import annotations

from flask import jsonify, request

from core.api import api_blueprint, load_json, require_consumer
from core.db import db
from core.openapi import api_doc
from engines.orders.addresses import (AddressIn, AddressListOut, AddressOut, add_address, addresses_of, change_address,
                                      remove_address)
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


@bp.get("/addresses")
@api_doc("The signed-in consumer's addresses, the default first", tags=["addresses"], response=AddressListOut, auth=True)
def addresses():
    return jsonify(items=AddressOut(many=True).dump(addresses_of(require_consumer().id)))


@bp.post("/addresses")
@api_doc("Add an address (the first one becomes the default)", tags=["addresses"], body=AddressIn,
         response=AddressOut, status=201, auth=True, errors=(415,))
def create_address():
    consumer = require_consumer()
    address = add_address(consumer_id=consumer.id, data=load_json(AddressIn()))
    db.session.commit()
    return jsonify(AddressOut().dump(address)), 201


@bp.patch("/addresses/<int:address_id>")
@api_doc("Change an address, or make it the default", tags=["addresses"], body=AddressIn, response=AddressOut,
         auth=True, errors=(415,))
def update_address(address_id: int):
    consumer = require_consumer()
    loaded = load_json(AddressIn(partial=True))
    sent = request.get_json()  # only what the client sent changes (defaults fill the rest when loading)
    address = change_address(consumer_id=consumer.id, address_id=address_id,
                             data={name: value for name, value in loaded.items() if name in sent})
    db.session.commit()
    return jsonify(AddressOut().dump(address))


@bp.delete("/addresses/<int:address_id>")
@api_doc("Remove an address", tags=["addresses"], status=204, auth=True)
def delete_address(address_id: int):
    remove_address(consumer_id=require_consumer().id, address_id=address_id)
    db.session.commit()
    return "", 204

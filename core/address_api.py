"""The consumer's address book in the JSON API: GET/POST /api/v1/addresses, PATCH/DELETE
/api/v1/addresses/<id> (signed-in consumers, their own only)."""

from __future__ import annotations

from flask import jsonify, request

from core.addresses import (AddressIn, AddressListOut, AddressOut, add_address, addresses_of, change_address,
                            remove_address)
from core.api import api_blueprint, load_json, require_consumer_id
from core.db import db
from core.openapi import api_doc

bp = api_blueprint("address_api", __name__)


@bp.get("/addresses")
@api_doc("The signed-in consumer's addresses, the default first", tags=["addresses"], response=AddressListOut, auth=True)
def addresses():
    return jsonify(items=AddressOut(many=True).dump(addresses_of(require_consumer_id())))


@bp.post("/addresses")
@api_doc("Add an address (the first one becomes the default)", tags=["addresses"], body=AddressIn,
         response=AddressOut, status=201, auth=True, errors=(415,))
def create_address():
    consumer_id = require_consumer_id()
    address = add_address(consumer_id=consumer_id, data=load_json(AddressIn))
    db.session.commit()
    return jsonify(AddressOut().dump(address)), 201


@bp.patch("/addresses/<int:address_id>")
@api_doc("Change an address, or make it the default", tags=["addresses"], body=AddressIn, response=AddressOut,
         auth=True, errors=(415,))
def update_address(address_id: int):
    consumer_id = require_consumer_id()
    loaded = load_json(AddressIn(partial=True))
    sent = request.get_json()  # only what the client sent changes (defaults fill the rest when loading)
    address = change_address(consumer_id=consumer_id, address_id=address_id,
                             data={name: value for name, value in loaded.items() if name in sent})
    db.session.commit()
    return jsonify(AddressOut().dump(address))


@bp.delete("/addresses/<int:address_id>")
@api_doc("Remove an address", tags=["addresses"], status=204, auth=True)
def delete_address(address_id: int):
    remove_address(consumer_id=require_consumer_id(), address_id=address_id)
    db.session.commit()
    return "", 204

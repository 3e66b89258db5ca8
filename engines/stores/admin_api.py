"""Stores in the Admin API (/admin/api/v1, "stores.manage"): list, read, create and change the
shop's stores — through the services the back office uses, audited as it audits them. Creating
takes an Idempotency-Key."""

from __future__ import annotations

from flask import jsonify, url_for
from sqlalchemy import select

from core.admin_api import AdminAPIBlueprint, idempotency_scope, record_audit, writing
from core.api import load_json
from core.db import db
from core.errors import APIError
from core.idempotency import idempotent_created
from core.openapi import api_doc
from engines.stores.models import Store
from engines.stores.schemas import StaffStoreListOut, StaffStoreOut, StoreAnswer, StoreIn, StorePatchIn
from engines.stores.services import create_store, update_store

bp = AdminAPIBlueprint("stores_admin_api", __name__, permission="stores.manage")

FIELDS = ("name", "address", "phone", "hours", "latitude", "longitude", "pickup", "delivery_bands", "delivery_minimum")


def _store(store_id: int) -> Store:
    store = Store.get(store_id)
    if store is None:
        raise APIError("not_found", "There is no such store.")
    return store


@bp.get("/stores")
@api_doc("The shop's stores, open and closed", tags=["stores"], response=StaffStoreListOut)
def stores():
    return jsonify(stores=StaffStoreOut(many=True).dump(db.session.scalars(select(Store).order_by(Store.id))))


@bp.post("/stores")
@api_doc("Add a store", tags=["stores"], body=StoreIn, response=StoreAnswer, status=201)
def create():
    data = load_json(StoreIn)

    def work():
        store = create_store(**data)
        record_audit("store.create", target=f"store {store.id}", details={"name": store.name})
        return {"store": StaffStoreOut().dump(store)}, 201

    return idempotent_created(idempotency_scope(), work, lambda body: url_for(".store", store_id=body["store"]["id"]))


@bp.get("/stores/<int:store_id>")
@api_doc("One store", tags=["stores"], response=StoreAnswer)
def store(store_id: int):
    return jsonify(store=StaffStoreOut().dump(_store(store_id)))


@bp.patch("/stores/<int:store_id>")
@api_doc("Change a store: what is sent changes, the rest stays", tags=["stores"], body=StorePatchIn,
         response=StoreAnswer)
def update(store_id: int):
    found = _store(store_id)
    data = load_json(StorePatchIn)
    with writing():
        update_store(found, **{name: data.get(name, getattr(found, name)) for name in FIELDS},
                     active=data.get("active", found.active))
        record_audit("store.update", target=f"store {found.id}", details={"name": found.name, "fields": sorted(data)})
    return jsonify(store=StaffStoreOut().dump(found))

"""Stores in the Admin API: list, read, create and change stores through the stores' services, with
a staff token carrying stores.manage; refused without it, blind to other shops, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.stores.models import Store
from engines.stores.services import create_store
from tests.admin_api import staff_token

API = "/admin/api/v1"


@pytest.fixture
def manager(db_session, tenant_a):
    return staff_token(db_session, tenant_a, role="manager", permissions=["stores.manage"],
                       email="sam@staff.example.com")


def _store_row(tenant, store_id) -> Store | None:
    with tenant_scope(tenant):
        return db.session.scalar(select(Store).where(Store.id == int(store_id))
                                 .execution_options(populate_existing=True))


def _store_count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Store))


def test_a_store_is_created_listed_and_changed(client, db_session, tenant_a, manager):
    # when a store with delivery bands is created
    created = client.post(f"{API}/stores", headers={**manager.headers, "Idempotency-Key": "store-1"}, json={
        "name": "Bund store", "address": "1 Zhongshan Rd", "latitude": 31.2304, "longitude": 121.4737,
        "delivery_bands": [{"up_to_km": 6, "fee": 900}, {"up_to_km": 3, "fee": 500}], "delivery_minimum": 2000})
    # then it exists, open, its bands in order, and the retry with the same key made nothing more
    assert created.status_code == 201, created.json
    store = created.json["store"]
    assert created.headers["Location"] == f"{API}/stores/{store['id']}"
    assert (store["name"], store["active"], store["pickup"], store["delivery_bands"], store["delivery_minimum"]) == (
        "Bund store", True, True, [{"up_to_km": 3.0, "fee": 500}, {"up_to_km": 6.0, "fee": 900}], 2000)
    again = client.post(f"{API}/stores", headers={**manager.headers, "Idempotency-Key": "store-1"}, json={
        "name": "Bund store", "address": "1 Zhongshan Rd", "latitude": 31.2304, "longitude": 121.4737,
        "delivery_bands": [{"up_to_km": 6, "fee": 900}, {"up_to_km": 3, "fee": 500}], "delivery_minimum": 2000})
    assert (again.status_code, again.json) == (201, created.json)
    assert _store_count(tenant_a) == 1
    assert client.get(created.headers["Location"], headers=manager.headers).json == {"store": store}
    # when it is closed and renamed
    changed = client.patch(f"{API}/stores/{store['id']}", headers=manager.headers,
                           json={"name": "Bund store (old)", "active": False})
    # then the store changed, the rest stayed, and consumers no longer see it
    assert changed.status_code == 200, changed.json
    row = _store_row(tenant_a, store["id"])
    assert (row.name, row.active, row.address, row.delivery_minimum, row.latitude) == (
        "Bund store (old)", False, "1 Zhongshan Rd", 2000, 31.2304)
    assert client.get("/api/v1/stores", headers={"X-Tenant": "alpha-shop"}).json == {"stores": []}
    assert [s["name"] for s in client.get(f"{API}/stores", headers=manager.headers).json["stores"]] == [
        "Bund store (old)"]
    actions = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                          AuditEntry.action.like("store.%")).order_by(AuditEntry.at)).all()
    assert [(a.action, a.actor_email, a.details["api_token"]) for a in actions] == [
        ("store.create", "sam@staff.example.com", str(manager.token_id)),
        ("store.update", "sam@staff.example.com", str(manager.token_id))]


@pytest.mark.parametrize("body, field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 81}, "name"), ({"name": "S", "phone": "1" * 21}, "phone"),
    ({"name": "S", "latitude": 91}, "latitude"), ({"name": "S", "latitude": 31.2}, "latitude"),
    ({"name": "S", "delivery_bands": [{"up_to_km": 0, "fee": 1}]}, "delivery_bands"),
    ({"name": "S", "delivery_minimum": -1}, "delivery_minimum"), ({"name": "S", "active": False}, "active"),
])
def test_bad_stores_are_refused_and_nothing_is_made(client, db_session, tenant_a, manager, body, field):
    response = client.post(f"{API}/stores", headers=manager.headers, json=body)
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"]
    assert _store_count(tenant_a) == 0


def test_without_stores_manage_the_stores_are_forbidden(client, db_session, tenant_a):
    # given a store and a token carrying only orders.manage
    with tenant_scope(tenant_a):
        store_id = create_store(name="Bund store").id
        db_session.commit()
    made = staff_token(db_session, tenant_a, role="manager", permissions=["orders.manage"])
    for method, path, body in [("GET", "/stores", None), ("POST", "/stores", {"name": "New"}),
                               ("GET", f"/stores/{store_id}", None), ("PATCH", f"/stores/{store_id}", {"name": "X"})]:
        # when it calls each stores route
        response = client.open(API + path, method=method, json=body, headers=made.headers)
        # then each is 403 forbidden
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    # and nothing changed
    assert (_store_count(tenant_a), _store_row(tenant_a, store_id).name) == (1, "Bund store")


def test_another_shops_stores_are_not_found(client, db_session, tenant_a, tenant_b, manager):
    # given shop B's store
    with tenant_scope(tenant_b):
        store_id = create_store(name="B's store").id
        db_session.commit()
    # when shop A's token names it
    for method, path, body in [("GET", f"/stores/{store_id}", None), ("PATCH", f"/stores/{store_id}", {"name": "Mine"})]:
        response = client.open(API + path, method=method, json=body, headers=manager.headers)
        # then it does not exist
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found"), path
    # and it is not listed, and unchanged
    assert client.get(f"{API}/stores", headers=manager.headers).json == {"stores": []}
    assert _store_row(tenant_b, store_id).name == "B's store"

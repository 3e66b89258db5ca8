"""Bundles in the Admin API: made, listed, read and changed with a staff token carrying
marketing.manage; refused without it, blind to other shops (their bundles and their items),
audited, idempotent on create, and each bad field named."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_item
from engines.marketing.models import Bundle, CouponStatus
from tests.admin_api import staff_token

API = "/admin/api/v1"
STARTS = "2030-06-01T00:00:00+08:00"
ENDS = "2030-06-30T16:00:00Z"


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="bea@staff.example.com")


@pytest.fixture
def pair(db_session, tenant_a) -> list[str]:
    with tenant_scope(tenant_a):
        ids = [str(create_item(kind="physical", name=name, price=price, status="on_sale").id)
               for name, price in (("Cotton tee", 7900), ("Canvas tote", 5900))]
        db_session.commit()
    return ids


def good(pair: list[str], **changes) -> dict:
    return {"name": "Tee and tote", "items": [{"item_id": pair[0], "quantity": 2}, {"item_id": pair[1]}],
            "price": 19900, "starts_at": STARTS, "ends_at": ENDS, **changes}


def _count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Bundle))


def _fresh(tenant, bundle_id) -> Bundle:
    with tenant_scope(tenant):
        return db.session.scalar(select(Bundle).where(Bundle.id == int(bundle_id))
                                 .execution_options(populate_existing=True))


def _audited(tenant, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.tenant_id == tenant.id, AuditEntry.action == action))


def test_a_bundle_is_created_read_listed_and_changed(client, db_session, tenant_a, owner, pair):
    created = client.post(f"{API}/bundles", headers=owner.headers, json=good(pair))
    assert created.status_code == 201, created.json
    bundle = created.json["bundle"]
    assert created.headers["Location"] == f"{API}/bundles/{bundle['id']}"
    assert {k: bundle[k] for k in ("name", "items", "price", "starts_at", "ends_at", "funded_by", "sold_count",
                                   "status")} == {
        "name": "Tee and tote", "items": [{"item_id": pair[0], "quantity": 2}, {"item_id": pair[1], "quantity": 1}],
        "price": {"amount": 19900, "currency": "CNY", "display": "¥199.00"},
        "starts_at": "2030-05-31T16:00:00+00:00", "ends_at": "2030-06-30T16:00:00+00:00", "funded_by": "merchant",
        "sold_count": 0, "status": "active"}
    assert client.get(f"{API}/bundles/{bundle['id']}", headers=owner.headers).json == {"bundle": bundle}
    assert client.get(f"{API}/bundles", headers=owner.headers).json == {"bundles": [bundle], "next_cursor": None}
    changed = client.patch(f"{API}/bundles/{bundle['id']}", headers=owner.headers, json={
        "name": "Summer set", "status": "paused", "ends_at": "2030-07-31T00:00:00+08:00"})
    assert changed.status_code == 200, changed.json
    assert {k: changed.json["bundle"][k] for k in ("name", "status", "ends_at")} == {
        "name": "Summer set", "status": "paused", "ends_at": "2030-07-30T16:00:00+00:00"}
    row = _fresh(tenant_a, bundle["id"])
    assert (row.name, row.status, row.price) == ("Summer set", CouponStatus.PAUSED, 19900)
    assert (_audited(tenant_a, "bundle.create"), _audited(tenant_a, "bundle.update")) == (1, 1)


def test_creating_a_bundle_with_an_idempotency_key_replays_the_first_answer(client, db_session, tenant_a, owner,
                                                                           pair):
    keyed = {**owner.headers, "Idempotency-Key": "tee-tote-2030"}
    first = client.post(f"{API}/bundles", headers=keyed, json=good(pair))
    again = client.post(f"{API}/bundles", headers=keyed, json=good(pair))
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    other = client.post(f"{API}/bundles", headers=keyed, json=good(pair, name="Other"))
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert (_count(tenant_a), _audited(tenant_a, "bundle.create")) == (1, 1)


def test_bundles_are_listed_a_page_at_a_time(client, db_session, tenant_a, owner, pair):
    ids = [client.post(f"{API}/bundles", headers=owner.headers, json=good(pair, name=name)).json["bundle"]["id"]
           for name in ("A", "B", "C")]
    client.patch(f"{API}/bundles/{ids[1]}", headers=owner.headers, json={"status": "ended"})
    first = client.get(f"{API}/bundles?limit=2", headers=owner.headers).json
    second = client.get(f"{API}/bundles?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    assert [b["name"] for b in first["bundles"] + second["bundles"]] == ["C", "B", "A"]
    ended = client.get(f"{API}/bundles?status=ended", headers=owner.headers).json["bundles"]
    assert [b["name"] for b in ended] == ["B"]
    for bad in ("limit=0", "limit=101", "cursor=abc", "status=gone"):
        response = client.get(f"{API}/bundles?{bad}", headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), bad


def test_a_token_with_marketing_manage_may_and_one_without_may_not(client, db_session, tenant_a, pair):
    allowed = staff_token(db_session, tenant_a, role="manager", permissions=["marketing.manage"])
    bundle_id = client.post(f"{API}/bundles", headers=allowed.headers, json=good(pair)).json["bundle"]["id"]
    without = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage"])
    for method, path, body in [("GET", "/bundles", None), ("POST", "/bundles", good(pair)),
                               ("GET", f"/bundles/{bundle_id}", None),
                               ("PATCH", f"/bundles/{bundle_id}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=without.headers)
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    unsigned = client.get(f"{API}/bundles")
    assert unsigned.status_code == 401
    assert (_fresh(tenant_a, bundle_id).status, _count(tenant_a)) == (CouponStatus.ACTIVE, 1)


def test_another_shops_bundles_and_items_are_not_found(client, db_session, tenant_a, tenant_b, owner, pair):
    theirs = staff_token(db_session, tenant_b)
    with tenant_scope(tenant_b):
        their_pair = [str(create_item(kind="physical", name=n, price=15000).id) for n in ("B1", "B2")]
        db_session.commit()
    bundle_id = client.post(f"{API}/bundles", headers=theirs.headers, json=good(their_pair)).json["bundle"]["id"]
    for method, path, body in [("GET", f"/bundles/{bundle_id}", None),
                               ("PATCH", f"/bundles/{bundle_id}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "bundle_not_found"), path
    assert client.get(f"{API}/bundles", headers=owner.headers).json == {"bundles": [], "next_cursor": None}
    assert _fresh(tenant_b, bundle_id).status == CouponStatus.ACTIVE
    # and shop A's bundle cannot name B's items
    mixed = client.post(f"{API}/bundles", headers=owner.headers, json=good([pair[0], their_pair[0]]))
    assert (mixed.status_code, mixed.json["error"]["fields"]) == (422, {"items": ["There is no such item."]})
    assert _count(tenant_a) == 0


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 61}, "name"),
    ({"items": []}, "items"),
    ({"items": "tee"}, "items"),
    ({"items": [{"item_id": "1"}]}, "items"),
    ({"items": [{"item_id": "1"}] * 7}, "items"),
    ({"items": [{"item_id": "abc"}, {"item_id": "1"}]}, "items"),
    ({"items": [{"item_id": "1", "quantity": 0}, {"item_id": "2"}]}, "items"),
    ({"items": [{"item_id": "1", "quantity": "2"}, {"item_id": "2"}]}, "items"),
    ({"items": [{"item_id": "1"}, {"item_id": "2"}]}, "items"),
    ({"price": 0}, "price"),
    ({"price": "199.00"}, "price"),
    ({"price": 10**11}, "price"),
    ({"starts_at": None}, "starts_at"),
    ({"ends_at": "2030-06-30T16:00:00"}, "ends_at"),
    ({"starts_at": "2030-07-01T00:00:00Z"}, "ends_at"),
    ({"funded_by": "sub_merchant:1"}, "funded_by"),
    ({"sold_count": 5}, "sold_count"),
])
def test_bad_bundle_bodies_are_422_naming_the_field_and_create_nothing(client, db_session, tenant_a, owner, pair,
                                                                      changes, field):
    response = client.post(f"{API}/bundles", headers=owner.headers, json=good(pair, **changes))
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"], response.json
    assert _count(tenant_a) == 0


def test_a_repeated_item_is_refused(client, db_session, tenant_a, owner, pair):
    twice = client.post(f"{API}/bundles", headers=owner.headers,
                        json=good(pair, items=[{"item_id": pair[0]}, {"item_id": pair[0]}]))
    assert (twice.status_code, twice.json["error"]["fields"]) == (
        422, {"items": ["Each item once: give it a quantity instead."]})


def test_a_huge_body_is_refused(client, db_session, tenant_a, owner, pair):
    response = client.post(f"{API}/bundles", headers=owner.headers, json=good(pair, name="x" * 2_000_000))
    assert response.status_code == 413 and _count(tenant_a) == 0


def test_bad_changes_are_refused_and_change_nothing(client, db_session, tenant_a, owner, pair):
    bundle = client.post(f"{API}/bundles", headers=owner.headers, json=good(pair)).json["bundle"]
    path = f"{API}/bundles/{bundle['id']}"
    for body, field in [({}, "_schema"), ({"price": 100}, "price"), ({"items": []}, "items"),
                        ({"status": "gone"}, "status"), ({"name": " "}, "name"), ({"ends_at": None}, "ends_at"),
                        ({"ends_at": "soon"}, "ends_at"), ({"ends_at": "2030-05-01T00:00:00Z"}, "ends_at"),
                        ({"sold_count": 9}, "sold_count")]:
        response = client.patch(path, headers=owner.headers, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), body
        assert field in response.json["error"]["fields"], body
    assert client.patch(path, headers=owner.headers, json={"status": "ended"}).status_code == 200
    revived = client.patch(path, headers=owner.headers, json={"status": "active", "name": "Back"})
    assert (revived.status_code, revived.json["error"]["fields"]) == (
        422, {"status": ["An ended bundle stays ended: make a new one."]})
    row = _fresh(tenant_a, bundle["id"])
    assert (row.name, row.status, row.price, row.sold_count) == ("Tee and tote", CouponStatus.ENDED, 19900, 0)
    assert _audited(tenant_a, "bundle.update") == 1  # the end, and nothing refused


def test_the_bundles_list_costs_the_same_queries_however_many_it_shows(client, db_session, tenant_a, owner, pair,
                                                                       count_queries):
    for name in ("A", "B"):
        client.post(f"{API}/bundles", headers=owner.headers, json=good(pair, name=name))
    with count_queries() as few:
        assert len(client.get(f"{API}/bundles", headers=owner.headers).json["bundles"]) == 2
    for name in "CDEFGH":
        client.post(f"{API}/bundles", headers=owner.headers, json=good(pair, name=name))
    with count_queries() as many:
        assert len(client.get(f"{API}/bundles", headers=owner.headers).json["bundles"]) == 8
    assert len(many) == len(few) == 2  # the token and the bundles


def test_the_openapi_document_describes_bundles(client):
    document = client.get(f"{API}/openapi.json").json
    assert {"get", "post"} <= set(document["paths"]["/admin/api/v1/bundles"])
    assert {"get", "patch"} <= set(document["paths"]["/admin/api/v1/bundles/{bundle_id}"])

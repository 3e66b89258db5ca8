"""Free-delivery rules in the Admin API: made, listed, read and changed with a staff token carrying
marketing.manage; refused without it, blind to other shops, audited, idempotent on create, and
each bad field named."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_item
from engines.marketing.models import CouponStatus, FreeShippingRule
from tests.admin_api import staff_token

API = "/admin/api/v1/free-shipping-rules"
STARTS = "2030-06-01T00:00:00+08:00"
ENDS = "2030-06-30T16:00:00Z"
GOOD = {"name": "Free over 99", "minimum": 9900, "starts_at": STARTS, "ends_at": ENDS}


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="fay@staff.example.com")


def _count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(FreeShippingRule))


def _fresh(tenant, rule_id) -> FreeShippingRule:
    with tenant_scope(tenant):
        return db.session.scalar(select(FreeShippingRule).where(FreeShippingRule.id == int(rule_id))
                                 .execution_options(populate_existing=True))


def _audited(tenant) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id,
                                                       AuditEntry.action.like("free_shipping_rule.%"))
                              .order_by(AuditEntry.at, AuditEntry.id)).all()


def test_a_rule_is_created_read_listed_and_changed(client, db_session, tenant_a, owner):
    with tenant_scope(tenant_a):
        tea = create_item(kind="physical", name="Tea", price=1250).id
        db_session.commit()
    # when an integration makes free delivery over ¥99 to Jiangsu and Zhejiang, never Xinjiang,
    # on tea only
    created = client.post(API, headers=owner.headers, json={
        **GOOD, "regions": ["Jiangsu", "Zhejiang"], "excluded_regions": ["Xinjiang"], "item_ids": [str(tea)]})
    # then it exists with those conditions, money answered as MoneyOut
    assert created.status_code == 201, created.json
    rule = created.json["rule"]
    assert created.headers["Location"] == f"{API}/{rule['id']}"
    assert {k: v for k, v in rule.items() if k not in ("id", "created_at")} == {
        "name": "Free over 99", "minimum": {"amount": 9900, "currency": "CNY", "display": "¥99.00"},
        "regions": ["Jiangsu", "Zhejiang"], "excluded_regions": ["Xinjiang"], "item_ids": [str(tea)],
        "starts_at": "2030-05-31T16:00:00+00:00", "ends_at": "2030-06-30T16:00:00+00:00", "funded_by": "merchant",
        "status": "active"}
    row = _fresh(tenant_a, rule["id"])
    assert (row.minimum, row.regions, row.item_ids, row.funded_by) == (9900, ["Jiangsu", "Zhejiang"], [str(tea)],
                                                                       "merchant")
    # and it is read and listed
    assert client.get(f"{API}/{rule['id']}", headers=owner.headers).json == {"rule": rule}
    assert client.get(API, headers=owner.headers).json == {"rules": [rule], "next_cursor": None}
    # when it is renamed, opened to everywhere and every item, and paused
    changed = client.patch(f"{API}/{rule['id']}", headers=owner.headers, json={
        "name": "Summer", "regions": [], "item_ids": [], "minimum": 0, "status": "paused", "funded_by": "merchant",
        "ends_at": "2030-07-31T00:00:00+08:00"})
    assert changed.status_code == 200, changed.json
    assert {k: changed.json["rule"][k] for k in ("name", "regions", "excluded_regions", "item_ids", "status",
                                                 "funded_by", "ends_at")} == {
        "name": "Summer", "regions": [], "excluded_regions": ["Xinjiang"], "item_ids": [], "status": "paused",
        "funded_by": "merchant", "ends_at": "2030-07-30T16:00:00+00:00"}
    assert _fresh(tenant_a, rule["id"]).status == CouponStatus.PAUSED
    # and every write was audited as the token's staff member
    rows = _audited(tenant_a)
    assert [(r.action, r.actor_email, r.target) for r in rows] == [
        ("free_shipping_rule.create", "fay@staff.example.com", f"free_shipping_rule {rule['id']}"),
        ("free_shipping_rule.update", "fay@staff.example.com", f"free_shipping_rule {rule['id']}")]
    assert rows[1].details == {"name": "Summer", "api_token": str(owner.token_id), "fields": [
        "ends_at", "funded_by", "item_ids", "minimum", "name", "regions", "status"]}


def test_creating_with_an_idempotency_key_replays_the_first_answer(client, db_session, tenant_a, owner):
    keyed = {**owner.headers, "Idempotency-Key": "free-99"}
    first = client.post(API, headers=keyed, json=GOOD)
    again = client.post(API, headers=keyed, json=GOOD)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    other = client.post(API, headers=keyed, json={**GOOD, "name": "Other"})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert _count(tenant_a) == 1 and len(_audited(tenant_a)) == 1


def test_rules_are_listed_a_page_at_a_time(client, db_session, tenant_a, owner):
    ids = [client.post(API, headers=owner.headers, json={**GOOD, "name": name}).json["rule"]["id"]
           for name in ("A", "B", "C")]
    client.patch(f"{API}/{ids[1]}", headers=owner.headers, json={"status": "ended"})
    first = client.get(f"{API}?limit=2", headers=owner.headers).json
    second = client.get(f"{API}?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    assert [r["name"] for r in first["rules"] + second["rules"]] == ["C", "B", "A"]
    assert second["next_cursor"] is None
    assert [r["name"] for r in client.get(f"{API}?status=ended", headers=owner.headers).json["rules"]] == ["B"]
    for bad in ("limit=0", "limit=101", "cursor=abc", "status=gone"):
        response = client.get(f"{API}?{bad}", headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), bad


def test_a_token_without_marketing_manage_may_not(client, db_session, tenant_a, owner):
    rule_id = client.post(API, headers=owner.headers, json=GOOD).json["rule"]["id"]
    without = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage"])
    for method, path, body in [("GET", "", None), ("POST", "", GOOD), ("GET", f"/{rule_id}", None),
                               ("PATCH", f"/{rule_id}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=without.headers)
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    assert (_fresh(tenant_a, rule_id).status, _count(tenant_a)) == (CouponStatus.ACTIVE, 1)
    assert client.get(API, headers={}).status_code == 401


def test_another_shops_rules_and_items_are_not_found(client, db_session, tenant_a, tenant_b, owner):
    theirs = staff_token(db_session, tenant_b)
    rule_id = client.post(API, headers=theirs.headers, json=GOOD).json["rule"]["id"]
    for method, body in [("GET", None), ("PATCH", {"status": "ended"})]:
        response = client.open(f"{API}/{rule_id}", method=method, json=body, headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "free_shipping_rule_not_found")
    assert client.get(API, headers=owner.headers).json == {"rules": [], "next_cursor": None}
    assert _fresh(tenant_b, rule_id).status == CouponStatus.ACTIVE
    # and shop A's rule cannot name B's items
    with tenant_scope(tenant_b):
        item = create_item(kind="physical", name="B's tea", price=100).id
        db_session.commit()
    named = client.post(API, headers=owner.headers, json={**GOOD, "item_ids": [str(item)]})
    assert (named.status_code, named.json["error"]["fields"]) == (422, {"item_ids": ["There is no such item."]})
    assert _count(tenant_a) == 0


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "name": ""}, "name"),
    ({**GOOD, "name": "   "}, "name"),
    ({**GOOD, "name": "x" * 61}, "name"),
    ({**GOOD, "minimum": -1}, "minimum"),
    ({**GOOD, "minimum": "99.00"}, "minimum"),
    ({**GOOD, "minimum": 10**11}, "minimum"),
    ({**GOOD, "regions": "Jiangsu"}, "regions"),
    ({**GOOD, "regions": [""]}, "regions"),
    ({**GOOD, "regions": ["x" * 41]}, "regions"),
    ({**GOOD, "regions": [f"R{n}" for n in range(51)]}, "regions"),
    ({**GOOD, "excluded_regions": [None]}, "excluded_regions"),
    ({**GOOD, "item_ids": ["abc"]}, "item_ids"),
    ({**GOOD, "item_ids": ["9" * 20]}, "item_ids"),
    ({**GOOD, "item_ids": ["999"]}, "item_ids"),
    ({**GOOD, "item_ids": [str(n) for n in range(1, 502)]}, "item_ids"),
    ({**GOOD, "starts_at": None}, "starts_at"),
    ({**GOOD, "ends_at": "2030-06-30T16:00:00"}, "ends_at"),
    ({**GOOD, "starts_at": "2030-07-01T00:00:00Z"}, "ends_at"),
    ({**GOOD, "funded_by": "supplier"}, "funded_by"),
    ({**GOOD, "status": "paused"}, "status"),
    ({k: v for k, v in GOOD.items() if k != "name"}, "name"),
])
def test_bad_bodies_are_422_naming_the_field_and_create_nothing(client, db_session, tenant_a, owner, body, field):
    response = client.post(API, headers=owner.headers, json=body)
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"], response.json
    assert _count(tenant_a) == 0 and _audited(tenant_a) == []


def test_bad_changes_are_refused_and_change_nothing(client, db_session, tenant_a, owner):
    rule = client.post(API, headers=owner.headers, json=GOOD).json["rule"]
    path = f"{API}/{rule['id']}"
    for body, field in [({}, "_schema"), ({"status": "gone"}, "status"), ({"name": " "}, "name"),
                        ({"ends_at": None}, "ends_at"), ({"ends_at": "soon"}, "ends_at"),
                        ({"ends_at": "2030-05-01T00:00:00Z"}, "ends_at"), ({"minimum": -5}, "minimum"),
                        ({"item_ids": ["999"]}, "item_ids"), ({"id": "1"}, "id"), ({"regions": None}, "regions")]:
        response = client.patch(path, headers=owner.headers, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), body
        assert field in response.json["error"]["fields"], body
    # an ended rule stays ended
    assert client.patch(path, headers=owner.headers, json={"status": "ended"}).status_code == 200
    revived = client.patch(path, headers=owner.headers, json={"status": "active", "name": "Back"})
    assert (revived.status_code, revived.json["error"]["fields"]) == (
        422, {"status": ["An ended rule stays ended: make a new one."]})
    row = _fresh(tenant_a, rule["id"])
    assert (row.name, row.status, row.minimum) == ("Free over 99", CouponStatus.ENDED, 9900)
    assert [r.action for r in _audited(tenant_a)] == ["free_shipping_rule.create", "free_shipping_rule.update"]


def test_the_list_costs_the_same_queries_however_many_it_shows(client, db_session, tenant_a, owner, count_queries):
    for name in ("A", "B"):
        client.post(API, headers=owner.headers, json={**GOOD, "name": name})
    with count_queries() as few:
        assert len(client.get(API, headers=owner.headers).json["rules"]) == 2
    for name in "CDEFGH":
        client.post(API, headers=owner.headers, json={**GOOD, "name": name, "regions": ["Jiangsu"]})
    with count_queries() as many:
        assert len(client.get(API, headers=owner.headers).json["rules"]) == 8
    assert len(many) == len(few) == 2  # the token and the rules


def test_the_document_describes_the_rules(client, db_session):
    document = client.get("/admin/api/v1/openapi.json").json
    paths = document["paths"]
    assert set(paths["/admin/api/v1/free-shipping-rules"]) >= {"get", "post"}
    assert set(paths["/admin/api/v1/free-shipping-rules/{rule_id}"]) >= {"get", "patch"}
    assert "free_shipping_rule_not_found" in document["components"]["schemas"]["ErrorDetail"]["properties"]["code"][
        "enum"]

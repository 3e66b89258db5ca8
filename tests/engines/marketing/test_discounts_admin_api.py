"""Timed discounts in the Admin API: made, listed, read and changed with a staff token carrying
marketing.manage; refused without it, blind to other shops and their items, audited, idempotent on
create, each bad field named; every write seen at once by the storefront's offers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.catalog.services import create_item
from engines.marketing.discounts import offers_on
from engines.marketing.models import CouponStatus, TimedDiscount
from tests.admin_api import staff_token

API = "/admin/api/v1/timed-discounts"
STARTS = "2030-06-01T10:00:00+08:00"
ENDS = "2030-06-03T14:00:00Z"
NOTHING = {"orders": 0, "gmv": {"amount": 0, "currency": "CNY", "display": "¥0.00"},
           "cost": {"amount": 0, "currency": "CNY", "display": "¥0.00"}}


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="olga@staff.example.com")


@pytest.fixture
def tea(db_session, tenant_a) -> str:
    with tenant_scope(tenant_a):
        made = create_item(kind="physical", name="Oolong", price=3000, stock=5, status="on_sale").id
        db_session.commit()
    return str(made)


def good(tea: str, **changes) -> dict:
    return {"name": "Weekend tea", "item_ids": [tea], "percent_bp": 1500, "starts_at": STARTS, "ends_at": ENDS,
            **changes}


def _count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(TimedDiscount))


def _fresh(tenant, discount_id) -> TimedDiscount:
    with tenant_scope(tenant):
        return db.session.scalar(select(TimedDiscount).where(TimedDiscount.id == int(discount_id))
                                 .execution_options(populate_existing=True))


def _audited(tenant) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id,
                                                            AuditEntry.action.like("timed_discount.%"))
                                   .order_by(AuditEntry.at, AuditEntry.id)))


def test_a_timed_discount_is_created_read_listed_and_changed(client, db_session, tenant_a, owner, tea):
    # when an integration makes ¥5 off each unit of a tea from 10:00 on 1 June (Shanghai)
    created = client.post(API, headers=owner.headers, json=good(tea, percent_bp=0, amount_off=500))
    # then it exists with those rules, money answered as MoneyOut, its figures nothing yet
    assert created.status_code == 201, created.json
    discount = created.json["discount"]
    assert created.headers["Location"] == f"{API}/{discount['id']}"
    assert {k: v for k, v in discount.items() if k not in ("id", "created_at")} == {
        "name": "Weekend tea", "item_ids": [tea], "percent_bp": 0,
        "amount_off": {"amount": 500, "currency": "CNY", "display": "¥5.00"},
        "starts_at": "2030-06-01T02:00:00+00:00", "ends_at": "2030-06-03T14:00:00+00:00", "funded_by": "merchant",
        "status": "active", "figures": NOTHING}
    # and it is read and listed alike
    assert client.get(f"{API}/{discount['id']}", headers=owner.headers).json == {"discount": discount}
    assert client.get(API, headers=owner.headers).json == {"discounts": [discount], "next_cursor": None}
    # when it is renamed, paused and made to end sooner
    changed = client.patch(f"{API}/{discount['id']}", headers=owner.headers,
                           json={"name": " Tea time ", "status": "paused", "ends_at": "2030-06-02T00:00:00+08:00"})
    assert changed.status_code == 200, changed.json
    assert {k: changed.json["discount"][k] for k in ("name", "status", "ends_at")} == {
        "name": "Tea time", "status": "paused", "ends_at": "2030-06-01T16:00:00+00:00"}
    row = _fresh(tenant_a, discount["id"])
    assert (row.name, row.status, row.amount_off, row.item_ids) == ("Tea time", CouponStatus.PAUSED, 500, [tea])
    # and every write was audited as the token's staff member
    entries = _audited(tenant_a)
    assert [(e.action, e.actor_email, e.target) for e in entries] == [
        ("timed_discount.create", "olga@staff.example.com", f"timed_discount {discount['id']}"),
        ("timed_discount.update", "olga@staff.example.com", f"timed_discount {discount['id']}")]
    assert entries[1].details == {"name": "Tea time", "fields": ["ends_at", "name", "status"],
                                  "api_token": str(owner.token_id)}


def test_each_write_is_seen_at_once_by_the_storefronts_offers(client, db_session, tenant_a, owner, tea):
    def offered() -> list[int]:  # remembered per process until the shop's marketing stamp moves
        with tenant_scope(tenant_a):
            return [item_id for item_id, _offer in offers_on([int(tea)], utcnow())]

    assert offered() == []
    created = client.post(API, headers=owner.headers, json=good(tea, starts_at="2020-01-01T00:00:00Z"))
    assert offered() == [int(tea)]
    path = f"{API}/{created.json['discount']['id']}"
    assert client.patch(path, headers=owner.headers, json={"status": "paused"}).status_code == 200
    assert offered() == []
    assert client.patch(path, headers=owner.headers, json={"status": "active"}).status_code == 200
    assert offered() == [int(tea)]
    assert client.patch(path, headers=owner.headers, json={"ends_at": "2020-06-01T00:00:00Z"}).status_code == 200
    assert offered() == []


def test_creating_a_discount_with_an_idempotency_key_replays_the_first_answer(client, db_session, tenant_a, owner,
                                                                              tea):
    keyed = {**owner.headers, "Idempotency-Key": "weekend-2030"}
    first = client.post(API, headers=keyed, json=good(tea))
    again = client.post(API, headers=keyed, json=good(tea))
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    other = client.post(API, headers=keyed, json=good(tea, name="Other"))
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert _count(tenant_a) == 1
    assert [e.action for e in _audited(tenant_a)] == ["timed_discount.create"]


def test_discounts_are_listed_a_page_at_a_time_and_by_status(client, db_session, tenant_a, owner, tea):
    ids = [client.post(API, headers=owner.headers, json=good(tea, name=name)).json["discount"]["id"]
           for name in ("A", "B", "C")]
    client.patch(f"{API}/{ids[1]}", headers=owner.headers, json={"status": "ended"})
    first = client.get(f"{API}?limit=2", headers=owner.headers).json
    second = client.get(f"{API}?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    assert [d["name"] for d in first["discounts"] + second["discounts"]] == ["C", "B", "A"]
    assert second["next_cursor"] is None
    assert [d["name"] for d in client.get(f"{API}?status=ended", headers=owner.headers).json["discounts"]] == ["B"]
    for query in ("status=gone", "limit=0", "limit=101", "cursor=x"):
        answer = client.get(f"{API}?{query}", headers=owner.headers)
        assert (answer.status_code, answer.json["error"]["code"]) == (422, "invalid_input"), query


def test_a_token_without_marketing_manage_may_not(client, db_session, tenant_a, owner, tea):
    made = client.post(API, headers=owner.headers, json=good(tea)).json["discount"]["id"]
    without = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage"])
    for method, path, body in [("GET", "", None), ("POST", "", good(tea)), ("GET", f"/{made}", None),
                               ("PATCH", f"/{made}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=without.headers)
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    assert client.get(API).status_code == 401
    assert (_fresh(tenant_a, made).status, _count(tenant_a)) == (CouponStatus.ACTIVE, 1)
    assert [e.action for e in _audited(tenant_a)] == ["timed_discount.create"]


def test_another_shops_discounts_and_items_are_not_found(client, db_session, tenant_a, tenant_b, owner, tea):
    theirs = staff_token(db_session, tenant_b)
    with tenant_scope(tenant_b):
        their_item = str(create_item(kind="physical", name="Theirs", price=100).id)
        db_session.commit()
    made = client.post(API, headers=theirs.headers, json=good(their_item)).json["discount"]["id"]
    for method, path, body in [("GET", f"/{made}", None), ("PATCH", f"/{made}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "discount_not_found"), path
    assert client.get(API, headers=owner.headers).json == {"discounts": [], "next_cursor": None}
    assert _fresh(tenant_b, made).status == CouponStatus.ACTIVE
    # and shop A cannot discount shop B's item, alone or beside its own
    for item_ids in ([their_item], [tea, their_item]):
        refused = client.post(API, headers=owner.headers, json=good(tea, item_ids=item_ids))
        assert (refused.status_code, refused.json["error"]["fields"]) == (422, {"item_ids": ["There is no such item."]})
    assert _count(tenant_a) == 0
    assert _audited(tenant_a) == []


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"), ({"name": "x" * 61}, "name"), ({"name": 5}, "name"),
    ({"item_ids": []}, "item_ids"), ({"item_ids": ["x"]}, "item_ids"), ({"item_ids": [1]}, "item_ids"),
    ({"item_ids": ["1"] * 501}, "item_ids"), ({"item_ids": ["999999999"]}, "item_ids"),
    ({"percent_bp": 0}, "percent_bp"), ({"percent_bp": 10_000}, "percent_bp"), ({"percent_bp": "15"}, "percent_bp"),
    ({"percent_bp": 1500, "amount_off": 100}, "percent_bp"), ({"percent_bp": 0, "amount_off": -1}, "amount_off"),
    ({"percent_bp": 0, "amount_off": 10**13}, "amount_off"), ({"ends_at": "2030-06-03T14:00:00"}, "ends_at"),
    ({"ends_at": "2030-05-01T00:00:00Z"}, "ends_at"), ({"starts_at": None}, "starts_at"),
    ({"ends_at": "0001-01-01T00:00:00+01:00"}, "ends_at"), ({"funded_by": "nobody"}, "funded_by"),
    ({"status": "paused"}, "status"),
])
def test_bad_discount_bodies_are_422_naming_the_field_and_create_nothing(client, db_session, tenant_a, owner, tea,
                                                                         change, field):
    response = client.post(API, headers=owner.headers, json=good(tea, **change))
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"], response.json
    assert _count(tenant_a) == 0
    assert _audited(tenant_a) == []


def test_bad_changes_are_refused_and_change_nothing(client, db_session, tenant_a, owner, tea):
    discount = client.post(API, headers=owner.headers, json=good(tea)).json["discount"]
    path = f"{API}/{discount['id']}"
    for body, field in [({}, "_schema"), ({"percent_bp": 100}, "percent_bp"), ({"item_ids": [tea]}, "item_ids"),
                        ({"status": "gone"}, "status"), ({"name": " "}, "name"), ({"ends_at": None}, "ends_at"),
                        ({"ends_at": "soon"}, "ends_at"), ({"ends_at": "2030-06-01T01:59:00Z"}, "ends_at")]:
        response = client.patch(path, headers=owner.headers, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), body
        assert field in response.json["error"]["fields"], body
    # an ended discount stays ended
    assert client.patch(path, headers=owner.headers, json={"status": "ended"}).status_code == 200
    revived = client.patch(path, headers=owner.headers, json={"status": "active", "name": "Back"})
    assert (revived.status_code, revived.json["error"]["fields"]) == (
        422, {"status": ["An ended discount stays ended: make a new one."]})
    row = _fresh(tenant_a, discount["id"])
    assert (row.name, row.status, row.percent_bp) == ("Weekend tea", CouponStatus.ENDED, 1500)
    assert [e.action for e in _audited(tenant_a)] == ["timed_discount.create", "timed_discount.update"]


def test_the_list_costs_the_same_queries_however_many_it_shows(client, db_session, tenant_a, owner, tea,
                                                               count_queries):
    for name in ("A", "B"):
        client.post(API, headers=owner.headers, json=good(tea, name=name))
    with count_queries() as few:
        assert len(client.get(API, headers=owner.headers).json["discounts"]) == 2
    for name in "CDEFGH":
        client.post(API, headers=owner.headers, json=good(tea, name=name, percent_bp=0, amount_off=100))
    with count_queries() as many:
        assert len(client.get(API, headers=owner.headers).json["discounts"]) == 8
    # the token, the discounts and their figures
    assert len(many) == len(few) == 3


def test_the_document_describes_the_timed_discount_routes(client):
    document = client.get("/admin/api/v1/openapi.json").json
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/admin/api/v1/timed-discounts"])
    assert {"get", "patch"} <= set(paths["/admin/api/v1/timed-discounts/{discount_id}"])
    out = document["components"]["schemas"]["StaffDiscountOut"]["properties"]
    assert {"item_ids", "percent_bp", "amount_off", "figures"} <= set(out)


@pytest.mark.parametrize("path", ["/admin/api/v1/timed-discounts", "/admin/api/v1/bundles",
                                  "/admin/api/v1/free-shipping-rules"])
def test_a_shop_cannot_put_its_discounts_on_the_platforms_books(client, db_session, owner, path):
    # platform-funded discounts move their cost to the platform at settlement: only the platform makes them
    answer = client.post(path, headers={**owner.headers, "Idempotency-Key": "platform-pays"},
                         json={"funded_by": "platform"})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"]["funded_by"] == [
        "A shop's discounts are paid for by the shop; only the platform makes ones it pays for."]

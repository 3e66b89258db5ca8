"""Coupons in the Admin API: made, listed, read, changed and sent with a staff token carrying
marketing.manage; refused without it, blind to other shops, audited, idempotent on create."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_category, create_item
from engines.marketing.models import ConsumerCoupon, Coupon, CouponStatus
from tests.admin_api import staff_token

API = "/admin/api/v1"
LATER = "2030-06-30T16:00:00Z"
GOOD = {"name": "Big spender", "kind": "threshold", "amount": 1000, "minimum": 5000, "ends_at": LATER}


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="olga@staff.example.com")


def _customer(create_consumer, tenant) -> int:
    made = create_consumer(tenant)
    with tenant_scope(tenant):
        return made.id


def _count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Coupon))


def _fresh(tenant, coupon_id) -> Coupon:
    with tenant_scope(tenant):
        return db.session.scalar(select(Coupon).where(Coupon.id == int(coupon_id))
                                 .execution_options(populate_existing=True))


def test_a_coupon_is_created_read_listed_changed_and_sent(client, db_session, tenant_a, owner, create_consumer):
    # given a category, an item and two customers
    with tenant_scope(tenant_a):
        drinks = create_category(name="Drinks").id
        cheap = create_item(kind="physical", name="Cheap tea", price=100).id
        db_session.commit()
    ann, bob = _customer(create_consumer, tenant_a), _customer(create_consumer, tenant_a)
    # when an integration makes ¥10 off a spend of ¥50 on drinks but one item, 2 a customer
    created = client.post(f"{API}/coupons", headers=owner.headers, json={
        **GOOD, "scope": "categories", "scope_ids": [str(drinks)], "excluded_item_ids": [str(cheap)],
        "starts_at": "2030-06-01T00:00:00+08:00", "total_limit": 100, "per_consumer_limit": 2, "public": False,
        "percent_bp": 500})
    # then it exists with those rules, money answered as MoneyOut
    assert created.status_code == 201, created.json
    coupon = created.json["coupon"]
    assert created.headers["Location"] == f"{API}/coupons/{coupon['id']}"
    assert {k: coupon[k] for k in ("name", "kind", "scope", "scope_ids", "excluded_item_ids", "starts_at", "ends_at",
                                   "status", "public", "total_limit", "per_consumer_limit", "issued_count",
                                   "used_count", "percent_bp", "funded_by", "left")} == {
        "name": "Big spender", "kind": "threshold", "scope": "categories", "scope_ids": [str(drinks)],
        "excluded_item_ids": [str(cheap)], "starts_at": "2030-05-31T16:00:00+00:00",
        "ends_at": "2030-06-30T16:00:00+00:00", "status": "active", "public": False, "total_limit": 100,
        "per_consumer_limit": 2, "issued_count": 0, "used_count": 0, "percent_bp": 0, "funded_by": "merchant",
        "left": 100}
    assert (coupon["amount"], coupon["minimum"]) == ({"amount": 1000, "currency": "CNY", "display": "¥10.00"},
                                                     {"amount": 5000, "currency": "CNY", "display": "¥50.00"})
    row = _fresh(tenant_a, coupon["id"])
    assert (row.amount, row.minimum, row.scope_ids, row.public) == (1000, 5000, [str(drinks)], False)
    # and it is read and listed
    assert client.get(f"{API}/coupons/{coupon['id']}", headers=owner.headers).json == {"coupon": coupon}
    assert client.get(f"{API}/coupons", headers=owner.headers).json == {"coupons": [coupon], "next_cursor": None}
    # when it is renamed, paused and given fewer copies
    changed = client.patch(f"{API}/coupons/{coupon['id']}", headers=owner.headers, json={
        "name": "Summer", "status": "paused", "total_limit": 50, "per_consumer_limit": 1,
        "ends_at": "2030-07-31T00:00:00+08:00", "public": True})
    assert changed.status_code == 200, changed.json
    assert {k: changed.json["coupon"][k] for k in ("name", "status", "total_limit", "per_consumer_limit", "ends_at",
                                                   "public")} == {
        "name": "Summer", "status": "paused", "total_limit": 50, "per_consumer_limit": 1,
        "ends_at": "2030-07-30T16:00:00+00:00", "public": True}
    row = _fresh(tenant_a, coupon["id"])
    assert (row.name, row.status, row.total_limit) == ("Summer", CouponStatus.PAUSED, 50)
    # when it is sent while paused, nothing is sent
    paused = client.post(f"{API}/coupons/{coupon['id']}/issue", headers=owner.headers,
                         json={"consumer_ids": [str(ann)]})
    assert (paused.status_code, paused.json["error"]["code"]) == (409, "coupon_not_claimable")
    # when it is resumed and sent to two customers, one named twice, and to no one's id
    client.patch(f"{API}/coupons/{coupon['id']}", headers=owner.headers, json={"status": "active"})
    sent = client.post(f"{API}/coupons/{coupon['id']}/issue", headers=owner.headers,
                       json={"consumer_ids": [str(ann), str(bob), str(ann), "12345"]})
    # then each got one copy, and the rest are refused with the reason
    assert sent.status_code == 200, sent.json
    assert sent.json == {"issued": 2, "refused": [{"consumer_id": str(ann), "code": "coupon_limit_reached"},
                                                  {"consumer_id": "12345", "code": "not_found"}]}
    with tenant_scope(tenant_a):
        held = sorted(db.session.execute(select(ConsumerCoupon.consumer_id, ConsumerCoupon.source)).all())
    assert held == sorted([(ann, "sent"), (bob, "sent")])
    assert client.get(f"{API}/coupons/{coupon['id']}", headers=owner.headers).json["coupon"]["issued_count"] == 2
    # and the limit cannot go below the copies out
    below = client.patch(f"{API}/coupons/{coupon['id']}", headers=owner.headers, json={"total_limit": 1})
    assert (below.status_code, below.json["error"]["fields"]) == (
        422, {"total_limit": ["2 copies are out already: the limit cannot be lower."]})
    assert _fresh(tenant_a, coupon["id"]).total_limit == 50
    # and every write was audited as the token's staff member
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                       AuditEntry.action.like("coupon.%")).order_by(AuditEntry.at)).all()
    assert [(r.action, r.actor_email, r.target) for r in rows] == [
        ("coupon.create", "olga@staff.example.com", f"coupon {coupon['id']}"),
        ("coupon.update", "olga@staff.example.com", f"coupon {coupon['id']}"),
        ("coupon.update", "olga@staff.example.com", f"coupon {coupon['id']}"),
        ("coupon.send", "olga@staff.example.com", f"coupon {coupon['id']}")]
    assert rows[-1].details == {"name": "Summer", "issued": 2, "refused": 2, "api_token": str(owner.token_id)}


def test_creating_a_coupon_with_an_idempotency_key_replays_the_first_answer(client, db_session, tenant_a, owner):
    keyed = {**owner.headers, "Idempotency-Key": "campaign-7"}
    first = client.post(f"{API}/coupons", headers=keyed, json=GOOD)
    again = client.post(f"{API}/coupons", headers=keyed, json=GOOD)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert _count(tenant_a) == 1
    other = client.post(f"{API}/coupons", headers=keyed, json={**GOOD, "name": "Other"})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert _count(tenant_a) == 1


def test_coupons_are_listed_a_page_at_a_time(client, db_session, tenant_a, owner):
    ids = [client.post(f"{API}/coupons", headers=owner.headers, json={**GOOD, "name": name}).json["coupon"]["id"]
           for name in ("A", "B", "C")]
    client.patch(f"{API}/coupons/{ids[1]}", headers=owner.headers, json={"status": "ended"})
    first = client.get(f"{API}/coupons?limit=2", headers=owner.headers).json
    second = client.get(f"{API}/coupons?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    assert [c["name"] for c in first["coupons"] + second["coupons"]] == ["C", "B", "A"]
    assert second["next_cursor"] is None
    assert [c["name"] for c in client.get(f"{API}/coupons?status=ended", headers=owner.headers).json["coupons"]] == ["B"]
    for bad in ("limit=0", "limit=101", "cursor=abc", "status=gone"):
        response = client.get(f"{API}/coupons?{bad}", headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), bad


def test_a_manager_token_with_marketing_manage_may_and_one_without_may_not(client, db_session, tenant_a,
                                                                          create_consumer):
    consumer = _customer(create_consumer, tenant_a)
    allowed = staff_token(db_session, tenant_a, role="manager", permissions=["marketing.manage"])
    made = client.post(f"{API}/coupons", headers=allowed.headers, json=GOOD)
    assert made.status_code == 201
    coupon_id = made.json["coupon"]["id"]
    without = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage"])
    for method, path, body in [("GET", "/coupons", None), ("POST", "/coupons", GOOD),
                               ("GET", f"/coupons/{coupon_id}", None),
                               ("PATCH", f"/coupons/{coupon_id}", {"status": "ended"}),
                               ("POST", f"/coupons/{coupon_id}/issue", {"consumer_ids": [str(consumer)]})]:
        response = client.open(API + path, method=method, json=body, headers=without.headers)
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    row = _fresh(tenant_a, coupon_id)
    assert (row.status, row.issued_count, _count(tenant_a)) == (CouponStatus.ACTIVE, 0, 1)


def test_another_shops_coupons_and_customers_are_not_found(client, db_session, tenant_a, tenant_b, owner,
                                                          create_consumer):
    theirs = staff_token(db_session, tenant_b)
    coupon_id = client.post(f"{API}/coupons", headers=theirs.headers, json=GOOD).json["coupon"]["id"]
    their_customer = _customer(create_consumer, tenant_b)
    for method, path, body in [("GET", f"/coupons/{coupon_id}", None),
                               ("PATCH", f"/coupons/{coupon_id}", {"status": "ended"}),
                               ("POST", f"/coupons/{coupon_id}/issue", {"consumer_ids": [str(their_customer)]})]:
        response = client.open(API + path, method=method, json=body, headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "coupon_not_found"), path
    assert client.get(f"{API}/coupons", headers=owner.headers).json == {"coupons": [], "next_cursor": None}
    row = _fresh(tenant_b, coupon_id)
    assert (row.status, row.issued_count) == (CouponStatus.ACTIVE, 0)
    # and shop A's coupon cannot be sent to B's customer, nor name B's items
    mine = client.post(f"{API}/coupons", headers=owner.headers, json=GOOD).json["coupon"]["id"]
    sent = client.post(f"{API}/coupons/{mine}/issue", headers=owner.headers,
                       json={"consumer_ids": [str(their_customer)]})
    assert sent.json == {"issued": 0, "refused": [{"consumer_id": str(their_customer), "code": "not_found"}]}
    with tenant_scope(tenant_b):
        item = create_item(kind="physical", name="B's tea", price=100).id
        db_session.commit()
    scoped = client.post(f"{API}/coupons", headers=owner.headers,
                         json={**GOOD, "scope": "items", "scope_ids": [str(item)]})
    assert (scoped.status_code, scoped.json["error"]["fields"]) == (422, {"scope_ids": ["There is no such item."]})
    assert _count(tenant_a) == 1


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "kind": "spaceship"}, "kind"),
    ({**GOOD, "name": ""}, "name"),
    ({**GOOD, "amount": "10.00"}, "amount"),
    ({**GOOD, "amount": -1}, "amount"),
    ({**GOOD, "amount": 10**13}, "amount"),
    ({**GOOD, "minimum": 1000}, "minimum"),
    ({**GOOD, "kind": "percent", "percent_bp": 10_000}, "percent_bp"),
    ({**GOOD, "ends_at": "2030-06-30T16:00:00"}, "ends_at"),
    ({**GOOD, "ends_at": "0001-01-01T00:00:00+01:00"}, "ends_at"),
    ({**GOOD, "ends_at": None}, "ends_at"),
    ({**GOOD, "starts_at": "2030-07-01T00:00:00Z"}, "ends_at"),
    ({**GOOD, "scope": "items"}, "scope_ids"),
    ({**GOOD, "scope": "categories", "scope_ids": ["999"]}, "scope_ids"),
    ({**GOOD, "scope_ids": ["x"]}, "scope_ids"),
    ({**GOOD, "excluded_item_ids": ["999"]}, "excluded_item_ids"),
    ({**GOOD, "per_consumer_limit": 0}, "per_consumer_limit"),
    ({**GOOD, "total_limit": 0}, "total_limit"),
    ({**GOOD, "valid_days": 0}, "valid_days"),
    ({**GOOD, "funded_by": "platform"}, "funded_by"),
])
def test_bad_coupon_bodies_are_422_naming_the_field_and_create_nothing(client, db_session, tenant_a, owner, body,
                                                                       field):
    response = client.post(f"{API}/coupons", headers=owner.headers, json=body)
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"], response.json
    assert _count(tenant_a) == 0


def test_bad_changes_and_sends_are_refused_and_change_nothing(client, db_session, tenant_a, owner):
    coupon = client.post(f"{API}/coupons", headers=owner.headers, json=GOOD).json["coupon"]
    path = f"{API}/coupons/{coupon['id']}"
    for body, field in [({}, "_schema"), ({"kind": "percent"}, "kind"), ({"amount": 1}, "amount"),
                        ({"status": "gone"}, "status"), ({"total_limit": -1}, "total_limit"),
                        ({"per_consumer_limit": 101}, "per_consumer_limit"), ({"ends_at": None}, "ends_at"),
                        ({"ends_at": "soon"}, "ends_at"), ({"public": "perhaps"}, "public")]:
        response = client.patch(path, headers=owner.headers, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), body
        assert field in response.json["error"]["fields"], body
    for body, field in [({}, "consumer_ids"), ({"consumer_ids": []}, "consumer_ids"),
                        ({"consumer_ids": ["1"] * 501}, "consumer_ids"), ({"consumer_ids": [1]}, "consumer_ids")]:
        response = client.post(f"{path}/issue", headers=owner.headers, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), body
        assert field in response.json["error"]["fields"], body
    # an ended coupon stays ended
    assert client.patch(path, headers=owner.headers, json={"status": "ended"}).status_code == 200
    revived = client.patch(path, headers=owner.headers, json={"status": "active", "name": "Back"})
    assert (revived.status_code, revived.json["error"]["fields"]) == (
        422, {"status": ["An ended coupon stays ended: make a new one."]})
    row = _fresh(tenant_a, coupon["id"])
    assert (row.name, row.status, row.total_limit, row.per_consumer_limit, row.issued_count) == (
        "Big spender", CouponStatus.ENDED, None, 1, 0)


def test_the_coupons_list_costs_the_same_queries_however_many_it_shows(client, db_session, tenant_a, owner,
                                                                       count_queries):
    for name in ("A", "B"):
        client.post(f"{API}/coupons", headers=owner.headers, json={**GOOD, "name": name})
    with count_queries() as few:
        assert len(client.get(f"{API}/coupons", headers=owner.headers).json["coupons"]) == 2
    for name in "CDEFGH":
        client.post(f"{API}/coupons", headers=owner.headers, json={**GOOD, "name": name})
    with count_queries() as many:
        assert len(client.get(f"{API}/coupons", headers=owner.headers).json["coupons"]) == 8
    # the token, the coupons and their figures
    assert len(many) == len(few) == 3


def test_a_coupon_with_a_daily_limit_and_both_flags_reads_them_back(client, db_session, tenant_a, owner):
    # when a coupon is made with 20 copies a day, not on special prices, not with order promotions
    created = client.post(f"{API}/coupons", headers=owner.headers, json={
        **GOOD, "per_day_limit": 20, "on_special_prices": False, "combines_with_promotions": False})
    # then it answers and stores them
    assert created.status_code == 201, created.json
    coupon = created.json["coupon"]
    assert (coupon["per_day_limit"], coupon["on_special_prices"], coupon["combines_with_promotions"]) == (
        20, False, False)
    row = _fresh(tenant_a, coupon["id"])
    assert (row.per_day_limit, row.on_special_prices, row.combines_with_promotions) == (20, False, False)
    assert client.get(f"{API}/coupons/{coupon['id']}", headers=owner.headers).json == {"coupon": coupon}
    # and left out, there is no daily limit and both flags are on
    plain = client.post(f"{API}/coupons", headers=owner.headers, json=GOOD).json["coupon"]
    assert (plain["per_day_limit"], plain["on_special_prices"], plain["combines_with_promotions"]) == (
        None, True, True)


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "per_day_limit": 0}, "per_day_limit"),
    ({**GOOD, "per_day_limit": 10**8 + 1}, "per_day_limit"),
    ({**GOOD, "per_day_limit": "5"}, "per_day_limit"),
    ({**GOOD, "on_special_prices": "perhaps"}, "on_special_prices"),
    ({**GOOD, "combines_with_promotions": None}, "combines_with_promotions"),
])
def test_bad_daily_limits_and_flags_are_422_naming_the_field(client, db_session, tenant_a, owner, body, field):
    response = client.post(f"{API}/coupons", headers=owner.headers, json=body)
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"], response.json
    assert _count(tenant_a) == 0

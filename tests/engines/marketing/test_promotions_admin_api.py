"""Order promotions in the Admin API: made, listed, read and changed with a staff token carrying
marketing.manage; refused without it, blind to other shops, audited, idempotent on create, and
each bad field named."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_category, create_item, skus_by_item
from engines.marketing.models import CouponStatus, Promotion
from engines.marketing.services import CouponRules, create_coupon, set_coupon_status
from tests.admin_api import staff_token

API = "/admin/api/v1"
STARTS = "2030-06-01T00:00:00+08:00"
ENDS = "2030-06-30T16:00:00Z"
TWO_TIERS = [{"threshold": 5000, "amount_off": 1000}, {"threshold": 10000, "amount_off": 2500}]
NOTHING_MORE = {"gifts": [], "free_shipping": False, "points": None, "coupon_ids": []}  # a tier giving money alone
GOOD = {"name": "Big spender", "kind": "spend", "tiers": TWO_TIERS, "starts_at": STARTS, "ends_at": ENDS}


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="olga@staff.example.com")


def _count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Promotion))


def _fresh(tenant, promotion_id) -> Promotion:
    with tenant_scope(tenant):
        return db.session.scalar(select(Promotion).where(Promotion.id == int(promotion_id))
                                 .execution_options(populate_existing=True))


def _money(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY", "display": f"¥{amount / 100:,.2f}"}


def test_a_promotion_is_created_read_listed_and_changed(client, db_session, tenant_a, owner):
    # given a category and an item
    with tenant_scope(tenant_a):
        drinks = create_category(name="Drinks").id
        cheap = create_item(kind="physical", name="Cheap tea", price=100).id
        db_session.commit()
    # when an integration makes ¥10 off a spend of ¥50 and ¥25 off ¥100 on drinks but one item,
    # exclusive, without coupons, with a budget of ¥500
    created = client.post(f"{API}/promotions", headers=owner.headers, json={
        **GOOD, "scope": "categories", "scope_ids": [str(drinks)], "excluded_item_ids": [str(cheap)], "priority": 7,
        "exclusive": True, "combines_with_coupons": False, "budget": 50000})
    # then it exists with those rules, money answered as MoneyOut
    assert created.status_code == 201, created.json
    promotion = created.json["promotion"]
    assert created.headers["Location"] == f"{API}/promotions/{promotion['id']}"
    assert promotion["tiers"] == [
        {"threshold": 5000, "min_spend": _money(5000), "amount_off": _money(1000), "percent_bp": None, **NOTHING_MORE},
        {"threshold": 10000, "min_spend": _money(10000), "amount_off": _money(2500), "percent_bp": None,
         **NOTHING_MORE}]
    assert {k: promotion[k] for k in ("name", "kind", "scope", "scope_ids", "excluded_item_ids", "starts_at",
                                      "ends_at", "priority", "exclusive", "combines_with_coupons", "budget",
                                      "budget_used", "funded_by", "status")} == {
        "name": "Big spender", "kind": "spend", "scope": "categories", "scope_ids": [str(drinks)],
        "excluded_item_ids": [str(cheap)], "starts_at": "2030-05-31T16:00:00+00:00",
        "ends_at": "2030-06-30T16:00:00+00:00", "priority": 7, "exclusive": True, "combines_with_coupons": False,
        "budget": _money(50000), "budget_used": _money(0), "funded_by": "merchant", "status": "active"}
    row = _fresh(tenant_a, promotion["id"])
    assert (row.tiers, row.scope_ids, row.budget, row.exclusive) == (TWO_TIERS, [str(drinks)], 50000, True)
    # and it is read and listed
    assert client.get(f"{API}/promotions/{promotion['id']}", headers=owner.headers).json == {"promotion": promotion}
    assert client.get(f"{API}/promotions", headers=owner.headers).json == {"promotions": [promotion],
                                                                          "next_cursor": None}
    # when it is renamed, paused, ended later, put first and given a smaller budget
    changed = client.patch(f"{API}/promotions/{promotion['id']}", headers=owner.headers, json={
        "name": "Summer", "status": "paused", "ends_at": "2030-07-31T00:00:00+08:00", "priority": 100,
        "budget": 20000})
    assert changed.status_code == 200, changed.json
    assert {k: changed.json["promotion"][k] for k in ("name", "status", "ends_at", "priority", "budget")} == {
        "name": "Summer", "status": "paused", "ends_at": "2030-07-30T16:00:00+00:00", "priority": 100,
        "budget": _money(20000)}
    row = _fresh(tenant_a, promotion["id"])
    assert (row.name, row.status, row.priority, row.budget) == ("Summer", CouponStatus.PAUSED, 100, 20000)
    # and the budget cannot go below what it has given
    with tenant_scope(tenant_a):
        row.budget_used = 12000
        db_session.commit()
    below = client.patch(f"{API}/promotions/{promotion['id']}", headers=owner.headers, json={"budget": 11999})
    assert (below.status_code, below.json["error"]["fields"]) == (
        422, {"budget": ["¥120.00 has been given already: the budget cannot be lower."]})
    assert _fresh(tenant_a, promotion["id"]).budget == 20000
    exactly = client.patch(f"{API}/promotions/{promotion['id']}", headers=owner.headers, json={"budget": 12000})
    assert exactly.status_code == 200 and exactly.json["promotion"]["budget_used"] == _money(12000)
    unbudgeted = client.patch(f"{API}/promotions/{promotion['id']}", headers=owner.headers, json={"budget": None})
    assert unbudgeted.status_code == 200 and unbudgeted.json["promotion"]["budget"] is None
    # and every write was audited as the token's staff member
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                       AuditEntry.action.like("promotion.%"))
                              .order_by(AuditEntry.at, AuditEntry.id)).all()
    assert [(r.action, r.actor_email, r.target) for r in rows] == [
        ("promotion.create", "olga@staff.example.com", f"promotion {promotion['id']}")] + [
        ("promotion.update", "olga@staff.example.com", f"promotion {promotion['id']}")] * 3
    assert rows[1].details == {"name": "Summer", "fields": ["budget", "ends_at", "name", "priority", "status"],
                               "api_token": str(owner.token_id)}


def test_a_quantity_promotion_answers_its_threshold_as_a_count(client, db_session, tenant_a, owner):
    created = client.post(f"{API}/promotions", headers=owner.headers, json={
        **GOOD, "kind": "quantity", "tiers": [{"threshold": 3, "percent_bp": 1000}]})
    assert created.status_code == 201, created.json
    assert created.json["promotion"]["tiers"] == [{"threshold": 3, "min_spend": None, "amount_off": None,
                                                   "percent_bp": 1000, **NOTHING_MORE}]
    assert (created.json["promotion"]["budget"], created.json["promotion"]["priority"],
            created.json["promotion"]["combines_with_coupons"]) == (None, 0, True)


def test_creating_a_promotion_with_an_idempotency_key_replays_the_first_answer(client, db_session, tenant_a, owner):
    keyed = {**owner.headers, "Idempotency-Key": "summer-2030"}
    first = client.post(f"{API}/promotions", headers=keyed, json=GOOD)
    again = client.post(f"{API}/promotions", headers=keyed, json=GOOD)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert _count(tenant_a) == 1
    other = client.post(f"{API}/promotions", headers=keyed, json={**GOOD, "name": "Other"})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert _count(tenant_a) == 1
    audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.tenant_id == tenant_a.id, AuditEntry.action == "promotion.create"))
    assert audited == 1


def test_promotions_are_listed_a_page_at_a_time(client, db_session, tenant_a, owner):
    ids = [client.post(f"{API}/promotions", headers=owner.headers, json={**GOOD, "name": name}).json["promotion"]["id"]
           for name in ("A", "B", "C")]
    client.patch(f"{API}/promotions/{ids[1]}", headers=owner.headers, json={"status": "ended"})
    first = client.get(f"{API}/promotions?limit=2", headers=owner.headers).json
    second = client.get(f"{API}/promotions?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    assert [p["name"] for p in first["promotions"] + second["promotions"]] == ["C", "B", "A"]
    assert second["next_cursor"] is None
    ended = client.get(f"{API}/promotions?status=ended", headers=owner.headers).json["promotions"]
    assert [p["name"] for p in ended] == ["B"]
    for bad in ("limit=0", "limit=101", "cursor=abc", "status=gone"):
        response = client.get(f"{API}/promotions?{bad}", headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), bad


def test_a_token_with_marketing_manage_may_and_one_without_may_not(client, db_session, tenant_a):
    allowed = staff_token(db_session, tenant_a, role="manager", permissions=["marketing.manage"])
    made = client.post(f"{API}/promotions", headers=allowed.headers, json=GOOD)
    assert made.status_code == 201
    promotion_id = made.json["promotion"]["id"]
    assert client.get(f"{API}/promotions/{promotion_id}", headers=allowed.headers).status_code == 200
    without = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage"])
    for method, path, body in [("GET", "/promotions", None), ("POST", "/promotions", GOOD),
                               ("GET", f"/promotions/{promotion_id}", None),
                               ("PATCH", f"/promotions/{promotion_id}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=without.headers)
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    assert (_fresh(tenant_a, promotion_id).status, _count(tenant_a)) == (CouponStatus.ACTIVE, 1)


def test_another_shops_promotions_are_not_found(client, db_session, tenant_a, tenant_b, owner):
    theirs = staff_token(db_session, tenant_b)
    promotion_id = client.post(f"{API}/promotions", headers=theirs.headers, json=GOOD).json["promotion"]["id"]
    for method, path, body in [("GET", f"/promotions/{promotion_id}", None),
                               ("PATCH", f"/promotions/{promotion_id}", {"status": "ended"})]:
        response = client.open(API + path, method=method, json=body, headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "promotion_not_found"), path
    assert client.get(f"{API}/promotions", headers=owner.headers).json == {"promotions": [], "next_cursor": None}
    assert _fresh(tenant_b, promotion_id).status == CouponStatus.ACTIVE
    # and shop A's promotion cannot name B's items
    with tenant_scope(tenant_b):
        item = create_item(kind="physical", name="B's tea", price=100).id
        db_session.commit()
    scoped = client.post(f"{API}/promotions", headers=owner.headers,
                         json={**GOOD, "scope": "items", "scope_ids": [str(item)]})
    assert (scoped.status_code, scoped.json["error"]["fields"]) == (422, {"scope_ids": ["There is no such item."]})
    assert _count(tenant_a) == 0


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "kind": "bogof"}, "kind"),
    ({**GOOD, "name": ""}, "name"),
    ({**GOOD, "name": "   "}, "name"),
    ({**GOOD, "tiers": []}, "tiers"),
    ({**GOOD, "tiers": TWO_TIERS * 3}, "tiers"),
    ({**GOOD, "tiers": [{"threshold": "50.00", "amount_off": 1000}]}, "tiers"),
    ({**GOOD, "tiers": [{"threshold": 5000}]}, "tiers"),
    ({**GOOD, "tiers": [{"threshold": 5000, "amount_off": 100, "percent_bp": 1000}]}, "tiers"),
    ({**GOOD, "tiers": [{"threshold": 5000, "amount_off": 5000}]}, "tiers"),
    ({**GOOD, "tiers": list(reversed(TWO_TIERS))}, "tiers"),
    ({**GOOD, "tiers": [{"threshold": 3, "percent_bp": 10_000}]}, "tiers"),
    ({**GOOD, "tiers": [{"threshold": 0, "amount_off": 1}]}, "tiers"),
    ({**GOOD, "starts_at": None}, "starts_at"),
    ({**GOOD, "ends_at": "2030-06-30T16:00:00"}, "ends_at"),
    ({**GOOD, "starts_at": "2030-07-01T00:00:00Z"}, "ends_at"),
    ({**GOOD, "scope": "items"}, "scope_ids"),
    ({**GOOD, "scope": "categories", "scope_ids": ["999"]}, "scope_ids"),
    ({**GOOD, "excluded_item_ids": ["999"]}, "excluded_item_ids"),
    ({**GOOD, "priority": 1001}, "priority"),
    ({**GOOD, "priority": "1"}, "priority"),
    ({**GOOD, "budget": 0}, "budget"),
    ({**GOOD, "exclusive": "perhaps"}, "exclusive"),
    ({**GOOD, "funded_by": "platform"}, "funded_by"),
])
def test_bad_promotion_bodies_are_422_naming_the_field_and_create_nothing(client, db_session, tenant_a, owner, body,
                                                                          field):
    response = client.post(f"{API}/promotions", headers=owner.headers, json=body)
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"], response.json
    assert _count(tenant_a) == 0


def test_bad_changes_are_refused_and_change_nothing(client, db_session, tenant_a, owner):
    promotion = client.post(f"{API}/promotions", headers=owner.headers, json=GOOD).json["promotion"]
    path = f"{API}/promotions/{promotion['id']}"
    for body, field in [({}, "_schema"), ({"tiers": TWO_TIERS}, "tiers"), ({"kind": "quantity"}, "kind"),
                        ({"status": "gone"}, "status"), ({"name": " "}, "name"), ({"ends_at": None}, "ends_at"),
                        ({"ends_at": "soon"}, "ends_at"), ({"ends_at": "2030-05-01T00:00:00Z"}, "ends_at"),
                        ({"budget": 0}, "budget"), ({"priority": -1001}, "priority"),
                        ({"exclusive": False}, "exclusive")]:
        response = client.patch(path, headers=owner.headers, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), body
        assert field in response.json["error"]["fields"], body
    # an ended promotion stays ended
    assert client.patch(path, headers=owner.headers, json={"status": "ended"}).status_code == 200
    revived = client.patch(path, headers=owner.headers, json={"status": "active", "name": "Back"})
    assert (revived.status_code, revived.json["error"]["fields"]) == (
        422, {"status": ["An ended promotion stays ended: make a new one."]})
    row = _fresh(tenant_a, promotion["id"])
    assert (row.name, row.status, row.priority, row.budget, row.tiers) == (
        "Big spender", CouponStatus.ENDED, 0, None, TWO_TIERS)
    updates = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.tenant_id == tenant_a.id, AuditEntry.action == "promotion.update"))
    assert updates == 1  # the end, and nothing refused


def test_the_promotions_list_costs_the_same_queries_however_many_it_shows(client, db_session, tenant_a, owner,
                                                                          count_queries):
    for name in ("A", "B"):
        client.post(f"{API}/promotions", headers=owner.headers, json={**GOOD, "name": name})
    with count_queries() as few:
        assert len(client.get(f"{API}/promotions", headers=owner.headers).json["promotions"]) == 2
    for name in "CDEFGH":
        client.post(f"{API}/promotions", headers=owner.headers, json={**GOOD, "name": name, "budget": 100})
    with count_queries() as many:
        assert len(client.get(f"{API}/promotions", headers=owner.headers).json["promotions"]) == 8
    # the token, the promotions and their figures
    assert len(many) == len(few) == 3


def _gift_and_coupon(tenant, db_session, *, coupon_status: str = "active") -> tuple[str, str]:
    """A SKU on sale and a coupon of `tenant`: what a tier can give."""
    with tenant_scope(tenant):
        cake = create_item(kind="physical", name="Cake", price=800, stock=5, status="on_sale")
        coupon = create_coupon(CouponRules(name="Next time", kind="amount", amount=500, valid_days=30))
        set_coupon_status(coupon, coupon_status)
        db_session.commit()
        return str(skus_by_item([cake.id])[cake.id][0].id), str(coupon.id)


def test_a_tier_gives_gifts_free_delivery_points_and_coupons_and_reads_them_back(client, db_session, tenant_a,
                                                                                   owner):
    # given a SKU on sale and an active coupon
    sku_id, coupon_id = _gift_and_coupon(tenant_a, db_session)
    # when a promotion counting special prices too gives, above ¥50, a gift, free delivery, 100
    # points and the coupon, and ¥25 off above ¥100
    tiers = [{"threshold": 5000, "gifts": [{"sku_id": sku_id, "quantity": 2}], "free_shipping": True, "points": 100,
              "coupon_ids": [coupon_id]}, {"threshold": 10000, "amount_off": 2500}]
    created = client.post(f"{API}/promotions", headers=owner.headers,
                          json={**GOOD, "tiers": tiers, "on_special_prices": True})
    # then it is stored and answered as given
    assert created.status_code == 201, created.json
    promotion = created.json["promotion"]
    assert promotion["on_special_prices"] is True
    assert promotion["tiers"] == [
        {"threshold": 5000, "min_spend": _money(5000), "amount_off": None, "percent_bp": None,
         "gifts": [{"sku_id": sku_id, "quantity": 2}], "free_shipping": True, "points": 100,
         "coupon_ids": [coupon_id]},
        {"threshold": 10000, "min_spend": _money(10000), "amount_off": _money(2500), "percent_bp": None,
         **NOTHING_MORE}]
    row = _fresh(tenant_a, promotion["id"])
    assert (row.tiers, row.on_special_prices) == (tiers, True)
    assert client.get(f"{API}/promotions/{promotion['id']}", headers=owner.headers).json == {"promotion": promotion}
    # and left out, it counts no line at a special price
    assert client.post(f"{API}/promotions", headers=owner.headers, json=GOOD).json["promotion"][
        "on_special_prices"] is False


@pytest.mark.parametrize("tier, says", [
    ({"threshold": 5000}, "Each tier gives something"),
    ({"threshold": 5000, "free_shipping": False}, "free_shipping is true, or left out."),
    ({"threshold": 5000, "points": 0}, None),
    ({"threshold": 5000, "points": 1_000_001}, None),
    ({"threshold": 5000, "points": "100"}, None),
    ({"threshold": 5000, "gifts": []}, None),
    ({"threshold": 5000, "gifts": [{"sku_id": "1", "quantity": 11}]}, None),
    ({"threshold": 5000, "gifts": [{"sku_id": "x", "quantity": 1}]}, None),
    ({"threshold": 5000, "gifts": [{"sku_id": "1"}]}, None),
    ({"threshold": 5000, "gifts": [{"sku_id": "1", "quantity": 1}] * 4}, None),
    ({"threshold": 5000, "gifts": [{"sku_id": "999999", "quantity": 1}]}, "There is no SKU 999999 in this shop."),
    ({"threshold": 5000, "coupon_ids": []}, None),
    ({"threshold": 5000, "coupon_ids": ["999999"]}, "There is no active coupon 999999 in this shop."),
    ({"threshold": 5000, "coupon_ids": ["1", "2", "3", "4"]}, None),
    ({"threshold": 5000, "surprise": True}, None),
])
def test_bad_tier_benefits_are_422_naming_tiers_and_create_nothing(client, db_session, tenant_a, owner, tier, says):
    response = client.post(f"{API}/promotions", headers=owner.headers, json={**GOOD, "tiers": [tier]})
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), response.json
    assert "tiers" in response.json["error"]["fields"], response.json
    if says:  # the service's own words, let through
        assert any(says in message for message in response.json["error"]["fields"]["tiers"]), response.json
    assert _count(tenant_a) == 0


def test_a_tier_cannot_give_another_shops_gift_or_coupon_or_a_paused_coupon(client, db_session, tenant_a, tenant_b,
                                                                            owner):
    theirs_sku, theirs_coupon = _gift_and_coupon(tenant_b, db_session)
    _sku, paused = _gift_and_coupon(tenant_a, db_session, coupon_status="paused")
    for tier in ({"threshold": 5000, "gifts": [{"sku_id": theirs_sku, "quantity": 1}]},
                 {"threshold": 5000, "coupon_ids": [theirs_coupon]}, {"threshold": 5000, "coupon_ids": [paused]}):
        response = client.post(f"{API}/promotions", headers=owner.headers, json={**GOOD, "tiers": [tier]})
        assert (response.status_code, list(response.json["error"]["fields"])) == (422, ["tiers"]), response.json
    assert _count(tenant_a) == 0


def test_a_cap_on_the_orders_a_promotion_applies_to_is_set_read_and_changed(client, db_session, tenant_a, owner):
    created = client.post(f"{API}/promotions", headers={**owner.headers, "Idempotency-Key": "capped"},
                          json={**GOOD, "use_limit": 100})
    assert created.status_code == 201, created.json
    promotion = created.json["promotion"]
    assert (promotion["use_limit"], promotion["uses"]) == (100, 0)
    with tenant_scope(tenant_a):
        row = _fresh(tenant_a, promotion["id"])
        row.uses = 40
        db_session.commit()
    below = client.patch(f"{API}/promotions/{promotion['id']}", headers=owner.headers, json={"use_limit": 39})
    assert (below.status_code, below.json["error"]["fields"]) == (
        422, {"use_limit": ["More orders than that hold it already: the cap cannot be lower."]})
    lifted = client.patch(f"{API}/promotions/{promotion['id']}", headers=owner.headers, json={"use_limit": None})
    assert lifted.status_code == 200 and lifted.json["promotion"]["use_limit"] is None
    bad = client.post(f"{API}/promotions", headers={**owner.headers, "Idempotency-Key": "zero"},
                      json={**GOOD, "use_limit": 0})
    assert bad.status_code == 422 and "use_limit" in bad.json["error"]["fields"]

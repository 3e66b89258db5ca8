"""The points mall through the consumer and Admin APIs: an offer of a catalog SKU for points (or
points and cash); redeeming one places an order priced by nothing else, takes the points when it
is placed, is paid at once when points pay it all (else its cash part is paid as any order), gives
the points back on cancel and per unit on refunds; exclusive tiers and per-member limits hold; the
task centre gives each task's points once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.tenancy import tenant_scope
from engines.membership.models import Member
from engines.membership.redemption import create_offer, update_offer, find_offer
from engines.membership.tiers import create_tier
from engines.orders.lifecycle import find_order, verify_code
from tests.admin_api import staff_token
from tests.engines.marketing.test_journey import _refund
from tests.engines.membership.test_points import card, give, ledger, settings
from tests.engines.orders.test_orders import as_shop, get_order, pay, stock_of

def offer(shop, db_session, key="tea", **values):
    with tenant_scope(shop["tenant"]):
        made = create_offer(sku_id=int(shop[key]), **{"points": 500, **values})
        db_session.commit()
        return made.id


def redeem(client, shop, offer_id, quantity=1, headers=None, **body):
    fulfillment = body.pop("fulfillment", {"type": "pickup", "store_id": shop["store"]})
    return client.post(f"/api/v1/points-mall/{offer_id}/redeem", json={"quantity": quantity,
                                                                        "fulfillment": fulfillment, **body},
                       headers=headers or shop["headers"])


def points(client, shop) -> int:
    return card(client, shop)["points"]["available"]


def test_the_mall_lists_offers_of_items_on_sale(client, shop, db_session):
    tea = offer(shop, db_session, points=800, cash=300)
    offer(shop, db_session, key="cake", points=200, active=False)
    listed = client.get("/api/v1/points-mall", headers={"X-Tenant": shop["tenant"].slug})
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["id"] == str(tea) and item["name"] == "Tea" and item["points"] == 800
    assert item["cash"]["amount"] == 300 and item["price"]["amount"] == 1250 and item["exclusive_tier"] is None
    assert client.get(f"/api/v1/points-mall/{tea}", headers=shop["headers"]).json["item"]["points"] == 800


def test_points_only_redemption_is_paid_at_once_and_takes_the_points(client, shop, db_session):
    tea = offer(shop, db_session, points=500)
    give(shop, db_session, 1200)
    before = stock_of(shop, "tea")
    placed = redeem(client, shop, tea, quantity=2)
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    assert order["status"] == "paid" and order["total"]["amount"] == 0
    assert [(s["step"], s["amount"]["amount"]) for s in order["pricing"]][:2] == [("items", 2500), ("redemption", -2500)]
    assert points(client, shop) == 200 and stock_of(shop, "tea") == before - 2
    assert ledger(client, shop)[-1] == ("redeemed", -1000, 200)
    records = client.get("/api/v1/me/redemptions", headers=shop["headers"]).json["redemptions"]
    assert [(r["order_id"], r["points"], r["quantity"], r["name"]) for r in records] == [(order["id"], 1000, 2, "Tea")]
    # verified at the counter like any pickup order
    with tenant_scope(shop["tenant"]):
        code = find_order(int(order["id"])).verification_code
    assert as_shop(shop, verify_code, code, actor="staff:1").status.value == "completed"


def test_points_and_cash_the_cash_part_is_paid_as_any_order(client, shop, db_session):
    tea = offer(shop, db_session, points=300, cash=200)
    give(shop, db_session, 300)
    order = redeem(client, shop, tea).json["order"]
    assert order["status"] == "pending_payment" and order["total"]["amount"] == 200
    assert points(client, shop) == 0
    pay(client, shop, order)
    assert get_order(client, shop, order["id"])["status"] == "paid"


def test_no_promotions_coupons_or_points_on_top(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        create_tier(name="Gold", threshold=0, discount_bp=2000)
        db_session.commit()
    tea = offer(shop, db_session, points=100, cash=500)
    give(shop, db_session, 100)
    order = redeem(client, shop, tea).json["order"]
    assert [s["step"] for s in order["pricing"]] == ["items", "redemption"]
    assert order["total"]["amount"] == 500


def test_cancelling_an_unpaid_redemption_gives_the_points_back(client, shop, db_session):
    tea = offer(shop, db_session, points=300, cash=200)
    give(shop, db_session, 300)
    order = redeem(client, shop, tea).json["order"]
    assert points(client, shop) == 0
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    assert cancelled.status_code == 200, cancelled.json
    assert points(client, shop) == 300 and ledger(client, shop)[-1] == ("returned", 300, 300)


def test_refunds_give_the_points_back_unit_by_unit(client, shop, db_session):
    tea = offer(shop, db_session, points=333)
    give(shop, db_session, 999)
    order = redeem(client, shop, tea, quantity=3).json["order"]
    line = order["lines"][0]["id"]
    assert points(client, shop) == 0
    _refund(client, shop, order, (line, 1))  # nothing to pay back: no provider, refunded at once
    assert points(client, shop) == 333
    _refund(client, shop, order, (line, 2))
    assert points(client, shop) == 999
    assert get_order(client, shop, order["id"])["status"] == "closed"


def test_not_enough_points_is_refused_and_leaves_nothing(client, shop, db_session):
    tea = offer(shop, db_session, points=500)
    give(shop, db_session, 499)
    before = stock_of(shop, "tea")
    refused = redeem(client, shop, tea)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "points_insufficient")
    assert "499" in refused.json["error"]["message"]
    assert points(client, shop) == 499 and stock_of(shop, "tea") == before
    assert client.get("/api/v1/me/redemptions", headers=shop["headers"]).json["redemptions"] == []


def test_an_exclusive_item_is_for_its_tier_and_above(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        create_tier(name="Member", threshold=0)
        gold = create_tier(name="Gold", threshold=1000)
        db_session.commit()
    tea = offer(shop, db_session, points=100, min_tier_id=gold.id)
    give(shop, db_session, 500)
    assert client.get("/api/v1/points-mall", headers=shop["headers"]).json["items"][0]["exclusive_tier"]["name"] == \
        "Gold"
    refused = redeem(client, shop, tea)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "redemption_tier")
    assert "Gold" in refused.json["error"]["message"]
    with tenant_scope(shop["tenant"]):
        member = db.session.scalar(select(Member).where(Member.consumer_id == shop["consumer"].id))
        member.growth, member.tier_id = 1000, gold.id
        db_session.commit()
    assert redeem(client, shop, tea).status_code == 201


def test_a_per_member_limit_counts_what_is_held(client, shop, db_session):
    tea = offer(shop, db_session, points=100, per_member_limit=2)
    give(shop, db_session, 1000)
    first = redeem(client, shop, tea, quantity=2).json["order"]
    refused = redeem(client, shop, tea)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "redemption_limit")
    assert "0 more" in refused.json["error"]["message"]
    _refund(client, shop, first, (first["lines"][0]["id"], 1))  # a refunded unit is not held any more
    assert redeem(client, shop, tea).status_code == 201


def test_an_offer_off_the_mall_or_of_another_item_cannot_be_redeemed(client, shop, db_session):
    tea = offer(shop, db_session, points=100)
    give(shop, db_session, 1000)
    with tenant_scope(shop["tenant"]):
        update_offer(find_offer(tea), active=False)
        db_session.commit()
    refused = redeem(client, shop, tea)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "redemption_unavailable")
    assert client.get(f"/api/v1/points-mall/{tea}", headers=shop["headers"]).status_code == 404
    assert redeem(client, shop, 12345).status_code == 404


def test_an_offer_of_another_shop_is_not_found(client, shop, db_session, tenant_b, create_consumer):
    from tests.engines.orders.conftest import make_shop

    other = make_shop(tenant_b, create_consumer)
    db_session.commit()
    theirs = offer(other, db_session, points=1)
    give(shop, db_session, 1000)
    assert redeem(client, shop, theirs).status_code == 404
    assert client.get(f"/api/v1/points-mall/{theirs}", headers=shop["headers"]).status_code == 404


def test_bad_bodies_are_refused_clearly(client, shop, db_session):
    tea = offer(shop, db_session, points=100)
    for body in ({"quantity": 0}, {"quantity": "2"}, {"quantity": 100}, {"fulfillment": "pickup"},
                 {"note": "x" * 201}):
        answer = client.post(f"/api/v1/points-mall/{tea}/redeem", json=body, headers=shop["headers"])
        assert answer.status_code == 422 and answer.json["error"]["code"] == "invalid_input", (body, answer.json)
    assert client.post(f"/api/v1/points-mall/{tea}/redeem", json={},
                       headers={"X-Tenant": shop["tenant"].slug}).status_code == 401


def test_offers_are_checked_when_made(shop, db_session):
    from core.errors import APIError

    with tenant_scope(shop["tenant"]):
        for values, field in (({"points": 0}, "points"), ({"points": 10, "cash": 1250}, "cash"),
                              ({"points": 10, "per_member_limit": -1}, "per_member_limit"),
                              ({"points": 10, "min_tier_id": 999}, "min_tier_id")):
            with pytest.raises(APIError) as refused:
                create_offer(sku_id=int(shop["tea"]), **values)
            assert field in refused.value.fields
        with pytest.raises(APIError) as refused:
            create_offer(sku_id=999, points=10)
        assert "sku_id" in refused.value.fields


def test_the_admin_api_makes_and_changes_offers(client, shop, db_session):
    owner = staff_token(db_session, shop["tenant"])
    api = "/admin/api/v1/points-mall/offers"
    made = client.post(api, json={"sku_id": shop["tea"], "points": 900, "cash": 100}, headers=owner.headers)
    assert made.status_code == 201, made.json
    offer_id = made.json["offer"]["id"]
    changed = client.patch(f"{api}/{offer_id}", json={"active": False}, headers=owner.headers)
    assert changed.status_code == 200 and changed.json["offer"]["active"] is False
    listed = client.get(api, headers=owner.headers).json["offers"]
    assert [(o["id"], o["points"], o["cash"]["amount"]) for o in listed] == [(offer_id, 900, 100)]
    refused = client.post(api, json={"sku_id": shop["tea"], "points": 5}, headers=owner.headers)
    assert refused.status_code == 422 and "sku_id" in refused.json["error"]["fields"]
    clerk = staff_token(db_session, shop["tenant"], role="clerk")
    assert client.post(api, json={"sku_id": shop["cake"], "points": 5}, headers=clerk.headers).status_code == 403


def test_the_task_centre_gives_each_tasks_points_once(client, shop, db_session):
    settings(shop, db_session, task_profile_points=50, task_first_order_points=100, sign_in_points=5)
    tasks = {t["key"]: t for t in client.get("/api/v1/me/tasks", headers=shop["headers"]).json["tasks"]}
    assert set(tasks) == {"sign_in", "profile", "first_order"}
    assert not tasks["profile"]["done"] and tasks["first_order"]["points"] == 100
    refused = client.post("/api/v1/me/tasks/profile/claim", headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "task_not_done")
    assert client.patch("/api/v1/me/member", json={"birthday": "1990-05-01"}, headers=shop["headers"]).status_code == 200
    claimed = client.post("/api/v1/me/tasks/profile/claim", headers=shop["headers"])
    assert claimed.status_code == 201 and claimed.json["points"] == 50
    again = client.post("/api/v1/me/tasks/profile/claim", headers=shop["headers"])
    assert (again.status_code, again.json["error"]["code"]) == (409, "task_claimed")
    assert points(client, shop) == 50 and ledger(client, shop)[-1] == ("task", 50, 50)
    assert client.post("/api/v1/me/tasks/nothing/claim", headers=shop["headers"]).status_code == 404


def test_a_task_the_shop_does_not_offer_is_not_listed(client, shop, db_session):
    settings(shop, db_session, task_profile_points=0, task_first_order_points=0, sign_in_points=0)
    assert client.get("/api/v1/me/tasks", headers=shop["headers"]).json["tasks"] == []
    assert client.post("/api/v1/me/tasks/profile/claim", headers=shop["headers"]).status_code == 404

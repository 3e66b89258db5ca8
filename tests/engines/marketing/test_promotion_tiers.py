"""What a promotion tier gives besides money off: gifts (stock-checked, reserved, free of
delivery, counted against the budget), free delivery, and — once the order is paid — coupons and
points."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import APIError
from core.events import OutboxEvent
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.marketing.models import ConsumerCoupon
from tests.engines.marketing.test_coupons import body, coupon
from tests.engines.marketing.test_promotions import _budget_used, promotion, quoted, steps
from tests.engines.orders.test_orders import pay


def _stock(shop, sku_id: str) -> int:
    with tenant_scope(shop["tenant"]):
        return db.session.get(Sku, (shop["tenant"].id, int(sku_id)), populate_existing=True).stock


def _gift(shop, quantity: int = 1) -> list[dict]:
    return [{"sku_id": shop["cake"], "quantity": quantity}]


def test_a_gift_is_a_line_at_its_price_all_taken_off_with_its_stock_reserved(client, shop, db_session):
    promotion(shop, db_session, tiers=[{"threshold": 2000, "amount_off": 300, "gifts": _gift(shop)}])
    tea_only = body(shop, lines=[{"sku_id": shop["tea"], "quantity": 2}])
    answer = quoted(client, shop, tea_only)
    assert steps(answer)[:3] == [("items", 2500), ("order_promotions", -300), ("order_promotions", -800)]
    assert answer["pricing"][1]["label"] == "Spend more: ¥3.00 off + a gift ¥20.00 or more"
    assert answer["total"]["amount"] == 2200
    placed = client.post("/api/v1/checkout", json=tea_only, headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    assert [(line["name"], line["quantity"], line["paid"]["amount"]) for line in order["lines"]] == [
        ("Tea", 2, 2200), ("Cake", 1, 0)]
    assert _stock(shop, shop["cake"]) == 9


def test_a_gift_out_of_stock_is_left_out_and_the_rest_of_the_tier_stays(client, shop, db_session):
    promotion(shop, db_session, tiers=[{"threshold": 2000, "amount_off": 300,
                                        "gifts": [{"sku_id": shop["tea"], "quantity": 6}]}])  # 5 teas in stock
    answer = quoted(client, shop, body(shop, lines=[{"sku_id": shop["cake"], "quantity": 3}]))
    assert steps(answer)[:2] == [("items", 2400), ("order_promotions", -300)]
    assert len(answer["lines"]) == 1


def test_the_gifts_value_counts_against_the_budget(client, shop, db_session):
    made = promotion(shop, db_session, budget=1000, tiers=[{"threshold": 2000, "amount_off": 300, "gifts": _gift(shop)}])
    assert "order_promotions" not in [s for s, _ in steps(quoted(client, shop, body(shop)))]  # 1,100 > 1,000
    with tenant_scope(shop["tenant"]):
        from engines.marketing.promotions import find_promotion, update_promotion
        update_promotion(find_promotion(int(made)), budget=1100)
        db_session.commit()
    placed = client.post("/api/v1/checkout", json=body(shop), headers=shop["headers"])
    assert placed.status_code == 201 and _budget_used(shop, made) == 1100


def test_free_delivery_in_a_tier_waives_the_fee_and_a_gift_costs_no_delivery(client, shop, db_session):
    promotion(shop, db_session, tiers=[{"threshold": 2000, "free_shipping": True, "gifts": _gift(shop, 2)}],
              funded_by="platform")
    answer = quoted(client, shop, body(shop, lines=[{"sku_id": shop["tea"], "quantity": 2}],
                                       type="express", address_id=shop["address"]))
    # two teas by express: ¥10 + ¥2 (the two gift cakes add nothing), all of it waived
    assert ("shipping", 1200) in steps(answer) and ("promotion_shipping", -1200) in steps(answer)
    assert answer["total"]["amount"] == 2500
    waived = next(s for s in answer["pricing"] if s["step"] == "promotion_shipping")
    assert waived["label"] == "Spend more: free delivery"
    placed = client.post("/api/v1/checkout", json=body(shop, lines=[{"sku_id": shop["tea"], "quantity": 2}],
                                                          type="express", address_id=shop["address"]),
                         headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    with tenant_scope(shop["tenant"]):
        from engines.orders.pricing import adjustments_of
        funders = {a.step: a.funded_by for a in adjustments_of(int(placed.json["order"]["id"]))}
    assert funders == {"order_promotions": "platform", "shipping": "merchant", "promotion_shipping": "platform"}


def test_coupons_and_points_are_given_once_the_order_is_paid(client, shop, db_session):
    reward = coupon(shop, db_session, name="Come back", public=False, amount=500)
    promotion(shop, db_session, tiers=[{"threshold": 2000, "points": 120, "coupon_ids": [reward]}])
    answer = quoted(client, shop, body(shop))
    assert ("order_promotions", 0) in steps(answer)
    assert answer["pricing"][1]["label"] == "Spend more: 120 points + a coupon ¥20.00 or more"
    order = client.post("/api/v1/checkout", json=body(shop), headers=shop["headers"]).json["order"]
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(ConsumerCoupon).where(ConsumerCoupon.coupon_id == int(reward))) is None
    pay(client, shop, order)
    with tenant_scope(shop["tenant"]):
        given = db.session.scalars(select(ConsumerCoupon).where(ConsumerCoupon.coupon_id == int(reward))).all()
        assert [(c.consumer_id, c.source) for c in given] == [(shop["consumer"].id, "promotion")]
        earned = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "promotion.points_earned.v1")).all()
        assert [(e.payload["order_id"], e.payload["points"]) for e in earned] == [(order["id"], 120)]


@pytest.mark.parametrize("tier, message", [
    ({"threshold": 2000, "gifts": [{"sku_id": "999999", "quantity": 1}]}, "There is no SKU 999999 in this shop."),
    ({"threshold": 2000, "coupon_ids": ["999999"]}, "There is no active coupon 999999 in this shop."),
    ({"threshold": 2000, "gifts": []}, "Gifts are 1 to 3 of {sku_id, quantity (1 to 10)}."),
    ({"threshold": 2000, "gifts": [{"sku_id": "1", "quantity": 11}]}, "Gifts are 1 to 3 of {sku_id, quantity (1 to 10)}."),
    ({"threshold": 2000, "free_shipping": False}, "free_shipping is true, or left out."),
    ({"threshold": 2000, "points": 0}, "Points are from 1 to 1,000,000."),
    ({"threshold": 2000, "cashback": 5}, "A tier gives only amount_off, percent_bp, gifts, free_shipping, points, "
                                         "coupon_ids; not cashback."),
])
def test_tiers_giving_what_cannot_be_given_are_refused(shop, db_session, tier, message):
    with pytest.raises(APIError) as refused:
        promotion(shop, db_session, tiers=[tier])
    assert refused.value.fields["tiers"] == [message]

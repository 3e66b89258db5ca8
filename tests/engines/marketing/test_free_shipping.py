"""Free-delivery rules (包邮活动) through the consumer API: the express or same-city fee waived when
the items cost enough after discounts, the address is in the rule's regions and not in its
excluded ones, and every line is one of its items; the oldest rule that covers an order wins;
paused and out-of-window rules do nothing; the waived fee is an adjustment of the order, funded
as the rule says; a free-delivery coupon then finds no fee to waive."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.marketing.models import FreeShippingRule
from engines.marketing.shipping_rules import checked_rule, create_rule, live_rules, update_rule
from engines.orders.models import OrderAdjustment
from tests.engines.marketing.test_coupons import body, claimed, coupon
from tests.engines.marketing.test_promotions import promotion

NOW = dt.datetime.now(dt.UTC)
WINDOW = {"starts_at": NOW - dt.timedelta(hours=1), "ends_at": NOW + dt.timedelta(days=7)}
# 2 × tea at 12.50 and a cake at 8.00: items 33.00; express 10.00 + 2 × 2.00 (3 units), to
# Xinjiang 25.00 + 2 × 8.00; same-city 5.00 (1.9 km)
ITEMS, EXPRESS, XINJIANG, SAME_CITY = 3300, 1400, 4100, 500


def rule(shop, db_session, **fields) -> int:
    with tenant_scope(shop["tenant"]):
        made = create_rule(**{"name": "Free delivery", **WINDOW, **fields})
        db_session.commit()
        return made.id


def item_of(shop, sku: str) -> int:
    with tenant_scope(shop["tenant"]):
        return db.session.scalar(select(Sku.item_id).where(Sku.id == int(sku)))


def express(shop, address: str = "address") -> dict:
    return {"type": "express", "address_id": shop[address]}


def quoted(client, shop, payload) -> dict:
    answer = client.post("/api/v1/checkout/quote", json=payload, headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return answer.json


def steps(answer) -> list[tuple[str, int]]:
    return [(s["step"], s["amount"]["amount"]) for s in answer["pricing"]]


def test_express_to_any_region_is_free_and_checkout_records_who_pays(client, shop, db_session):
    made = rule(shop, db_session, name="Free over 30", minimum=3000, funded_by="platform")
    answer = quoted(client, shop, body(shop, **express(shop)))
    assert steps(answer)[-2:] == [("shipping", EXPRESS), ("free_shipping_rules", -EXPRESS)]
    assert answer["pricing"][-1]["label"] == "Free over 30 (free delivery)"
    assert answer["total"]["amount"] == ITEMS
    # the order placed keeps it as an adjustment, paid for by the platform
    placed = client.post("/api/v1/checkout", json=body(shop, **express(shop)), headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    assert placed.json["order"]["total"]["amount"] == ITEMS
    with tenant_scope(shop["tenant"]):
        adjustments = db.session.scalars(select(OrderAdjustment).where(
            OrderAdjustment.order_id == int(placed.json["order"]["id"])).order_by(OrderAdjustment.sequence)).all()
        assert [(a.step, a.source_kind, a.source_id, a.amount, a.funded_by) for a in adjustments] == [
            ("shipping", "shipping_template", adjustments[0].source_id, EXPRESS, "merchant"),
            ("free_shipping_rules", "free_shipping_rule", made, -EXPRESS, "platform")]


def test_only_the_rules_regions_and_never_its_excluded_ones(client, shop, db_session):
    rule(shop, db_session, regions=["Jiangsu", "Zhejiang"])
    # Shanghai is not one of them: the fee stands
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("shipping", EXPRESS)
    # a rule for everywhere but Xinjiang and Tibet, the region's case aside
    rule(shop, db_session, name="Mainland", excluded_regions=["xinjiang", "Tibet"])
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("free_shipping_rules", -EXPRESS)
    far = quoted(client, shop, body(shop, **express(shop, "far")))  # Xinjiang Urumqi
    assert steps(far)[-1] == ("shipping", XINJIANG) and far["total"]["amount"] == ITEMS + XINJIANG
    # and a rule naming Shanghai covers it
    rule(shop, db_session, name="Shanghai", regions=["Shanghai"])
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("free_shipping_rules", -EXPRESS)


def test_the_minimum_counts_what_the_items_cost_after_discounts(client, shop, db_session):
    rule(shop, db_session, minimum=ITEMS + 1)
    assert "free_shipping_rules" not in dict(steps(quoted(client, shop, body(shop, **express(shop)))))
    rule(shop, db_session, name="At 33", minimum=ITEMS)
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("free_shipping_rules", -EXPRESS)
    # a promotion taking 3.00 off brings the items below it
    promotion(shop, db_session, tiers=[{"threshold": 2000, "amount_off": 300}])
    discounted = quoted(client, shop, body(shop, **express(shop)))
    assert "free_shipping_rules" not in dict(steps(discounted))
    assert discounted["total"]["amount"] == ITEMS - 300 + EXPRESS


def test_a_rule_for_some_items_needs_every_line_to_be_one_of_them(client, shop, db_session):
    rule(shop, db_session, item_ids=[item_of(shop, shop["tea"])])
    tea_only = body(shop, lines=[{"sku_id": shop["tea"], "quantity": 2}], **express(shop))
    assert steps(quoted(client, shop, tea_only))[-1] == ("free_shipping_rules", -1200)
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("shipping", EXPRESS)  # tea and cake


def test_paused_ended_and_out_of_window_rules_do_nothing(client, shop, db_session):
    rule(shop, db_session, name="Later", starts_at=NOW + dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=2))
    rule(shop, db_session, name="Over", starts_at=NOW - dt.timedelta(days=2), ends_at=NOW - dt.timedelta(days=1))
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("shipping", EXPRESS)
    on = rule(shop, db_session, name="On")
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("free_shipping_rules", -EXPRESS)
    # paused: checkout sees it at once (the shop's marketing stamp moved)
    with tenant_scope(shop["tenant"]):
        update_rule(db.session.get(FreeShippingRule, (shop["tenant"].id, on)), status="paused")
        db_session.commit()
    assert steps(quoted(client, shop, body(shop, **express(shop))))[-1] == ("shipping", EXPRESS)
    with tenant_scope(shop["tenant"]):
        update_rule(db.session.get(FreeShippingRule, (shop["tenant"].id, on)), status="ended")
        db_session.commit()
        assert live_rules(NOW) == []


def test_the_oldest_rule_that_covers_the_order_wins(client, shop, db_session):
    rule(shop, db_session, name="Far only", regions=["Xinjiang"], funded_by="platform")
    first = rule(shop, db_session, name="First", funded_by="merchant")
    rule(shop, db_session, name="Second", funded_by="platform")
    answer = quoted(client, shop, body(shop, **express(shop)))
    waived = [s for s in answer["pricing"] if s["step"] == "free_shipping_rules"]
    assert [s["label"] for s in waived] == ["First (free delivery)"]
    placed = client.post("/api/v1/checkout", json=body(shop, **express(shop)), headers=shop["headers"]).json
    with tenant_scope(shop["tenant"]):
        (adjustment,) = db.session.scalars(select(OrderAdjustment).where(
            OrderAdjustment.order_id == int(placed["order"]["id"]), OrderAdjustment.step == "free_shipping_rules"))
        assert (adjustment.source_id, adjustment.funded_by) == (first, "merchant")


def test_same_city_delivery_is_free_only_by_rules_without_regions(client, shop, db_session):
    same_city = {"type": "same_city", "address_id": shop["address"], "store_id": shop["store"]}
    rule(shop, db_session, name="Shanghai", regions=["Shanghai"])
    assert steps(quoted(client, shop, body(shop, **same_city)))[-1] == ("shipping", SAME_CITY)
    rule(shop, db_session, name="Everywhere")
    assert steps(quoted(client, shop, body(shop, **same_city)))[-1] == ("free_shipping_rules", -SAME_CITY)


def test_no_fee_nothing_to_waive_and_nothing_read(client, shop, db_session, count_queries):
    rule(shop, db_session)
    pickup = quoted(client, shop, body(shop))
    assert "free_shipping_rules" not in dict(steps(pickup))
    # items above the template's free threshold (99.00) cost no fee: no adjustment either
    big = quoted(client, shop, body(shop, lines=[{"sku_id": shop["tea"], "quantity": 5},
                                                 {"sku_id": shop["cake"], "quantity": 5}], **express(shop)))
    assert steps(big)[-1] == ("shipping", 0)
    # and the rules are remembered: a second quote does not read them
    quoted(client, shop, body(shop, **express(shop)))
    with count_queries() as queries:
        quoted(client, shop, body(shop, **express(shop)))
    assert not [q for q in queries if "free_shipping_rules" in q]


def test_a_free_delivery_coupon_then_finds_no_fee(client, shop, db_session):
    copy = claimed(client, shop, coupon(shop, db_session, kind="free_shipping", amount=0))
    rule(shop, db_session)
    refused = client.post("/api/v1/checkout/quote", json=body(shop, copy, **express(shop)), headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "coupon_not_applicable")
    assert refused.json["error"]["message"] == "There is no delivery fee to waive on this order."
    offers = client.post("/api/v1/checkout/coupons", json=body(shop, **express(shop)), headers=shop["headers"]).json
    assert offers["best"] is None and offers["coupons"][0]["reason"] == "There is no delivery fee to waive."


def test_a_draft_rule_is_tried_as_if_it_were_on(shop, db_session):
    from engines.orders.services import quote

    with tenant_scope(shop["tenant"]):
        draft = checked_rule(name="Draft", **WINDOW)
        lines = [{"sku_id": shop["tea"], "quantity": 1}]
        priced = quote(consumer_id=shop["consumer"].id, lines=lines, fulfillment_choice=express(shop),
                       drafts={"free_shipping_rules": (draft,)})
        assert [(s["step"], s["amount"]) for s in priced.steps][-1] == ("free_shipping_rules", -1000)
        assert priced.total == 1250
        plain = quote(consumer_id=shop["consumer"].id, lines=lines, fulfillment_choice=express(shop))
        assert plain.total == 1250 + 1000
        assert db.session.scalars(select(FreeShippingRule)).all() == []  # nothing saved
        db_session.rollback()


@pytest.mark.parametrize("fields, wrong", [
    ({"name": " "}, "name"),
    ({"name": "x" * 61}, "name"),
    ({"minimum": -1}, "minimum"),
    ({"minimum": True}, "minimum"),
    ({"regions": ["Jiangsu", "x" * 41]}, "regions"),
    ({"regions": [f"R{n}" for n in range(51)]}, "regions"),
    ({"regions": "Jiangsu"}, "regions"),
    ({"excluded_regions": [3]}, "excluded_regions"),
    ({"item_ids": [999]}, "item_ids"),
    ({"item_ids": ["1" * 25]}, "item_ids"),
    ({"funded_by": "supplier"}, "funded_by"),
    ({"ends_at": NOW - dt.timedelta(days=1)}, "ends_at"),
    ({"starts_at": dt.datetime(2030, 1, 1)}, "starts_at"),
])
def test_a_rule_that_makes_no_sense_is_refused_naming_the_field(shop, db_session, fields, wrong):
    with pytest.raises(APIError) as refused:
        rule(shop, db_session, **fields)
    assert refused.value.code == "invalid_input" and wrong in refused.value.fields
    with tenant_scope(shop["tenant"]):
        db_session.rollback()
        assert db.session.scalars(select(FreeShippingRule)).all() == []


def test_regions_are_trimmed_and_repeats_dropped(shop, db_session):
    made = rule(shop, db_session, regions=[" Jiangsu ", "Jiangsu", "", "Zhejiang"], item_ids=[])
    with tenant_scope(shop["tenant"]):
        assert db.session.get(FreeShippingRule, (shop["tenant"].id, made)).regions == ["Jiangsu", "Zhejiang"]

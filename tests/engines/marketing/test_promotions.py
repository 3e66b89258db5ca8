"""Order promotions: the highest tier reached wins, by spend or by quantity, over the lines a
promotion covers; priority and exclusivity; coupons that do not combine; a budget reserved at
checkout, given back on cancel, and stopping the promotion exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import db
from core.tenancy import tenant_scope
from engines.marketing.models import Promotion
from engines.marketing.promotions import create_promotion
from tests.engines.marketing.test_coupons import body, claimed, coupon

NOW = dt.datetime.now(dt.UTC)
WINDOW = {"starts_at": NOW - dt.timedelta(hours=1), "ends_at": NOW + dt.timedelta(days=7)}


def promotion(shop, db_session, **rules) -> str:
    values = {"name": "Spend more", "kind": "spend", "tiers": [{"threshold": 2000, "amount_off": 300},
                                                               {"threshold": 3000, "amount_off": 600}], **WINDOW, **rules}
    with tenant_scope(shop["tenant"]):
        made = create_promotion(**values)
        db_session.commit()
        return str(made.id)


def quoted(client, shop, payload) -> dict:
    answer = client.post("/api/v1/checkout/quote", json=payload, headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return answer.json


def steps(answer) -> list[tuple[str, int]]:
    return [(s["step"], s["amount"]["amount"]) for s in answer["pricing"]]


def test_the_highest_tier_reached_wins(client, shop, db_session):
    promotion(shop, db_session)
    # 2 × 12.50 + 8.00 = 33.00 reaches the 30.00 tier
    assert ("order_promotions", -600) in steps(quoted(client, shop, body(shop)))
    # 12.50 + 8.00 = 20.50 reaches only the 20.00 tier
    small = quoted(client, shop, body(shop, lines=[{"sku_id": shop["tea"]}, {"sku_id": shop["cake"]}]))
    assert ("order_promotions", -300) in steps(small) and small["total"]["amount"] == 2050 - 300


def test_a_quantity_tier_with_a_percentage(client, shop, db_session):
    promotion(shop, db_session, kind="quantity", tiers=[{"threshold": 3, "percent_bp": 1000}])
    answer = quoted(client, shop, body(shop))  # 3 units: 10 % of 33.00
    assert ("order_promotions", -330) in steps(answer)
    assert "10% off 3 items or more" in [s["label"] for s in answer["pricing"]][1]


def test_an_exclusive_promotion_applies_alone_and_priority_orders_them(client, shop, db_session):
    promotion(shop, db_session, name="Small", tiers=[{"threshold": 1000, "amount_off": 100}])
    promotion(shop, db_session, name="Big", tiers=[{"threshold": 1000, "amount_off": 500}], exclusive=True, priority=10)
    answer = quoted(client, shop, body(shop))
    assert [s["label"].split(":")[0] for s in answer["pricing"] if s["step"] == "order_promotions"] == ["Big"]


def test_a_promotion_outside_its_window_or_paused_does_nothing(client, shop, db_session):
    promotion(shop, db_session, starts_at=NOW + dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=2))
    paused = promotion(shop, db_session, name="Paused")
    from engines.marketing.promotions import set_promotion_status
    with tenant_scope(shop["tenant"]):
        set_promotion_status(db.session.get(Promotion, (shop["tenant"].id, int(paused))), "paused")
        db_session.commit()
    assert "order_promotions" not in [s for s, _ in steps(quoted(client, shop, body(shop)))]


def test_a_coupon_that_does_not_combine_is_refused_and_offered_as_such(client, shop, db_session):
    promotion(shop, db_session, combines_with_coupons=False)
    copy = claimed(client, shop, coupon(shop, db_session, amount=200))
    refused = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "coupon_not_applicable")
    offers = client.post("/api/v1/checkout/coupons", json=body(shop), headers=shop["headers"]).json
    assert offers["best"] is None
    assert offers["coupons"][0]["reason"] == "A promotion on this order does not combine with coupons."


def _budget_used(shop, promotion_id: str) -> int:
    with tenant_scope(shop["tenant"]):
        return db.session.get(Promotion, (shop["tenant"].id, int(promotion_id)),
                              populate_existing=True).budget_used


def test_a_budget_is_reserved_at_checkout_given_back_on_cancel_and_stops_the_promotion(client, shop, db_session):
    made = promotion(shop, db_session, tiers=[{"threshold": 1000, "amount_off": 600}], budget=1000)
    first = client.post("/api/v1/checkout", json=body(shop), headers=shop["headers"])
    assert first.status_code == 201 and _budget_used(shop, made) == 600
    # 400 left is less than any tier gives: the merchant is told the budget is spent
    from core.events import OutboxEvent
    from sqlalchemy import select
    with tenant_scope(shop["tenant"]):
        told = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "promotion.budget_spent.v1")).all()
        assert [(e.payload["promotion_id"], e.payload["budget"]["amount"]) for e in told] == [(made, 1000)]
    # 400 left: the next order does not get 600 off
    second = quoted(client, shop, body(shop))
    assert "order_promotions" not in [s for s, _ in steps(second)]
    # the first order cancelled: its 600 back, and the promotion applies again
    assert client.post(f"/api/v1/orders/{first.json['order']['id']}/cancel", headers=shop["headers"]).status_code == 200
    assert _budget_used(shop, made) == 0
    assert ("order_promotions", -600) in steps(quoted(client, shop, body(shop)))


@pytest.mark.parametrize("tiers", [[], [{"threshold": 2000}], [{"threshold": 2000, "amount_off": 100, "percent_bp": 10}],
                                   [{"threshold": 2000, "amount_off": 100}, {"threshold": 1000, "amount_off": 50}],
                                   [{"threshold": 500, "amount_off": 500}], [{"threshold": 2, "percent_bp": 10_000}]])
def test_tiers_that_make_no_sense_are_refused(shop, db_session, tiers):
    from core.errors import APIError

    with pytest.raises(APIError) as refused:
        promotion(shop, db_session, tiers=tiers)
    assert "tiers" in refused.value.fields


# -- properties over random carts and rule sets ---------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engines.marketing.models import CouponScope, PromotionKind  # noqa: E402
from engines.marketing.promotions import PromotionRule, apply_rules  # noqa: E402
from engines.orders.pricing import Quote, QuoteLine  # noqa: E402

PROPERTIES = settings(max_examples=300, deadline=None, database=None, derandomize=True)


@st.composite
def tiers(draw, kind):
    thresholds = sorted(draw(st.sets(st.integers(1, 20 if kind == "quantity" else 200_000), min_size=1, max_size=5)))
    out = []
    for threshold in thresholds:
        if draw(st.booleans()):
            top = threshold - 1 if kind == "spend" else 500_000
            out.append({"threshold": threshold, "amount_off": draw(st.integers(1, max(top, 1)))})
        else:
            out.append({"threshold": threshold, "percent_bp": draw(st.integers(1, 9_999))})
    return tuple(out)


@st.composite
def rule_sets(draw):
    """1 to 5 promotions on random lines (by item), of either kind, some exclusive, some with a
    budget, ordered as the engine orders them (priority, then id)."""
    rules = []
    for promotion_id in range(1, draw(st.integers(1, 5)) + 1):
        kind = draw(st.sampled_from(["spend", "quantity"]))
        items = draw(st.sets(st.integers(0, 9), max_size=4))
        rules.append(PromotionRule(
            id=promotion_id, name=f"P{promotion_id}", kind=PromotionKind(kind), tiers=draw(tiers(kind)),
            scope=CouponScope.ITEMS if items else CouponScope.ALL, scope_ids=tuple(str(i) for i in items),
            excluded_item_ids=(), starts_at=NOW, ends_at=NOW, priority=draw(st.integers(-3, 3)),
            exclusive=draw(st.booleans()), combines_with_coupons=True, budgeted=draw(st.booleans()),
            funded_by=draw(st.sampled_from(["merchant", "platform"]))))
    left = {rule.id: draw(st.integers(0, 300_000)) for rule in rules if rule.budgeted}
    return sorted(rules, key=lambda rule: (-rule.priority, rule.id)), left


@st.composite
def carts(draw):
    return [QuoteLine(sku_id=i, item_id=i, kind="physical", name=f"line {i}", options={}, sku_code="", image="",
                      unit_price=draw(st.integers(0, 50_000)), quantity=draw(st.integers(1, 10)))
            for i in range(draw(st.integers(1, 10)))]


@PROPERTIES
@given(carts(), rule_sets(), st.integers(0, 100_000))
def test_any_rules_on_any_cart_keep_the_total_whole_and_never_below_zero(lines, rules_and_budgets, coupon_off):
    rules, left = rules_and_budgets
    quote = Quote(currency="CNY", consumer_id=1, lines=lines, fulfillment={"type": "pickup"})
    apply_rules(quote, rules, {}, left)
    if coupon_off:  # and a coupon after them, as the pipeline runs it
        quote.discount("coupon", "Coupon", coupon_off, source=("coupon", 1))
    # nothing below zero, every discount allocated exactly, the total what the lines still cost
    assert all(line.payable >= 0 for line in quote.lines)
    assert quote.total == sum(line.payable for line in quote.lines) >= 0
    for adjustment in quote.adjustments:
        assert adjustment.amount < 0 and sum(adjustment.allocations.values()) == adjustment.amount
    # an exclusive promotion applied alone; a budget never overspent
    promotions = [a for a in quote.adjustments if a.step == "order_promotions"]
    by_id = {rule.id: rule for rule in rules}
    if any(by_id[a.source_id].exclusive for a in promotions):
        assert len(promotions) == 1
    for adjustment in promotions:
        rule = by_id[adjustment.source_id]
        assert not rule.budgeted or -adjustment.amount <= left[rule.id]


def test_a_promotion_without_a_budget_writes_nothing_at_checkout(client, shop, db_session, app):
    """Otherwise every checkout would wait on the promotion's row for the one before it."""
    from sqlalchemy import event

    promotion(shop, db_session)
    written = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE") and "promotions" in statement:
            written.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        placed = client.post("/api/v1/checkout", json=body(shop), headers=shop["headers"])
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert placed.status_code == 201 and ("order_promotions", -600) in [
        (s["step"], s["amount"]["amount"]) for s in placed.json["order"]["pricing"]]
    assert written == []


def _refund(client, shop, order, line_index: int, quantity: int) -> None:
    from engines.orders.after_sales import approve, find_after_sale
    from tests.engines.orders.test_orders import as_shop

    line = order["lines"][line_index]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": line["id"], "quantity": quantity}],
                              "reason": "One was broken"})
    assert asked.status_code == 201, asked.json
    as_shop(shop, lambda: approve(find_after_sale(int(asked.json["id"]))))


def test_a_refund_gives_the_budget_back_exactly_the_refunded_units_share(client, shop, db_session):
    from tests.engines.orders.test_orders import pay

    made = promotion(shop, db_session, tiers=[{"threshold": 1001, "amount_off": 1000}], budget=5000)
    order = client.post("/api/v1/checkout", json=body(shop, lines=[{"sku_id": shop["tea"], "quantity": 3}]),
                        headers=shop["headers"]).json["order"]
    pay(client, shop, order)
    assert _budget_used(shop, made) == 1000
    given_back = []
    for _ in range(3):  # 1,000 off three units: a third each, the cents where they fall, all of it in the end
        _refund(client, shop, order, 0, 1)
        given_back.append(1000 - _budget_used(shop, made) - sum(given_back))
    assert given_back == [333, 333, 334] and _budget_used(shop, made) == 0


def test_what_a_coupon_and_a_promotion_combine_with_by_class(client, shop, db_session):
    """Item class: a promotion leaves lines at a special price alone unless it says so; a coupon
    takes them unless it says not. Order class: a coupon may refuse order promotions."""
    from tests.engines.marketing.test_timed_discounts import discount

    discount(shop, db_session)  # 20 % off the tea: 2 × 12.50 → 20.00, the cake 8.00 stays
    promotion(shop, db_session, name="Every line", tiers=[{"threshold": 500, "percent_bp": 1000}],
              on_special_prices=True)
    answer = quoted(client, shop, body(shop))
    assert ("order_promotions", -280) in steps(answer)  # 10 % of 20.00 + 8.00: the tea counted
    plain = claimed(client, shop, coupon(shop, db_session, name="Not on sale items", amount=5000,
                                         on_special_prices=False))
    alone = claimed(client, shop, coupon(shop, db_session, name="Alone", amount=100, combines_with_promotions=False))
    with_plain = quoted(client, shop, body(shop, plain))
    assert ("coupon", -720) in steps(with_plain)  # only the cake's 8.00 less its 0.80: the tea is at a special price
    refused = client.post("/api/v1/checkout/quote", json=body(shop, alone), headers=shop["headers"])
    assert refused.json["error"]["message"] == "This coupon does not combine with the promotions on this order."
    offers = {o["name"]: o for o in client.post("/api/v1/checkout/coupons", json=body(shop),
                                                          headers=shop["headers"]).json["coupons"]}
    assert offers["Alone"]["reason"] == "This coupon does not combine with the promotions on this order."
    assert offers["Not on sale items"]["discount"]["amount"] == 720


def test_a_cap_on_uses_stops_the_promotion_and_a_cancelled_order_gives_its_use_back(client, shop, db_session):
    from core.events import OutboxEvent
    from sqlalchemy import select

    made = promotion(shop, db_session, tiers=[{"threshold": 1000, "amount_off": 300}], use_limit=1)
    first = client.post("/api/v1/checkout", json=body(shop), headers=shop["headers"])
    assert first.status_code == 201 and ("order_promotions", -300) in steps(first.json["order"])
    with tenant_scope(shop["tenant"]):
        row = db.session.get(Promotion, (shop["tenant"].id, int(made)), populate_existing=True)
        assert (row.uses, row.budget_used) == (1, 300)
        told = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "promotion.budget_spent.v1")).all()
        assert [(e.payload["use_limit"], e.payload["budget"]) for e in told] == [(1, None)]
    assert "order_promotions" not in [s for s, _ in steps(quoted(client, shop, body(shop)))]
    assert client.post(f"/api/v1/orders/{first.json['order']['id']}/cancel", headers=shop["headers"]).status_code == 200
    with tenant_scope(shop["tenant"]):
        assert db.session.get(Promotion, (shop["tenant"].id, int(made)), populate_existing=True).uses == 0
    assert ("order_promotions", -300) in steps(quoted(client, shop, body(shop)))


def test_the_cap_on_uses_is_changed_never_below_the_orders_holding_it(client, shop, db_session):
    from core.errors import APIError
    from engines.marketing.promotions import find_promotion, update_promotion

    made = promotion(shop, db_session, tiers=[{"threshold": 1000, "amount_off": 300}], use_limit=5)
    client.post("/api/v1/checkout", json=body(shop), headers=shop["headers"])
    with tenant_scope(shop["tenant"]):
        with pytest.raises(APIError) as refused:
            update_promotion(find_promotion(int(made)), use_limit=0)
        assert refused.value.fields == {"use_limit": ["From 1 to 100,000,000 orders, or no limit."]}
        update_promotion(find_promotion(int(made)), use_limit=1)
        db_session.commit()
        assert db.session.get(Promotion, (shop["tenant"].id, int(made)), populate_existing=True).use_limit == 1

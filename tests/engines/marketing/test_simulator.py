"""The price simulator's service: a cart priced by checkout's pipeline under the live rules (a
timed discount, an order promotion with a budget, a customer's coupon, express delivery) and with a
draft promotion — each step's amount, funder and shares of the lines; the difference; nothing
written, not even a statement that writes; refusals of the pipeline as the column's answer; what
cannot be simulated (another shop's customer, coupons without a customer, a saved draft) refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from core.db import db
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.catalog.services import set_status, skus_with_items
from engines.marketing.discounts import create_discount
from engines.marketing.models import ConsumerCoupon, HeldStatus, Promotion
from engines.marketing.promotions import checked_promotion, create_promotion
from engines.marketing.services import CouponRules, create_coupon, issue
from engines.marketing.simulator import draft_effect, draft_running, simulate
from engines.orders.models import Order, OrderAdjustment, OrderAdjustmentLine

NOW = dt.datetime.now(dt.UTC)
WINDOW = {"starts_at": NOW - dt.timedelta(days=1), "ends_at": NOW + dt.timedelta(days=10)}


@pytest.fixture
def rules(shop, db_session):
    return make_rules(shop, db_session)


def make_rules(shop, db_session) -> dict:
    """Live: 25 % off Cake (a timed discount, the shop's); ¥3 off ¥20 (a promotion with a budget,
    the shop's); a ¥5-off coupon funded by the platform, one copy held by the shop's customer."""
    with tenant_scope(shop["tenant"]):
        cake = skus_with_items([int(shop["cake"])])[int(shop["cake"])][0].item_id
        create_discount(name="Cake hour", item_ids=[cake], percent_bp=2500, **WINDOW)
        live = create_promotion(name="Spend 20", kind="spend", tiers=[{"threshold": 2000, "amount_off": 300}],
                                budget=10_000, **WINDOW)
        coupon = create_coupon(CouponRules(name="Five off", kind="amount", amount=500, minimum=1000,
                                           ends_at=NOW + dt.timedelta(days=30), funded_by="platform"))
        copy = issue(coupon, shop["consumer"].id, source="sent", now=NOW - dt.timedelta(hours=1))
        db_session.commit()
        return {"promotion": live.id, "copy": copy.id}


def cart(shop) -> list[dict]:
    return [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"], "quantity": 2}]


def draft(**fields) -> Promotion:
    return checked_promotion(**{"name": "Two or more", "kind": "quantity", "tiers": [{"threshold": 2, "percent_bp": 1000}],
                                **WINDOW, **fields})


def written(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def state(shop, rules) -> tuple:
    with tenant_scope(shop["tenant"]):
        copy = db.session.get(ConsumerCoupon, (shop["tenant"].id, rules["copy"]), populate_existing=True)
        promotion = db.session.get(Promotion, (shop["tenant"].id, rules["promotion"]), populate_existing=True)
        return (db.session.scalar(select(func.count()).select_from(Order)),
                db.session.scalar(select(func.count()).select_from(OrderAdjustment)),
                db.session.scalar(select(func.count()).select_from(OrderAdjustmentLine)),
                db.session.scalar(select(func.count()).select_from(Promotion)),
                promotion.budget_used, copy.status, copy.order_id)


def test_every_step_with_its_funder_and_shares_live_and_with_a_draft_and_nothing_written(shop, rules, db_session):
    before = state(shop, rules)
    statements: list[str] = []
    connection = db_session.connection()
    listen = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(connection, "before_cursor_execute", listen)
    try:
        with tenant_scope(shop["tenant"]):
            live, with_draft = simulate(cart(shop), consumer_id=shop["consumer"].id, coupon_copy_ids=[str(rules["copy"])],
                                        member_tier="gold", draft=draft(),
                                        fulfillment={"type": "express", "address_id": shop["address"]}, now=NOW)
    finally:
        event.remove(connection, "before_cursor_execute", listen)

    # Tea 2 × 12.50 and Cake 2 × 8.00 = 41.00; Cake at 25 % off (-4.00, the shop's); ¥3 off ¥20 on Tea
    # alone (Cake's lines are at a special price); the coupon's ¥5 shared by what each line still
    # costs (22.00 : 12.00); express: 10.00 the first unit, 2.00 each further one
    assert [(s.step, s.amount, s.funded_by, s.shares) for s in live.steps] == [
        ("items", 4100, None, ()),
        ("item_promotions", -400, "merchant", ((1, -400),)),
        ("order_promotions", -300, "merchant", ((0, -300),)),
        ("coupon", -500, "platform", ((0, -324), (1, -176))),
        ("shipping", 1600, "merchant", ()),
    ]
    assert [s.draft for s in live.steps] == [False] * 5
    assert [(line.name, line.unit_price, line.quantity, line.discount, line.payable) for line in live.lines] == [
        ("Tea", 1250, 2, 624, 1876), ("Cake", 800, 2, 576, 1024)]
    assert (live.items_total, live.discount_total, live.shipping_fee, live.total) == (4100, 1200, 1600, 4500)
    assert live.funded == {"merchant": 700, "platform": 500} and live.refusal is None
    # the draft, 10 % off two items or more, counts Tea's two (Cake's are at a special price) after
    # the live promotion: 10 % of 22.00; the coupon is then shared 19.80 : 12.00
    assert [(s.step, s.amount, s.funded_by, s.shares, s.draft) for s in with_draft.steps][2:5] == [
        ("order_promotions", -300, "merchant", ((0, -300),), False),
        ("order_promotions", -220, "merchant", ((0, -220),), True),
        ("coupon", -500, "platform", ((0, -311), (1, -189)), False),
    ]
    assert with_draft.total == 4280 and "Two or more: 10% off 2 items or more" in with_draft.steps[3].label
    effect = draft_effect(live, with_draft)
    assert (effect.total, effect.funded) == (-220, {"merchant": 220, "platform": 0})

    assert written(statements) == []
    assert any(s.upper().startswith("SAVEPOINT") for s in statements)  # and it ran in a savepoint, rolled back
    assert state(shop, rules) == before == (0, 0, 0, 1, 0, HeldStatus.AVAILABLE, None)


def test_a_draft_that_applies_alone_or_refuses_coupons_changes_the_answer(shop, rules, db_session):
    with tenant_scope(shop["tenant"]):
        # exclusive and first by priority: the live promotion gives way
        _live, alone = simulate(cart(shop), draft=draft(exclusive=True, priority=5),
                                fulfillment={"type": "pickup", "store_id": shop["store"]}, now=NOW)
        assert [s.label.split(":")[0] for s in alone.steps if s.step == "order_promotions"] == ["Two or more"]
        # not with coupons: checkout would refuse the coupon, and the column says so
        live, refused = simulate(cart(shop), consumer_id=shop["consumer"].id, coupon_copy_ids=[str(rules["copy"])],
                                 draft=draft(combines_with_coupons=False),
                                 fulfillment={"type": "pickup", "store_id": shop["store"]}, now=NOW)
    assert live.refusal is None and live.total == 4100 - 400 - 300 - 500
    assert refused.refusal == "A promotion on this order does not combine with coupons." and refused.steps == ()
    assert draft_effect(live, refused) is None


def test_a_draft_outside_its_window_and_a_later_time(shop, rules, db_session):
    later = NOW + dt.timedelta(days=20)  # every live rule is over by then; the coupon still holds
    upcoming = draft(starts_at=NOW + dt.timedelta(days=15), ends_at=NOW + dt.timedelta(days=25))
    with tenant_scope(shop["tenant"]):
        live_now, draft_now = simulate(cart(shop), draft=upcoming, fulfillment={"type": "pickup",
                                                                                "store_id": shop["store"]}, now=NOW)
        live_later, draft_later = simulate(cart(shop), draft=upcoming, fulfillment={"type": "pickup",
                                                                                    "store_id": shop["store"]},
                                           now=later)
    assert not draft_running(upcoming, NOW) and draft_running(upcoming, later)
    assert draft_now.total == live_now.total == 4100 - 400 - 300
    assert live_later.total == 4100 and [s.step for s in live_later.steps] == ["items"]
    assert draft_later.total == 4100 - 410  # 10 % of four items, none at a special price any more


def test_refusals_of_the_pipeline_are_the_columns_answer(shop, rules, db_session):
    with tenant_scope(shop["tenant"]):
        # goods to deliver with no way to receive them: a guest has no address
        guest, _none = simulate(cart(shop), now=NOW)
        assert guest.refusal == "Choose express, same_city, pickup or dine_in." and guest.total == 0
        # the coupon's minimum is not reached
        small, _none = simulate([{"sku_id": shop["cake"], "quantity": 1}], consumer_id=shop["consumer"].id,
                                coupon_copy_ids=[str(rules["copy"])],
                                fulfillment={"type": "pickup", "store_id": shop["store"]}, now=NOW)
        assert small.refusal == "Spend ¥4.00 more on the items this coupon covers to use it."
        # an item taken off sale: named
        set_status(item_ids=[skus_with_items([int(shop["tea"])])[int(shop["tea"])][0].item_id], status="off_sale")
        db_session.commit()
        off, _none = simulate(cart(shop), fulfillment={"type": "pickup", "store_id": shop["store"]}, now=NOW)
    assert off.refusal == "Tea: This item is not on sale."


def test_what_cannot_be_simulated_is_refused_naming_the_field(shop, rules, db_session, tenant_b, create_consumer):
    stranger = create_consumer(tenant_b)
    with tenant_scope(shop["tenant"]):
        with pytest.raises(APIError) as refused:
            simulate(cart(shop), consumer_id=stranger.id, now=NOW)
        assert refused.value.fields == {"consumer_id": ["There is no such customer."]}
        with pytest.raises(APIError) as refused:
            simulate(cart(shop), coupon_copy_ids=[str(rules["copy"])], member_tier="x" * 41, now=NOW)
        assert refused.value.fields == {"coupon_copy_ids": ["A coupon is a customer's: choose the customer first."],
                                        "member_tier": ["At most 40 characters."]}
        saved = db.session.get(Promotion, (shop["tenant"].id, rules["promotion"]))
        with pytest.raises(APIError) as refused:
            simulate(cart(shop), draft=saved, now=NOW)
        assert refused.value.fields == {"draft": ["A draft is a promotion not saved yet."]}

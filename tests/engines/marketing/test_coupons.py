"""Coupons through the consumer API: the claim centre and its limits, the wallet, a coupon at
checkout (what it takes off, when it cannot be used), held by an unpaid order, given back when
the order is cancelled, used when it is paid."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from core.tenancy import tenant_scope
from engines.marketing.models import ConsumerCoupon, Coupon
from engines.marketing.services import CouponRules, claim, claimable, create_coupon
from tests.engines.orders.test_orders import pay

DAY = dt.timedelta(days=1)


def coupon(shop, db_session, **rules) -> str:
    values = {"name": "Save", "kind": "amount", "amount": 500, "ends_at": dt.datetime.now(dt.UTC) + 30 * DAY, **rules}
    with tenant_scope(shop["tenant"]):
        made = create_coupon(CouponRules(**values))
        db_session.commit()
        return str(made.id)


def claimed(client, shop, coupon_id: str) -> str:
    answer = client.post(f"/api/v1/coupons/{coupon_id}/claim", headers=shop["headers"])
    assert answer.status_code == 201, answer.json
    return answer.json["coupon"]["id"]


def body(shop, *copies: str, lines=None, **fulfillment) -> dict:
    return {"lines": lines or [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"], "quantity": 1}],
            "fulfillment": fulfillment or {"type": "pickup", "store_id": shop["store"]}, "coupon_ids": list(copies)}


def test_the_claim_centre_claiming_and_the_wallet(client, shop, db_session):
    limited = coupon(shop, db_session, name="Welcome", total_limit=2, per_consumer_limit=1)
    coupon(shop, db_session, name="Staff only", public=False)
    answer = client.get("/api/v1/coupons", headers={"X-Tenant": shop["tenant"].slug})
    shown = answer.json["coupons"]
    assert [c["name"] for c in shown] == ["Welcome"] and shown[0]["left"] == 2
    assert shown[0]["amount"] == {"amount": 500, "currency": "CNY", "display": "¥5.00"}
    copy = claimed(client, shop, limited)
    again = client.post(f"/api/v1/coupons/{limited}/claim", headers=shop["headers"])
    assert (again.status_code, again.json["error"]["code"]) == (409, "coupon_limit_reached")
    wallet = client.get("/api/v1/me/coupons", headers=shop["headers"]).json["coupons"]
    assert [(c["id"], c["coupon"]["name"], c["status"]) for c in wallet] == [(copy, "Welcome", "available")]
    assert client.get("/api/v1/coupons", headers={"X-Tenant": shop["tenant"].slug}).json["coupons"][0]["left"] == 1
    assert client.get("/api/v1/me/coupons?status=nonsense", headers=shop["headers"]).status_code == 422


def test_a_coupon_valid_for_days_counts_them_from_the_claim_in_the_shops_timezone(shop, db_session):
    # given a coupon good for 3 days after the day it is claimed, claimed at 23:30 in Shanghai
    made = coupon(shop, db_session, valid_days=3, ends_at=None)
    claimed_at = dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC)  # 23:30 on the 30th in Shanghai
    with tenant_scope(shop["tenant"]):
        copy = claim(int(made), shop["consumer"].id, now=claimed_at)
        # then it is good until the end of 3 December, Shanghai time (16:00 UTC on the 3rd)
        assert copy.valid_until == dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)
        db_session.rollback()


def test_a_coupon_at_checkout_takes_its_amount_off_the_lines_it_covers(client, shop, db_session):
    copy = claimed(client, shop, coupon(shop, db_session, name="Five off", amount=500, minimum=2000))
    quoted = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"]).json
    assert quoted["total"]["amount"] == 2 * 1250 + 800 - 500
    step = [s for s in quoted["pricing"] if s["step"] == "coupon"][0]
    assert step["amount"]["amount"] == -500 and step["label"] == "Five off (¥5.00 off)"
    assert sum(line["discount"]["amount"] for line in quoted["lines"]) == 500


def test_a_coupon_below_its_minimum_or_not_the_consumers_is_refused_with_the_reason(client, shop, db_session,
                                                                                     create_consumer):
    copy = claimed(client, shop, coupon(shop, db_session, kind="threshold", amount=1000, minimum=5000))
    refused = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "coupon_not_applicable")
    assert "Spend ¥17.00 more" in refused.json["error"]["message"]
    # another consumer cannot use this consumer's copy
    from core.consumers import issue_token
    with tenant_scope(shop["tenant"]):
        other = {"Authorization": f"Bearer {issue_token(create_consumer(shop['tenant'], email='x@example.com'))}"}
        db_session.commit()
    stolen = client.post("/api/v1/checkout/quote", json=body(shop, copy, lines=[
        {"sku_id": shop["tea"], "quantity": 4}]), headers=other)
    assert (stolen.status_code, stolen.json["error"]["code"]) == (409, "coupon_not_applicable")


def test_a_coupon_larger_than_the_order_makes_the_items_free_never_negative(client, shop, db_session):
    copy = claimed(client, shop, coupon(shop, db_session, amount=100_000))
    quoted = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"]).json
    assert quoted["total"]["amount"] == 0
    assert all(line["subtotal"]["amount"] - line["discount"]["amount"] == 0 for line in quoted["lines"])


def test_a_percent_coupon_on_a_category_with_a_cap(client, shop, db_session):
    from engines.catalog.models import Item, Sku
    from engines.catalog.services import create_category

    with tenant_scope(shop["tenant"]):
        drinks = create_category(name="Drinks")
        tea_item = db.session.scalar(select(Sku.item_id).where(Sku.id == int(shop["tea"])))
        db.session.get(Item, (shop["tenant"].id, tea_item)).category_id = drinks.id
        db_session.commit()
    copy = claimed(client, shop, coupon(shop, db_session, kind="percent", percent_bp=2000, cap=400,
                                        scope="categories", scope_ids=(drinks.id,)))
    quoted = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"]).json
    # 20 % of the tea (2 × 12.50 = 25.00) is 5.00, capped at 4.00; the cake is not a drink
    tea, cake = quoted["lines"]
    assert (tea["discount"]["amount"], cake["discount"]["amount"]) == (400, 0)


def test_a_free_delivery_coupon_waives_the_fee(client, shop, db_session):
    copy = claimed(client, shop, coupon(shop, db_session, kind="free_shipping", amount=0))
    express = {"type": "express", "address_id": shop["address"]}
    plain = client.post("/api/v1/checkout/quote", json=body(shop, **express), headers=shop["headers"]).json
    assert plain["total"]["amount"] == 2 * 1250 + 800 + 1000 + 2 * 200
    waived = client.post("/api/v1/checkout/quote", json=body(shop, copy, **express), headers=shop["headers"]).json
    assert waived["total"]["amount"] == 2 * 1250 + 800
    assert [s["step"] for s in waived["pricing"]][-1] == "free_shipping"


def _copy(shop, copy_id: str) -> ConsumerCoupon:
    with tenant_scope(shop["tenant"]):
        return db.session.scalar(select(ConsumerCoupon).where(ConsumerCoupon.id == int(copy_id))
                                 .execution_options(populate_existing=True))


def test_held_by_an_unpaid_order_given_back_on_cancel_used_when_paid(client, shop, db_session):
    made = coupon(shop, db_session, amount=300)
    copy = claimed(client, shop, made)
    placed = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"])
    assert placed.status_code == 201 and placed.json["order"]["total"]["amount"] == 3300 - 300
    held = _copy(shop, copy)
    assert (held.status.value, str(held.order_id)) == ("held", placed.json["order"]["id"])
    # the same copy cannot go on a second order
    second = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"])
    assert (second.status_code, second.json["error"]["code"]) == (409, "coupon_not_applicable")
    # cancelled unpaid: the copy comes back
    assert client.post(f"/api/v1/orders/{placed.json['order']['id']}/cancel", headers=shop["headers"]).status_code == 200
    assert (_copy(shop, copy).status.value, _copy(shop, copy).order_id) == ("available", None)
    # placed again and paid: used, and counted on the coupon
    again = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"]).json["order"]
    pay(client, shop, again)
    assert _copy(shop, copy).status.value == "used"
    with tenant_scope(shop["tenant"]):
        assert db.session.get(Coupon, (shop["tenant"].id, int(made))).used_count == 1
    wallet = client.get("/api/v1/me/coupons?status=used", headers=shop["headers"]).json["coupons"]
    assert [c["order_id"] for c in wallet] == [again["id"]]


@pytest.mark.parametrize("rules, field", [({"amount": 0}, "amount"), ({"kind": "percent", "percent_bp": 10_000}, "percent_bp"),
                                          ({"kind": "threshold", "amount": 500, "minimum": 500}, "minimum"),
                                          ({"ends_at": None}, "ends_at"), ({"scope": "items"}, "scope_ids"),
                                          ({"per_consumer_limit": 0}, "per_consumer_limit")])
def test_a_coupon_that_makes_no_sense_is_refused_naming_the_field(shop, db_session, rules, field):
    from core.errors import APIError

    with pytest.raises(APIError) as refused:
        coupon(shop, db_session, **rules)
    assert field in refused.value.fields


def test_checkout_offers_the_consumers_coupons_the_best_first_with_reasons(client, shop, db_session):
    small = claimed(client, shop, coupon(shop, db_session, name="Two off", amount=200))
    big = claimed(client, shop, coupon(shop, db_session, name="Eight off", amount=800, minimum=3000))
    out_of_reach = claimed(client, shop, coupon(shop, db_session, name="Big spender", kind="threshold", amount=2000,
                                                minimum=10_000))
    answer = client.post("/api/v1/checkout/coupons", json=body(shop), headers=shop["headers"]).json
    assert [(c["id"], c["applicable"], c["discount"]["amount"]) for c in answer["coupons"]] == [
        (big, True, 800), (small, True, 200), (out_of_reach, False, 0)]
    assert answer["best"] == big and "Spend ¥67.00 more" in answer["coupons"][2]["reason"]


def test_a_day_before_a_coupon_expires_the_consumer_is_reminded_once(shop, db_session):
    from core.events import OutboxEvent
    from engines.marketing.tasks import remind_expiring

    made = coupon(shop, db_session, valid_days=2, ends_at=None)
    claimed_at = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # valid to the end of 2 December, Shanghai
    with tenant_scope(shop["tenant"]):
        copy = claim(int(made), shop["consumer"].id, now=claimed_at)
        db_session.commit()
    assert remind_expiring(now=claimed_at + DAY) == 0  # two days left: not yet
    assert remind_expiring(now=copy.valid_until - dt.timedelta(hours=20)) == 1
    assert remind_expiring(now=copy.valid_until - dt.timedelta(hours=19)) == 0  # once
    with tenant_scope(shop["tenant"]):
        event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.name == "coupon.expiring.v1"))
        assert event.payload["consumer_coupon_id"] == str(copy.id) and event.payload["name"] == "Save"


def _refund_everything(client, shop, order):
    from engines.orders.after_sales import approve, find_after_sale
    from tests.engines.orders.test_orders import as_shop

    lines = [{"line_id": line["id"], "quantity": line["quantity"]} for line in order["lines"]]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": lines, "reason": "Changed my mind"})
    assert asked.status_code == 201, asked.json
    as_shop(shop, lambda: approve(find_after_sale(int(asked.json["id"]))))


@pytest.mark.parametrize("back_on_refund", [False, True])
def test_a_refund_in_full_gives_the_coupon_back_only_when_the_shop_says_so(client, shop, db_session, back_on_refund):
    from runtime.services import ensure_app, publish, save_draft

    with tenant_scope(shop["tenant"]):
        draft = dict(ensure_app().draft)
        draft["app"] = {**draft["app"], "settings": {"marketing": {"coupon_back_on_refund": back_on_refund}}}
        save_draft(document=draft, revision=ensure_app().revision)
        publish(note="marketing settings")
        db_session.commit()
    made = coupon(shop, db_session, amount=300)
    copy = claimed(client, shop, made)
    order = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"]).json["order"]
    pay(client, shop, order)
    _refund_everything(client, shop, order)
    assert _copy(shop, copy).status.value == ("available" if back_on_refund else "used")
    with tenant_scope(shop["tenant"]):
        assert db.session.get(Coupon, (shop["tenant"].id, int(made)), populate_existing=True).used_count == (
            0 if back_on_refund else 1)


def test_a_new_member_gets_the_shops_welcome_coupon(client, shop, db_session):
    coupon(shop, db_session, name="Welcome gift", public=False, new_member_gift=True, amount=800)
    coupon(shop, db_session, name="Not a gift", public=False)
    joined = client.post("/api/v1/auth/register", headers={"X-Tenant": shop["tenant"].slug},
                         json={"email": "new@example.com", "password": "secret-123"})
    assert joined.status_code == 201, joined.json
    wallet = client.get("/api/v1/me/coupons", headers={"Authorization": f"Bearer {joined.json['token']}"}).json
    assert [c["coupon"]["name"] for c in wallet["coupons"]] == ["Welcome gift"]


def test_a_per_day_limit_counts_the_shops_day_and_opens_again_the_next(shop, db_session):
    from core.errors import APIError

    made = int(coupon(shop, db_session, per_day_limit=2, per_consumer_limit=5))
    evening = dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    with tenant_scope(shop["tenant"]):
        claim(made, shop["consumer"].id, now=evening)
        claim(made, shop["consumer"].id, now=evening)
        with pytest.raises(APIError) as refused:
            claim(made, shop["consumer"].id, now=evening)
        assert refused.value.code == "coupon_gone_for_today"
        assert [c.id for c in claimable(now=evening)] == []
        after_midnight = evening + dt.timedelta(hours=1)  # 00:30 the next day in Shanghai, still the 30th in UTC
        assert [c.id for c in claimable(now=after_midnight)] == [made]
        claim(made, shop["consumer"].id, now=after_midnight)
        assert db.session.get(Coupon, (shop["tenant"].id, made), populate_existing=True).issued_count == 3


def test_a_coupon_bought_with_points_spends_them_with_the_copy_or_neither(shop, db_session, monkeypatch):
    from core.errors import APIError
    from engines.marketing import services

    made = int(coupon(shop, db_session, points_price=500, total_limit=1))
    plain = int(coupon(shop, db_session, name="Not for points"))
    monkeypatch.setattr(services, "_POINTS", [])
    with tenant_scope(shop["tenant"]):
        with pytest.raises(APIError) as refused:  # nothing keeps points: no points wallet registered
            services.buy_with_points(made, shop["consumer"].id)
        assert refused.value.code == "coupon_not_for_points"
    spent = []
    services.points_wallet(lambda consumer_id, points, reason: spent.append((consumer_id, points, reason)))
    with tenant_scope(shop["tenant"]):
        copy = services.buy_with_points(made, shop["consumer"].id)
        assert (copy.source, spent) == ("points", [(shop["consumer"].id, 500, f"coupon:{made}")])
        with pytest.raises(APIError) as gone:  # the one copy is out: no points taken for nothing
            services.buy_with_points(made, shop["consumer"].id)
        assert gone.value.code in ("coupon_sold_out", "coupon_limit_reached") and len(spent) == 1
        with pytest.raises(APIError) as not_priced:
            services.buy_with_points(plain, shop["consumer"].id)
        assert not_priced.value.code == "coupon_not_for_points"


def test_a_payment_that_loses_the_race_for_its_order_uses_no_coupon_and_records_nothing(client, shop, db_session):
    """mark_paid with the order read as awaiting payment while another hand moved it meanwhile:
    its move is refused, and what the move guards in the same statement — the held copy's use
    and its count, the transition's row, order.paid.v1 — is not written."""
    from sqlalchemy import func, update

    from core.events import OutboxEvent
    from engines.orders.lifecycle import find_order, mark_paid
    from engines.orders.models import Order, OrderTransition

    made = coupon(shop, db_session, amount=300)
    copy = claimed(client, shop, made)
    placed = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"]).json["order"]
    with tenant_scope(shop["tenant"]):
        stale = find_order(int(placed["id"]))
        db.session.expunge(stale)
        # another hand moves the order on (its copy still held by it, so a use would find it)
        db.session.execute(update(Order).where(Order.id == stale.id).values(status="cancelled"))
        assert mark_paid(stale, actor="provider:sandbox") is False
        assert stale.status.value == "cancelled"
        db.session.commit()
        moves = db.session.scalars(select(OrderTransition.event).where(OrderTransition.order_id == stale.id)).all()
        paid = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.name == "order.paid.v1"))
        assert (moves, paid) == (["create"], 0)
        assert db.session.get(Coupon, (shop["tenant"].id, int(made))).used_count == 0
    assert _copy(shop, copy).status.value == "held"

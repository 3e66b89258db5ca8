"""Paid member cards end to end: a plan on sale, bought as an order at the first-purchase price and
paid as any order (the card starts, the order completes), renewed at the list price (extended from
its end), its benefits at checkout (the better of the card's and the tier's), activation codes used
once, a refund ending the card, the reminder before it ends, and the Admin API's refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from core.events import OutboxEvent
from core.tenancy import tenant_scope
from engines.membership.cards import create_plan, make_card_codes
from engines.membership.models import MemberCard
from engines.membership.tasks import cards_ending
from engines.membership.tiers import create_tier
from tests.admin_api import staff_token
from tests.engines.marketing.test_journey import _refund
from tests.engines.membership.test_points import card, express, steps
from tests.engines.orders.test_orders import get_order, pay


def plan(shop, db_session, **values) -> str:
    with tenant_scope(shop["tenant"]):
        made = create_plan(**{"name": "Plus", "period": "month", "price": 1990, "first_price": 990,
                              "discount_bp": 1000, "free_shipping": True, **values})
        db_session.commit()
        return str(made.id)


def bought(client, shop, plan_id: str) -> dict:
    answer = client.post(f"/api/v1/member-cards/{plan_id}/buy", headers=shop["headers"])
    assert answer.status_code == 201, answer.json
    return answer.json["order"]


def held(shop) -> MemberCard:
    with tenant_scope(shop["tenant"]):
        return db.session.scalars(select(MemberCard).execution_options(populate_existing=True)).one()


def test_a_card_bought_and_paid_starts_and_its_order_completes(client, shop, db_session):
    plus = plan(shop, db_session)
    on_sale = client.get("/api/v1/member-cards", headers={"X-Tenant": shop["tenant"].slug}).json["plans"]
    assert [(p["name"], p["price"]["amount"], p["first_price"]["amount"]) for p in on_sale] == [("Plus", 1990, 990)]
    order = bought(client, shop, plus)
    assert order["total"]["amount"] == 990 and order["lines"][0]["name"] == "Member card: Plus"
    assert card(client, shop)["card"] is None  # not paid yet
    pay(client, shop, order)
    assert get_order(client, shop, order["id"])["status"] == "completed"
    member = card(client, shop)["card"]
    assert member["name"] == "Plus" and member["discount_bp"] == 1000
    first = held(shop)
    started, first_ends = first.starts_at, first.ends_at
    assert first_ends.month == (started.month % 12) + 1
    # a renewal costs the list price and extends the card from its end
    renewal = bought(client, shop, plus)
    assert renewal["total"]["amount"] == 1990
    pay(client, shop, renewal)
    again = held(shop)
    assert again.starts_at == started and again.ends_at > first_ends + dt.timedelta(days=27)


def test_the_card_gives_its_benefits_at_checkout_when_better_than_the_tier(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        create_tier(name="Member", threshold=0, discount_bp=500)
        db_session.commit()
    plus = plan(shop, db_session)
    before = client.post("/api/v1/checkout/quote", json=express(shop), headers=shop["headers"]).json
    assert ("member_price", -124) in steps(before) and "member_shipping" not in [s for s, _ in steps(before)]
    pay(client, shop, bought(client, shop, plus))
    after = client.post("/api/v1/checkout/quote", json=express(shop), headers=shop["headers"]).json
    assert steps(after) == [("items", 3300), ("member_price", -250), ("member_price", -80), ("shipping", 1400),
                            ("member_shipping", -1400)]
    assert after["pricing"][1]["label"] == "Plus price (10% off)"


def test_a_refunded_card_order_ends_the_card(client, shop, db_session):
    order = bought(client, shop, plan(shop, db_session))
    pay(client, shop, order)
    assert card(client, shop)["card"] is not None
    line = get_order(client, shop, order["id"])["lines"][0]
    _refund(client, shop, get_order(client, shop, order["id"]), (line["id"], 1))
    assert card(client, shop)["card"] is None


def test_an_activation_code_works_once(client, shop, db_session):
    plus = plan(shop, db_session, period="permanent")
    with tenant_scope(shop["tenant"]):
        from engines.membership.cards import find_plan
        code = make_card_codes(find_plan(int(plus)), 2, "launch")[0]
        db_session.commit()
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    used = client.post("/api/v1/member-cards/activate", json={"code": typed}, headers=shop["headers"])
    assert used.status_code == 201 and used.json["card"]["ends_at"] is None, used.json
    again = client.post("/api/v1/member-cards/activate", json={"code": code}, headers=shop["headers"])
    assert again.status_code == 409 and again.json["error"]["code"] == "card_code_used"
    unknown = client.post("/api/v1/member-cards/activate", json={"code": "NOPE"}, headers=shop["headers"])
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "card_code_not_found"


def test_a_card_ending_soon_is_told_once(client, shop, db_session):
    pay(client, shop, bought(client, shop, plan(shop, db_session)))
    ends = held(shop).ends_at
    assert cards_ending(ends - dt.timedelta(days=4)) == 0
    assert cards_ending(ends - dt.timedelta(days=2)) == 1
    assert cards_ending(ends - dt.timedelta(days=1)) == 0
    with tenant_scope(shop["tenant"]):
        told = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "member_card.ending.v1")).all()
        assert [e.payload["name"] for e in told] == ["Plus"]


def test_a_card_off_sale_cannot_be_bought(client, shop, db_session):
    off = plan(shop, db_session, active=False)
    answer = client.post(f"/api/v1/member-cards/{off}/buy", headers=shop["headers"])
    assert answer.status_code == 409 and answer.json["error"]["code"] == "card_plan_unavailable"
    assert client.get("/api/v1/orders", headers=shop["headers"]).json["orders"] == []
    assert client.post("/api/v1/member-cards/999/buy", headers=shop["headers"]).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"name": "X", "period": "month", "price": 1000, "first_price": 1500}, "first_price"),
    ({"name": "X", "period": "month", "price": 0}, "price"),
    ({"name": "X", "period": "month", "price": 1000, "discount_bp": 9500}, "discount_bp"),
])
def test_plans_in_the_admin_api_refuse_bad_fields(client, db_session, shop, body, field):
    owner = staff_token(db_session, shop["tenant"])
    answer = client.post("/admin/api/v1/card-plans", json=body, headers=owner.headers)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json


def test_plans_and_codes_in_the_admin_api(client, db_session, shop):
    owner = staff_token(db_session, shop["tenant"])
    made = client.post("/admin/api/v1/card-plans", json={"name": "Year", "period": "year", "price": 19900},
                       headers=owner.headers)
    assert made.status_code == 201 and made.json["plan"]["first_price"]["amount"] == 19900, made.json
    plan_id = made.json["plan"]["id"]
    off = client.patch(f"/admin/api/v1/card-plans/{plan_id}", json={"active": False}, headers=owner.headers)
    assert off.status_code == 200 and off.json["plan"]["active"] is False
    codes = client.post(f"/admin/api/v1/card-plans/{plan_id}/codes", json={"count": 3, "batch": "fair"},
                        headers=owner.headers)
    assert codes.status_code == 201 and len(set(codes.json["codes"])) == 3
    assert client.get("/api/v1/member-cards", headers={"X-Tenant": shop["tenant"].slug}).json["plans"] == []

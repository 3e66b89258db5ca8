"""Stored value end to end: a recharge plan bought as an order and paid with money (principal and
bonus credited, the order completed), an order paid from the balance in the shop's stated order
(principal first or bonus first), a short balance refused with nothing written, refunds giving each
part back exactly in its share, the statement, a refunded recharge taken back, and the balance
provider offered only where the shop keeps balances."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.tenancy import tenant_scope
from engines.membership.models import Member, WalletEntry
from engines.membership.wallet import create_recharge_plan, move
from tests.engines.marketing.test_journey import _refund
from tests.engines.membership.test_points import placed, settings
from tests.engines.orders.test_orders import get_order, pay


def offer(shop, db_session, pay_amount: int = 10000, bonus: int = 2000) -> str:
    with tenant_scope(shop["tenant"]):
        plan = create_recharge_plan(pay=pay_amount, bonus=bonus)
        db_session.commit()
        return str(plan.id)


def wallet(client, shop) -> dict:
    answer = client.get("/api/v1/me/wallet", headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return answer.json


def parts(client, shop) -> tuple[int, int]:
    found = wallet(client, shop)["wallet"]
    return found["principal"]["amount"], found["bonus"]["amount"]


def give(shop, db_session, principal: int, bonus: int) -> None:
    with tenant_scope(shop["tenant"]):
        move(shop["consumer"].id, principal, bonus, "adjustment", note="test")
        db_session.commit()


def pay_from_balance(client, shop, order: dict):
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "balance"},
                          headers=shop["headers"])
    assert started.status_code == 201, started.json
    assert started.json["next_action"]["type"] == "balance"
    return client.post(started.json["next_action"]["url"], headers=shop["headers"])


def test_a_recharge_credits_principal_and_bonus_once_paid(client, shop, db_session):
    settings(shop, db_session, stored_value=True)
    plan = offer(shop, db_session)
    offered = client.get("/api/v1/recharge-plans", headers={"X-Tenant": shop["tenant"].slug}).json["plans"]
    assert [(p["pay"]["amount"], p["gets"]["amount"], p["label"]) for p in offered] == [
        (10000, 12000, "Recharge ¥100.00, get ¥120.00")]
    order = client.post(f"/api/v1/recharge-plans/{plan}/buy", headers=shop["headers"])
    assert order.status_code == 201, order.json
    assert parts(client, shop) == (0, 0)
    pay(client, shop, order.json["order"])
    assert parts(client, shop) == (10000, 2000)
    assert get_order(client, shop, order.json["order"]["id"])["status"] == "completed"
    assert client.get("/api/v1/me/member", headers=shop["headers"]).json["member"]["balance"]["total"]["amount"] == 12000
    # a recharge is paid with money, never from the balance
    again = client.post(f"/api/v1/recharge-plans/{plan}/buy", headers=shop["headers"]).json["order"]
    refused = pay_from_balance(client, shop, again)
    assert refused.status_code == 409 and parts(client, shop) == (10000, 2000)


def test_an_order_paid_from_the_balance_principal_first_then_refunded_part_by_part(client, shop, db_session):
    settings(shop, db_session, stored_value=True)
    give(shop, db_session, 1000, 5000)
    order = placed(client, shop)  # 33.00
    paid = pay_from_balance(client, shop, order)
    assert paid.status_code == 200 and paid.json["outcome"] == "paid", paid.json
    assert parts(client, shop) == (0, 5000 - 2300)  # 10.00 of principal, then 23.00 of bonus
    assert get_order(client, shop, order["id"])["status"] == "paid"
    lines = get_order(client, shop, order["id"])["lines"]
    tea, cake = (next(line for line in lines if line["name"] == name) for name in ("Tea", "Cake"))
    _refund(client, shop, order, (tea["id"], 1))  # 12.50 back: bonus 23/33 of it, floored
    assert parts(client, shop) == (1250 - 2300 * 1250 // 3300, 2700 + 2300 * 1250 // 3300)
    _refund(client, shop, order, (tea["id"], 1), (cake["id"], 1))
    assert parts(client, shop) == (1000, 5000)  # everything back, each part exactly
    kinds = [e["kind"] for e in wallet(client, shop)["entries"]]
    assert kinds == ["refund", "refund", "payment", "adjustment"]


def test_the_shop_may_spend_the_bonus_first(client, shop, db_session):
    settings(shop, db_session, stored_value=True, balance_order="bonus_first")
    give(shop, db_session, 5000, 1000)
    pay_from_balance(client, shop, placed(client, shop))
    assert parts(client, shop) == (5000 - 2300, 0)


def test_a_short_balance_is_refused_and_nothing_moves(client, shop, db_session):
    settings(shop, db_session, stored_value=True)
    give(shop, db_session, 1000, 1000)
    order = placed(client, shop)
    refused = pay_from_balance(client, shop, order)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "balance_insufficient"
    assert parts(client, shop) == (1000, 1000)
    assert get_order(client, shop, order["id"])["status"] == "pending_payment"
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(WalletEntry)) == 1


def test_a_payment_is_taken_from_the_balance_once(client, shop, db_session):
    settings(shop, db_session, stored_value=True)
    give(shop, db_session, 10000, 0)
    order = placed(client, shop)
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "balance"},
                          headers=shop["headers"]).json
    assert client.post(started["next_action"]["url"], headers=shop["headers"]).status_code == 200
    again = client.post(started["next_action"]["url"], headers=shop["headers"])
    assert again.status_code == 409 and again.json["error"]["code"] == "payment_not_pending"
    assert parts(client, shop) == (10000 - 3300, 0)


def test_without_stored_value_the_balance_is_not_a_way_to_pay(client, shop, db_session):
    order = placed(client, shop)
    answer = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "balance"},
                         headers=shop["headers"])
    assert answer.status_code == 422 and answer.json["error"]["code"] == "unknown_provider"
    assert client.get("/api/v1/me/member", headers=shop["headers"]).json["member"]["balance"] is None


def test_another_consumers_payment_cannot_be_paid_from_my_balance(client, shop, db_session, create_consumer):
    from core.consumers import issue_token

    settings(shop, db_session, stored_value=True)
    order = placed(client, shop)
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "balance"},
                          headers=shop["headers"]).json
    with tenant_scope(shop["tenant"]):
        thief = create_consumer(shop["tenant"])
        token = issue_token(thief)
        move(thief.id, 100000, 0, "adjustment")
        db_session.commit()
    answer = client.post(started["next_action"]["url"], headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    with tenant_scope(shop["tenant"]):
        assert db.session.scalars(select(Member.balance).where(Member.balance > 0)).all() == [100000]


def test_a_refunded_recharge_takes_back_what_it_gave(client, shop, db_session):
    settings(shop, db_session, stored_value=True)
    order = client.post(f"/api/v1/recharge-plans/{offer(shop, db_session)}/buy", headers=shop["headers"]).json["order"]
    pay(client, shop, order)
    line = get_order(client, shop, order["id"])["lines"][0]
    _refund(client, shop, get_order(client, shop, order["id"]), (line["id"], 1))
    assert parts(client, shop) == (0, 0)


@pytest.mark.parametrize("body, field", [({"pay": 0}, "pay"), ({"pay": 100, "bonus": -1}, "bonus")])
def test_recharge_plans_in_the_admin_api(client, db_session, shop, body, field):
    from tests.admin_api import staff_token

    owner = staff_token(db_session, shop["tenant"])
    consumer_id = shop["consumer"].id
    assert client.post("/admin/api/v1/recharge-plans", json=body, headers=owner.headers).json["error"]["fields"][field]
    made = client.post("/admin/api/v1/recharge-plans", json={"pay": 5000, "bonus": 500}, headers=owner.headers)
    assert made.status_code == 201 and made.json["plan"]["gets"]["amount"] == 5500
    off = client.patch(f"/admin/api/v1/recharge-plans/{made.json['plan']['id']}", json={"active": False},
                       headers=owner.headers)
    assert off.json["plan"]["active"] is False
    statement = client.get(f"/admin/api/v1/members/{consumer_id}/wallet", headers=owner.headers)
    assert statement.status_code == 200 and statement.json["entries"] == []

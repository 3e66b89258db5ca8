"""The points ledger through the consumer API: the daily sign-in, what a paid order earns (frozen
through its after-sales window, thawed by the sweep, taken back line by line on refunds), points
spent at checkout (capped, reserved with the order, given back on cancel and, their refunded share,
on refunds), expiry by batch with its reminder, and the member price of a tier."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.events import OutboxEvent
from core.tenancy import tenant_scope
from engines.membership.ledger import credit, debit
from engines.membership.models import Member, PointsEntry, PointsKind
from engines.membership.tasks import expire_due, remind_expiring, thaw_due
from engines.membership.tiers import create_tier
from engines.orders.lifecycle import find_order, verify_code
from tests.engines.marketing.test_journey import _refund
from tests.engines.orders.test_orders import as_shop, get_order, pay


def settings(shop, db_session, **values) -> None:
    from runtime.services import ensure_app, publish, save_draft

    with tenant_scope(shop["tenant"]):
        draft = dict(ensure_app().draft)
        draft["app"] = {**draft["app"], "settings": {"membership": values}}
        save_draft(document=draft, revision=ensure_app().revision)
        publish(note="membership settings")
        db_session.commit()


def card(client, shop) -> dict:
    answer = client.get("/api/v1/me/member", headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return answer.json["member"]


def ledger(client, shop) -> list[tuple[str, int, int]]:
    answer = client.get("/api/v1/me/points?limit=50", headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return [(e["kind"], e["amount"], e["balance_after"]) for e in reversed(answer.json["entries"])]


def give(shop, db_session, points: int, **kw) -> None:
    with tenant_scope(shop["tenant"]):
        credit(shop["consumer"].id, points, PointsKind.ADJUSTMENT, note="test", **kw)
        db_session.commit()


def order_body(shop, points: int = 0, lines=None) -> dict:
    return {"lines": lines or [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"], "quantity": 1}],
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}, "points": points}


def placed(client, shop, points: int = 0, lines=None) -> dict:
    answer = client.post("/api/v1/checkout", json=order_body(shop, points, lines), headers=shop["headers"])
    assert answer.status_code == 201, answer.json
    return answer.json["order"]


def steps(order_or_quote) -> list[tuple[str, int]]:
    return [(s["step"], s["amount"]["amount"]) for s in order_or_quote["pricing"]]


def test_a_new_member_has_an_empty_card(client, shop):
    member = card(client, shop)
    assert member["tier"] is None and member["next_tier"] is None and member["growth"] == 0
    assert member["points"] == {"available": 0, "frozen": 0, "expiring": 0, "expiring_at": None}
    assert member["signed_in_today"] is False and member["card"] is None and member["balance"] is None


def test_the_card_needs_a_consumer(client, shop):
    answer = client.get("/api/v1/me/member", headers={"X-Tenant": shop["tenant"].slug})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthenticated"


def test_signing_in_once_a_day_with_a_streak_bonus(client, shop, db_session):
    from engines.membership.sign_ins import sign_in

    settings(shop, db_session, sign_in_points=5, streak_days=3, streak_points=20)
    first = client.post("/api/v1/me/sign-in", headers=shop["headers"])
    assert first.status_code == 201, first.json
    assert first.json["sign_in"]["streak"] == 1 and first.json["sign_in"]["points"] == 5
    assert first.json["member"]["signed_in_today"] is True and first.json["member"]["points"]["available"] == 5
    again = client.post("/api/v1/me/sign-in", headers=shop["headers"])
    assert again.status_code == 409 and again.json["error"]["code"] == "already_signed_in"
    with tenant_scope(shop["tenant"]):
        tomorrow = utcnow() + dt.timedelta(days=1)
        second = sign_in(shop["consumer"].id, tomorrow)
        third = sign_in(shop["consumer"].id, tomorrow + dt.timedelta(days=1))
        skipped = sign_in(shop["consumer"].id, tomorrow + dt.timedelta(days=3))
        db_session.commit()
    assert (second.streak, second.points) == (2, 5)
    assert (third.streak, third.points) == (3, 25)  # the third day in a row: the bonus
    assert (skipped.streak, skipped.points) == (1, 5)  # a day missed: the streak starts again
    assert ledger(client, shop) == [("sign_in", 5, 5), ("sign_in", 5, 10), ("sign_in", 25, 35), ("sign_in", 5, 40)]


def test_a_paid_order_earns_frozen_points_and_growth_thawed_when_its_window_closes(client, shop, db_session):
    settings(shop, db_session, points_per_unit=2, growth_per_unit=1, growth_per_order=10)
    with tenant_scope(shop["tenant"]):
        create_tier(name="Silver", threshold=30)
        db_session.commit()
    order = placed(client, shop)  # 2 × 12.50 + 8.00 = 33.00
    pay(client, shop, order)
    member = card(client, shop)
    # 2 points per ¥1 of each line (25.00 → 50, 8.00 → 16); growth 33 + 10 for the order
    assert member["points"]["frozen"] == 66 and member["points"]["available"] == 0
    assert member["growth"] == 43 and member["tier"]["name"] == "Silver"  # reached at once
    assert thaw_due(utcnow() + dt.timedelta(days=365)) == 0  # not completed: its window has not begun
    as_shop(shop, lambda: verify_code(find_order(int(order["id"])).verification_code, actor="staff:1"))
    assert thaw_due(utcnow() + dt.timedelta(days=6)) == 0  # 7 days for after-sales by default
    assert thaw_due(utcnow() + dt.timedelta(days=8)) == 1
    assert thaw_due(utcnow() + dt.timedelta(days=9)) == 0  # once
    member = card(client, shop)
    assert member["points"] == {"available": 66, "frozen": 0, "expiring": 0, "expiring_at": None}
    assert ledger(client, shop) == [("order", 66, 66)]


def test_a_refund_takes_back_each_refunded_units_share_frozen_then_from_the_balance(client, shop, db_session):
    settings(shop, db_session, points_per_unit=3, growth_per_unit=1)
    order = placed(client, shop)
    pay(client, shop, order)
    tea = next(line for line in get_order(client, shop, order["id"])["lines"] if line["name"] == "Tea")
    assert card(client, shop)["points"]["frozen"] == 99  # 25.00 → 75, 8.00 → 24
    _refund(client, shop, order, (tea["id"], 1))  # one tea: 75 × 1 / 2, floored
    member = card(client, shop)
    assert member["points"]["frozen"] == 99 - 37 and member["growth"] == 33 - 12
    with tenant_scope(shop["tenant"]):
        from engines.membership.earning import thaw_order
        thaw_order(int(order["id"]))
        db_session.commit()
    assert card(client, shop)["points"]["available"] == 62
    _refund(client, shop, order, (tea["id"], 1))  # the other tea: the rest of the line, 38
    member = card(client, shop)
    assert member["points"] == {"available": 24, "frozen": 0, "expiring": 0, "expiring_at": None}
    assert member["growth"] == 8
    assert ledger(client, shop) == [("order", 62, 62), ("reversed", -38, 24)]


def test_a_refund_after_the_points_were_spent_takes_only_what_is_left(client, shop, db_session):
    settings(shop, db_session, points_per_unit=3, freeze_points=False)
    order = placed(client, shop)
    pay(client, shop, order)
    assert card(client, shop)["points"]["available"] == 99
    with tenant_scope(shop["tenant"]):
        debit(shop["consumer"].id, 90, PointsKind.REDEEMED, note="a mug")
        db_session.commit()
    _refund(client, shop, order, *[(line["id"], line["quantity"]) for line in order["lines"]])
    assert card(client, shop)["points"]["available"] == 0
    assert ledger(client, shop)[-1] == ("reversed", -9, 0)


def test_points_pay_part_of_an_order_within_the_shops_cap(client, shop, db_session):
    settings(shop, db_session, points_rate=100, points_max_share=50)
    give(shop, db_session, 5000)
    quote = client.post("/api/v1/checkout/quote", json=order_body(shop, 800), headers=shop["headers"])
    assert quote.status_code == 200, quote.json
    assert ("points", -800) in steps(quote.json) and quote.json["total"]["amount"] == 3300 - 800
    # more than half of 33.00 asked: half is used (16.50 = 1,650 points)
    capped = client.post("/api/v1/checkout/quote", json=order_body(shop, 4000), headers=shop["headers"])
    assert ("points", -1650) in steps(capped.json)
    assert capped.json["pricing"][-1]["label"] == "1650 points"
    order = placed(client, shop, 4000)
    assert order["total"]["amount"] == 1650
    assert card(client, shop)["points"]["available"] == 5000 - 1650
    assert ledger(client, shop)[-1] == ("spent", -1650, 3350)


def test_too_few_points_is_a_clear_409_and_nothing_is_placed(client, shop, db_session):
    settings(shop, db_session, points_rate=100)
    give(shop, db_session, 100)
    answer = client.post("/api/v1/checkout", json=order_body(shop, 500), headers=shop["headers"])
    assert answer.status_code == 409 and answer.json["error"]["code"] == "points_insufficient"
    assert "100 points" in answer.json["error"]["message"]
    assert client.get("/api/v1/orders", headers=shop["headers"]).json["orders"] == []
    assert card(client, shop)["points"]["available"] == 100


def test_a_shop_that_takes_no_points_refuses_them(client, shop, db_session):
    settings(shop, db_session, points_max_share=0)
    give(shop, db_session, 100)
    answer = client.post("/api/v1/checkout/quote", json=order_body(shop, 50), headers=shop["headers"])
    assert answer.status_code == 409 and answer.json["error"]["code"] == "points_not_accepted"


@pytest.mark.parametrize("points", [-1, "10", 1.5, 10**10])
def test_odd_points_are_422(client, shop, points):
    answer = client.post("/api/v1/checkout/quote", json={**order_body(shop), "points": points}, headers=shop["headers"])
    assert answer.status_code == 422 and "points" in answer.json["error"]["fields"]


def test_a_cancelled_order_gives_its_points_back(client, shop, db_session):
    give(shop, db_session, 1000)
    order = placed(client, shop, 1000)
    assert card(client, shop)["points"]["available"] == 0
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    assert cancelled.status_code == 200, cancelled.json
    assert card(client, shop)["points"]["available"] == 1000
    assert [kind for kind, _, _ in ledger(client, shop)] == ["adjustment", "spent", "returned"]


def test_refunds_give_back_exactly_the_refunded_share_of_the_points_spent(client, shop, db_session):
    settings(shop, db_session, points_per_unit=0, points_rate=100, points_max_share=100, points_min_payable=1)
    give(shop, db_session, 1001)
    order = placed(client, shop, 1001)  # 10.01 off 33.00
    pay(client, shop, order)
    lines = get_order(client, shop, order["id"])["lines"]
    tea, cake = (next(line for line in lines if line["name"] == name) for name in ("Tea", "Cake"))
    _refund(client, shop, order, (tea["id"], 1))
    _refund(client, shop, order, (cake["id"], 1))
    _refund(client, shop, order, (tea["id"], 1))
    returned = [amount for kind, amount, _ in ledger(client, shop) if kind == "returned"]
    assert sum(returned) == 1001 and len(returned) == 3
    assert card(client, shop)["points"]["available"] == 1001


def test_batches_expire_oldest_first_with_a_reminder_a_week_before(client, shop, db_session):
    settings(shop, db_session, points_expiry="days", points_expiry_days=30)
    now = utcnow()
    give(shop, db_session, 100, now=now)
    give(shop, db_session, 50, now=now + dt.timedelta(days=10))
    with tenant_scope(shop["tenant"]):
        debit(shop["consumer"].id, 30, PointsKind.REDEEMED, now=now + dt.timedelta(days=11))  # from the first batch
        db_session.commit()
    assert remind_expiring(now + dt.timedelta(days=20)) == 0
    assert remind_expiring(now + dt.timedelta(days=26)) == 1
    assert remind_expiring(now + dt.timedelta(days=27)) == 0  # once per batch
    with tenant_scope(shop["tenant"]):
        told = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "points.expiring.v1")).all()
        assert [event.payload["points"] for event in told] == [70]
    assert expire_due(now + dt.timedelta(days=29)) == 0
    assert expire_due(now + dt.timedelta(days=32)) == 1
    assert card(client, shop)["points"]["available"] == 50
    assert ledger(client, shop)[-1] == ("expired", -70, 50)
    assert expire_due(now + dt.timedelta(days=45)) == 1
    assert card(client, shop)["points"]["available"] == 0


def test_the_ledger_pages_newest_first(client, shop, db_session):
    for points in range(1, 6):
        give(shop, db_session, points)
    first = client.get("/api/v1/me/points?limit=2", headers=shop["headers"]).json
    assert [e["amount"] for e in first["entries"]] == [5, 4] and first["next_cursor"]
    second = client.get(f"/api/v1/me/points?limit=2&cursor={first['next_cursor']}", headers=shop["headers"]).json
    assert [e["amount"] for e in second["entries"]] == [3, 2]
    bad = client.get("/api/v1/me/points?cursor=abc", headers=shop["headers"])
    assert bad.status_code == 422


def express(shop, points: int = 0) -> dict:
    return {**order_body(shop, points), "fulfillment": {"type": "express", "address_id": shop["address"]}}


def test_a_tiers_member_price_and_free_delivery(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        create_tier(name="Member", threshold=0, discount_bp=500)  # everyone's, from the start
        gold = create_tier(name="Gold", threshold=100, discount_bp=1000, free_shipping=True)
        db_session.commit()
    quote = client.post("/api/v1/checkout/quote", json=express(shop), headers=shop["headers"]).json
    assert steps(quote) == [("items", 3300), ("member_price", -124), ("member_price", -40), ("shipping", 1400)]
    assert quote["pricing"][1]["label"] == "Member price (5% off)"
    with tenant_scope(shop["tenant"]):
        from engines.membership.tiers import add_growth
        add_growth(shop["consumer"].id, 100, "adjustment")
        db_session.commit()
    quote = client.post("/api/v1/checkout/quote", json=express(shop), headers=shop["headers"]).json
    # 10 % off each unit: 1,250 → 125 a tea, 800 → 80; the delivery fee waived
    assert steps(quote) == [("items", 3300), ("member_price", -250), ("member_price", -80), ("shipping", 1400),
                            ("member_shipping", -1400)]
    assert quote["total"]["amount"] == 3300 - 330
    assert card(client, shop)["tier"]["id"] == str(gold.id)


def test_the_balance_is_the_sum_of_the_entries_and_of_the_batches(client, shop, db_session):
    give(shop, db_session, 300)
    order = placed(client, shop, 200)
    client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    placed(client, shop, 150)
    with tenant_scope(shop["tenant"]):
        member = db.session.scalars(select(Member)).one()
        total = db.session.scalar(select(func.sum(PointsEntry.amount)))
        unspent = db.session.scalar(select(func.sum(PointsEntry.remaining)))
    assert member.points == total == unspent == 150


"""Automations end to end: a trigger (registration, first order, a tier reached, a birthday, N days
without an order) gives a coupon, points and an inbox message, once per occasion; quiet hours make
it wait; the frequency cap skips it, saying why; the log and the inbox through the APIs."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.consumers import register_consumer
from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.marketing.models import ConsumerCoupon
from engines.marketing.services import CouponRules, create_coupon
from engines.membership.automation_models import AutomationRun, InboxMessage, Trigger
from engines.membership.automations import create_automation, fire
from engines.membership.ledger import member_of
from engines.membership.models import Member
from engines.membership.tasks import dated_automations, perform_due_runs
from engines.membership.tiers import add_growth, create_tier
from tests.admin_api import staff_token
from tests.engines.membership.test_points import card, placed
from tests.engines.orders.test_orders import as_shop, pay

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def automation(shop, db_session, **values):
    with tenant_scope(shop["tenant"]):
        made = create_automation(**{"name": "Welcome", "trigger": "registration", "points": 50,
                                    "message_title": "Welcome!", "message_body": "Here are 50 points.", **values})
        db_session.commit()
        return made.id


def runs(shop) -> list[tuple[str, str, str]]:
    with tenant_scope(shop["tenant"]):
        return [(run.occasion, str(run.status), run.outcome) for run in db.session.scalars(
            select(AutomationRun).order_by(AutomationRun.created_at, AutomationRun.id))]


def inbox(client, shop) -> dict:
    answer = client.get("/api/v1/me/inbox", headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_new_member_gets_the_welcome_coupon_points_and_message_once(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        gift = create_coupon(CouponRules(name="Welcome ¥5", kind="amount", amount=500, valid_days=7, public=False))
        db_session.commit()
        gift_id = gift.id
    automation(shop, db_session, coupon_id=gift_id)
    newcomer = as_shop(shop, lambda: register_consumer(email="new@example.com", password="password123").id)
    with tenant_scope(shop["tenant"]):
        assert [c.coupon_id for c in db.session.scalars(select(ConsumerCoupon).where(
            ConsumerCoupon.consumer_id == newcomer))] == [gift_id]
        assert member_of(newcomer).points == 50
        assert [m.title for m in db.session.scalars(select(InboxMessage).where(
            InboxMessage.consumer_id == newcomer))] == ["Welcome!"]
        # the same occasion again (a redelivered event): nothing more
        assert fire(Trigger.REGISTRATION, newcomer, "registration") == 0
        db_session.commit()
    assert runs(shop)[-1] == ("registration", "done", "Gave a coupon, 50 points, a message.")


def test_quiet_hours_make_a_run_wait_until_they_end(client, shop, db_session):
    automation(shop, db_session, trigger="first_order", quiet_start=22, quiet_end=8)
    late = dt.datetime(2030, 3, 1, 23, 30, tzinfo=SHANGHAI)
    with tenant_scope(shop["tenant"]):
        assert fire(Trigger.FIRST_ORDER, shop["consumer"].id, "first_order", late) == 1
        db_session.commit()
    assert runs(shop) == [("first_order", "waiting", "")]
    assert perform_due_runs(dt.datetime(2030, 3, 2, 7, 59, tzinfo=SHANGHAI)) == 0
    assert inbox(client, shop)["messages"] == []
    assert perform_due_runs(dt.datetime(2030, 3, 2, 8, 0, tzinfo=SHANGHAI)) == 1
    assert perform_due_runs(dt.datetime(2030, 3, 2, 9, 0, tzinfo=SHANGHAI)) == 0  # once
    told = inbox(client, shop)
    assert [m["title"] for m in told["messages"]] == ["Welcome!"] and told["unread"] == 1
    read = client.post(f"/api/v1/me/inbox/{told['messages'][0]['id']}/read", headers=shop["headers"])
    assert read.status_code == 200 and read.json["message"]["read"] is True
    assert inbox(client, shop)["unread"] == 0


def test_the_frequency_cap_skips_and_says_why(client, shop, db_session):
    automation(shop, db_session, name="Miss you", trigger="dormant", days=30, cap_count=1, cap_days=60)
    now = utcnow()
    with tenant_scope(shop["tenant"]):
        member = member_of(shop["consumer"].id)
        member.last_order_at = now - dt.timedelta(days=31)
        db_session.commit()
    assert dated_automations(now) == 1
    assert dated_automations(now + dt.timedelta(hours=1)) == 0  # the same last order: once
    with tenant_scope(shop["tenant"]):
        db.session.scalars(select(Member)).one().last_order_at = now - dt.timedelta(days=30, hours=1)
        db_session.commit()
    assert dated_automations(now + dt.timedelta(days=2)) == 1
    assert [status for _, status, _ in runs(shop)] == ["done", "skipped"]
    assert runs(shop)[1][2] == "Frequency cap: 1 in the last 60 days."
    assert card(client, shop)["points"]["available"] == 50


def test_the_first_paid_order_fires_once(client, shop, db_session):
    automation(shop, db_session, name="Thanks", trigger="first_order", points=20, message_title="",
               message_body="")
    pay(client, shop, placed(client, shop))
    pay(client, shop, placed(client, shop))
    assert runs(shop) == [("first_order", "done", "Gave 20 points.")]


def test_reaching_a_tier_fires_the_automation_of_that_tier(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        create_tier(name="Silver", threshold=10)
        gold = create_tier(name="Gold", threshold=100)
        db_session.commit()
        gold_id = gold.id
    automation(shop, db_session, name="Gold welcome", trigger="tier_change", tier_id=gold_id, points=100)
    as_shop(shop, lambda: add_growth(shop["consumer"].id, 20, "adjustment"))  # Silver: not this one
    assert runs(shop) == []
    as_shop(shop, lambda: add_growth(shop["consumer"].id, 100, "adjustment"))
    assert [(status, outcome) for _, status, outcome in runs(shop)] == [("done", "Gave 100 points, a message.")]


def test_a_birthday_fires_once_a_year(client, shop, db_session):
    automation(shop, db_session, name="Happy birthday", trigger="birthday", points=88)
    now = dt.datetime(2030, 5, 20, 10, 0, tzinfo=SHANGHAI)
    with tenant_scope(shop["tenant"]):
        member_of(shop["consumer"].id).birthday = dt.date(1990, 5, 20)
        db_session.commit()
    assert dated_automations(now - dt.timedelta(days=1)) == 0
    assert dated_automations(now) == 1 and dated_automations(now + dt.timedelta(hours=3)) == 0
    assert dated_automations(now + dt.timedelta(days=365)) == 1
    assert [occasion for occasion, _, _ in runs(shop)] == ["birthday:2030", "birthday:2031"]


def test_a_paused_automation_skips_what_waited(client, shop, db_session):
    made = automation(shop, db_session, trigger="first_order", quiet_start=0, quiet_end=23)
    with tenant_scope(shop["tenant"]):
        fire(Trigger.FIRST_ORDER, shop["consumer"].id, "first_order", dt.datetime(2030, 1, 1, 10, tzinfo=SHANGHAI))
        from engines.membership.automations import find_automation, update_automation
        update_automation(find_automation(made), status="paused")
        db_session.commit()
    assert perform_due_runs(dt.datetime(2030, 1, 2, tzinfo=SHANGHAI)) == 0
    assert runs(shop) == [("first_order", "skipped", "The automation is paused.")]


API = "/admin/api/v1/automations"


def test_automations_in_the_admin_api(client, db_session, shop):
    owner = staff_token(db_session, shop["tenant"])
    made = client.post(API, json={"name": "Welcome", "trigger": "registration", "points": 10,
                                  "quiet_start": 22, "quiet_end": 8}, headers=owner.headers)
    assert made.status_code == 201, made.json
    found = made.json["automation"]
    assert (found["trigger"], found["points"], found["cap_count"], found["status"]) == ("registration", 10, 1, "active")
    paused = client.patch(f"{API}/{found['id']}", json={"status": "paused"}, headers=owner.headers)
    assert paused.status_code == 200 and paused.json["automation"]["status"] == "paused"
    assert [a["name"] for a in client.get(API, headers=owner.headers).json["automations"]] == ["Welcome"]
    assert client.get(f"{API}/{found['id']}/runs", headers=owner.headers).json["runs"] == []


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "trigger": "dormant", "points": 5}, "days"),
    ({"name": "x", "trigger": "registration"}, "points"),
    ({"name": "x", "trigger": "registration", "points": 5, "quiet_start": 22}, "quiet_start"),
    ({"name": "x", "trigger": "registration", "coupon_id": "999"}, "coupon_id"),
    ({"name": "x", "trigger": "registration", "points": 5, "tier_id": "12"}, "tier_id"),
    ({"name": "x", "trigger": "registration", "points": 5, "cap_count": 0}, "cap_count"),
    ({"name": "x", "trigger": "sometimes", "points": 5}, "trigger"),
    ({"name": "x", "trigger": "registration", "points": 5, "coupon_id": "abc"}, "coupon_id"),
])
def test_a_bad_automation_names_its_field(client, db_session, shop, body, field):
    owner = staff_token(db_session, shop["tenant"])
    answer = client.post(API, json=body, headers=owner.headers)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json


def test_another_consumers_message_cannot_be_read(client, shop, db_session, create_consumer):
    other = create_consumer(shop["tenant"]).id
    with tenant_scope(shop["tenant"]):
        message = InboxMessage(consumer_id=other, title="Private")
        db.session.add(message)
        db_session.commit()
        message_id = message.id
    answer = client.post(f"/api/v1/me/inbox/{message_id}/read", headers=shop["headers"])
    assert answer.status_code == 404

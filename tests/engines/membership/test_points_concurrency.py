"""Points under real concurrent requests against a real server and database: checkouts racing to
spend a whole balance, a sign-in sent from many tabs at once, staff taking points while the member
spends them — the balance never goes below zero and is spent once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.consumers import Consumer, issue_token
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_item, skus_by_item
from engines.membership.ledger import credit
from engines.membership.models import Member, PointsEntry, PointsKind, SignIn
from engines.orders.models import Order
from engines.stores.services import create_store
from tenants.services import create_tenant
from tests.conftest import http_json

pytestmark = pytest.mark.live


def open_shop(app, slug: str, *, points: int) -> dict:
    with app.app_context():
        tenant = create_tenant(slug=slug, name=slug)
        with tenant_scope(tenant):
            item = create_item(kind="physical", name="Tea", price=5000, stock=100, status="on_sale")
            store = create_store(name="Main")
            consumer = Consumer(email="member@example.com")
            db.session.add(consumer)
            db.session.flush()
            credit(consumer.id, points, PointsKind.ADJUSTMENT, note="welcome")
            token = issue_token(consumer)
            sku = skus_by_item([item.id])[item.id][0]
            db.session.commit()
            return {"tenant": tenant, "sku": str(sku.id), "store": str(store.id), "consumer": consumer.id,
                    "headers": {"Authorization": f"Bearer {token}"}}


def ledger_state(app, shop) -> tuple[int, int, int, int]:
    with app.app_context(), tenant_scope(shop["tenant"]):
        member = db.session.scalars(select(Member)).one()
        total, unspent = db.session.execute(select(func.sum(PointsEntry.amount), func.sum(PointsEntry.remaining))).one()
        return member.points, int(total), int(unspent), db.session.scalar(select(func.count()).select_from(Order))


def test_20_checkouts_each_spending_the_whole_balance_one_succeeds(live_server):
    shop = open_shop(live_server.app, "spenders", points=1000)
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "points": 1000,
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{live_server.url}/api/v1/checkout", body,
                                                    shop["headers"]), range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 19, results
    assert {b["error"]["code"] for s, b in results if s == 409} == {"points_insufficient"}
    assert ledger_state(live_server.app, shop) == (0, 0, 0, 1)
    assert [b["order"]["total"]["amount"] for s, b in results if s == 201] == [5000 - 1000]


def test_a_sign_in_sent_from_many_tabs_at_once_counts_once(live_server):
    shop = open_shop(live_server.app, "signers", points=0)
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{live_server.url}/api/v1/me/sign-in", None,
                                                    shop["headers"]), range(12)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 11, results
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(SignIn)) == 1
    assert ledger_state(live_server.app, shop)[:3] == (5, 5, 5)


def test_staff_taking_points_while_the_member_spends_them_never_go_below_zero(live_server):
    from engines.membership.members import adjust_points

    shop = open_shop(live_server.app, "tug", points=600)
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "points": 400,
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}}

    def staff_takes(_):
        with live_server.app.app_context(), tenant_scope(shop["tenant"]):
            try:
                adjust_points(shop["consumer"], -400, "Correction", actor="staff:1")
                db.session.commit()
                return 201, {}
            except Exception as refused:  # noqa: BLE001  the refusal is the point
                db.session.rollback()
                return 409, {"error": {"code": getattr(refused, "code", str(refused))}}

    with ThreadPoolExecutor(max_workers=8) as pool:
        spends = [pool.submit(http_json, "POST", f"{live_server.url}/api/v1/checkout", body, shop["headers"])
                  for _ in range(4)]
        takes = [pool.submit(staff_takes, i) for i in range(4)]
        results = [f.result() for f in spends + takes]
    assert sum(1 for status, _ in results if status == 201) == 1, results
    assert {b["error"]["code"] for s, b in results if s == 409} == {"points_insufficient"}
    points, total, unspent, _orders = ledger_state(live_server.app, shop)
    assert points == total == unspent == 200


def test_two_orders_paid_from_a_balance_that_covers_one_take_it_once(live_server):
    from runtime.services import ensure_app, publish, save_draft
    from engines.membership.wallet import move

    shop = open_shop(live_server.app, "wallets", points=0)
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        draft = dict(ensure_app().draft)
        draft["app"] = {**draft["app"], "settings": {"membership": {"stored_value": True}}}
        save_draft(document=draft, revision=ensure_app().revision)
        publish(note="stored value")
        move(shop["consumer"], 5000, 0, "adjustment")
        db.session.commit()
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    urls = []
    for _ in range(6):
        _, placed = http_json("POST", f"{live_server.url}/api/v1/checkout", body, shop["headers"])
        _, started = http_json("POST", f"{live_server.url}/api/v1/orders/{placed['order']['id']}/payments",
                               {"provider": "balance"}, shop["headers"])
        urls.append(live_server.url + started["next_action"]["url"])
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda url: http_json("POST", url, None, shop["headers"]), urls))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 1 and statuses.count(409) == 5, results
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        member = db.session.scalars(select(Member)).one()
        assert (member.balance, member.bonus) == (0, 0)
        paid = db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "paid"))
        assert paid == 1


def test_redemptions_racing_for_one_balance_and_a_limit_take_the_points_once(live_server):
    """12 redemptions of a points-only item at once by a member whose points cover two and whose
    limit is three: two orders, paid, the points spent exactly; then 8 at once with points for
    all under a limit of one more: one."""
    from engines.membership.redemption import create_offer

    shop = open_shop(live_server.app, "redeemers", points=1000)
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        offer = create_offer(sku_id=int(shop["sku"]), points=500, per_member_limit=3)
        db.session.commit()
    url = f"{live_server.url}/api/v1/points-mall/{offer.id}/redeem"
    body = {"quantity": 1, "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: http_json("POST", url, body, shop["headers"]), range(12)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 2 and statuses.count(409) == 10, results
    assert {b["order"]["status"] for s, b in results if s == 201} == {"paid"}
    assert ledger_state(live_server.app, shop) == (0, 0, 0, 2)

    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        credit(shop["consumer"], 5000, PointsKind.ADJUSTMENT, note="more")
        db.session.commit()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: http_json("POST", url, body, shop["headers"]), range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 7, results
    assert {b["error"]["code"] for s, b in results if s == 409} == {"redemption_limit"}
    assert ledger_state(live_server.app, shop) == (4500, 4500, 4500, 3)


def test_a_task_claimed_from_many_tabs_at_once_pays_once(live_server):
    shop = open_shop(live_server.app, "claimers", points=0)
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        from engines.membership.ledger import member_of

        member_of(shop["consumer"]).birthday = dt.date(1990, 1, 2)  # the profile task is done
        db.session.commit()
    url = f"{live_server.url}/api/v1/me/tasks/profile/claim"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: http_json("POST", url, {}, shop["headers"]), range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 7, results
    assert {b["error"]["code"] for s, b in results if s == 409} == {"task_claimed"}
    points, total, unspent, _orders = ledger_state(live_server.app, shop)
    assert points == total == unspent == 50  # the task's default points, once

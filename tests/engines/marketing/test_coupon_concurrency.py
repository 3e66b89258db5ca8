"""Coupon limits under real concurrent requests against a real server and database: no
over-issue in all or per person, and one copy on one order."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.consumers import Consumer, issue_token
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_item, skus_by_item
from engines.marketing.models import ConsumerCoupon, Coupon
from engines.marketing.services import CouponRules, claim, create_coupon
from engines.orders.models import Order
from engines.stores.services import create_store
from tenants.services import create_tenant
from tests.conftest import http_json

pytestmark = pytest.mark.live


def open_shop(app, slug: str, *, buyers: int, **rules) -> dict:
    with app.app_context():
        tenant = create_tenant(slug=slug, name=slug)
        with tenant_scope(tenant):
            coupon = create_coupon(CouponRules(name="Ten off", kind="amount", amount=1000,
                                               ends_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7), **rules))
            item = create_item(kind="physical", name="Tea", price=5000, stock=100, status="on_sale")
            store = create_store(name="Main")
            consumers = [Consumer(email=f"buyer{i}@example.com") for i in range(buyers)]
            db.session.add_all(consumers)
            db.session.flush()
            tokens = [issue_token(c) for c in consumers]
            sku = skus_by_item([item.id])[item.id][0]
            db.session.commit()
            return {"tenant": tenant, "coupon": str(coupon.id), "sku": str(sku.id), "store": str(store.id),
                    "consumers": [c.id for c in consumers],
                    "headers": [{"Authorization": f"Bearer {t}"} for t in tokens]}


def count(app, shop, statement):
    with app.app_context(), tenant_scope(shop["tenant"]):
        return db.session.scalar(statement)


def test_50_concurrent_claims_of_a_coupon_limited_to_10_give_exactly_10(live_server):
    shop = open_shop(live_server.app, "claims", buyers=50, total_limit=10)
    url = f"{live_server.url}/api/v1/coupons/{shop['coupon']}/claim"
    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(lambda i: http_json("POST", url, None, shop["headers"][i]), range(50)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 10 and statuses.count(409) == 40, statuses
    assert {b["error"]["code"] for s, b in results if s == 409} == {"coupon_sold_out"}
    assert count(live_server.app, shop, select(func.count()).select_from(ConsumerCoupon)) == 10
    assert count(live_server.app, shop, select(Coupon.issued_count)) == 10


def test_30_concurrent_claims_of_a_coupon_limited_to_4_a_day_give_exactly_4(live_server):
    shop = open_shop(live_server.app, "daily", buyers=30, per_day_limit=4)
    url = f"{live_server.url}/api/v1/coupons/{shop['coupon']}/claim"
    with ThreadPoolExecutor(max_workers=15) as pool:
        results = list(pool.map(lambda i: http_json("POST", url, None, shop["headers"][i]), range(30)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 4 and statuses.count(409) == 26, statuses
    assert {b["error"]["code"] for s, b in results if s == 409} == {"coupon_gone_for_today"}
    assert count(live_server.app, shop, select(Coupon.issued_that_day)) == 4


def test_one_person_claiming_at_once_from_many_tabs_gets_their_limit(live_server):
    shop = open_shop(live_server.app, "greedy", buyers=1, per_consumer_limit=2)
    url = f"{live_server.url}/api/v1/coupons/{shop['coupon']}/claim"
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: http_json("POST", url, None, shop["headers"][0]), range(12)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 2 and statuses.count(409) == 10, statuses
    assert count(live_server.app, shop, select(Coupon.issued_count)) == 2


def test_one_copy_goes_on_one_order_however_many_checkouts_race(live_server):
    shop = open_shop(live_server.app, "racing", buyers=1)
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        copy = claim(int(shop["coupon"]), shop["consumers"][0])
        db.session.commit()
        copy_id = str(copy.id)
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "coupon_ids": [copy_id],
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{live_server.url}/api/v1/checkout", body,
                                                    shop["headers"][0]), range(10)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 9, results
    assert {b["error"]["code"] for s, b in results if s == 409} <= {"coupon_taken", "coupon_not_applicable"}
    assert count(live_server.app, shop, select(func.count()).select_from(Order)) == 1
    assert [b["order"]["total"]["amount"] for s, b in results if s == 201] == [5000 - 1000]


@pytest.mark.parametrize("cap", [{"budget": 3000}, {"use_limit": 5}], ids=["budget", "uses"])
def test_a_promotions_budget_is_never_overspent_however_many_checkouts_race(live_server, cap):
    from engines.marketing.models import Promotion
    from engines.marketing.promotions import create_promotion

    shop = open_shop(live_server.app, "budget-uses" if "use_limit" in cap else "budget", buyers=20)
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        now = dt.datetime.now(dt.UTC)
        create_promotion(name="Launch", kind="spend", tiers=[{"threshold": 1000, "amount_off": 600}],
                         starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1), **cap)
        db.session.commit()
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{live_server.url}/api/v1/checkout", body,
                                                    shop["headers"][i]), range(20)))
    discounted = [b for s, b in results if s == 201 and b["order"]["total"]["amount"] == 5000 - 600]
    assert len(discounted) == 5, results  # 5 × 600 = the budget of 3000, or 5 uses, exactly
    assert {b["error"]["code"] for s, b in results if s == 409} <= {"promotion_budget_spent"}
    assert count(live_server.app, shop, select(Promotion.budget_used)) == 3000
    assert count(live_server.app, shop, select(Promotion.uses)) == 5

"""The money path under real concurrent requests against a real server and database: stock
never oversold, one order per Idempotency-Key, a payment applied once, a code used once."""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.consumers import Consumer, issue_token
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.catalog.services import create_item, skus_by_item
from engines.orders.models import Order, OrderStatus
from engines.payments.models import Payment, Refund
from engines.stores.services import create_store
from tenants.services import create_tenant
from tests.conftest import http_json

pytestmark = [pytest.mark.live, pytest.mark.citus]


def open_shop(app, slug: str, *, stock: int, buyers: int) -> dict:
    with app.app_context():
        tenant = create_tenant(slug=slug, name=slug)
        with tenant_scope(tenant):
            item = create_item(kind="physical", name="Limited", price=9900, stock=stock, status="on_sale")
            store = create_store(name="Main")
            consumers = [Consumer(email=f"buyer{i}@example.com") for i in range(buyers)]
            db.session.add_all(consumers)
            db.session.flush()
            tokens = [issue_token(c) for c in consumers]
            sku = skus_by_item([item.id])[item.id][0]
            db.session.commit()
            return {"tenant": tenant, "sku": str(sku.id), "store": str(store.id),
                    "headers": [{"Authorization": f"Bearer {t}"} for t in tokens]}


def count(app, shop, statement):
    with app.app_context(), tenant_scope(shop["tenant"]):
        return db.session.scalar(statement)


def test_200_concurrent_checkouts_on_20_units_make_20_orders(live_server):
    shop = open_shop(live_server.app, "flash", stock=20, buyers=50)
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "fulfillment": {"type": "pickup",
                                                                                 "store_id": shop["store"]}}
    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{live_server.url}/api/v1/checkout", body,
                                                     shop["headers"][i % 50]), range(200)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 20 and statuses.count(409) == 180, statuses
    assert {b["error"]["code"] for s, b in results if s == 409} == {"out_of_stock"}
    assert count(live_server.app, shop, select(func.count()).select_from(Order)) == 20
    assert count(live_server.app, shop, select(Sku.stock).where(Sku.id == int(shop["sku"]))) == 0
    numbers = [b["order"]["number"] for s, b in results if s == 201]
    assert len(set(numbers)) == 20


def test_concurrent_checkouts_that_pay_at_once_make_one_payment_per_order(live_server):
    """POST /checkout/pay, 80 at once on 10 units: 10 orders, each with its one pending payment,
    whose pay pages then pay them all."""
    shop = open_shop(live_server.app, "paynow", stock=10, buyers=40)
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "provider": "sandbox",
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{live_server.url}/api/v1/checkout/pay", body,
                                                     shop["headers"][i % 40]), range(80)))
    created = [b for s, b in results if s == 201]
    assert len(created) == 10 and sorted(s for s, _ in results).count(409) == 70, [s for s, _ in results]
    assert {b["payment"]["order_id"] for b in created} == {b["order"]["id"] for b in created}
    assert count(live_server.app, shop, select(func.count()).select_from(Payment)) == 10
    assert count(live_server.app, shop, select(Sku.stock).where(Sku.id == int(shop["sku"]))) == 0
    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(lambda b: _confirm(b["next_action"]["url"]), created)) == {200}
    assert count(live_server.app, shop, select(func.count()).select_from(Order)
                 .where(Order.status == OrderStatus.PAID)) == 10


def _confirm(url: str) -> int:
    """The sandbox pay page's form post of a successful payment."""
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode({"outcome": "succeeded"}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=60) as answer:
        return answer.status


def test_concurrent_duplicates_of_one_idempotency_key_make_one_order(live_server):
    shop = open_shop(live_server.app, "retry", stock=50, buyers=1)
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "fulfillment": {"type": "pickup",
                                                                                 "store_id": shop["store"]}}
    headers = {**shop["headers"][0], "Idempotency-Key": secrets.token_hex(8)}
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda _: http_json("POST", f"{live_server.url}/api/v1/checkout", body, headers),
                                range(12)))
    # the duplicates wait for the first request and replay its answer
    assert [status for status, _ in results] == [201] * 12, results
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert count(live_server.app, shop, select(func.count()).select_from(Order)) == 1
    assert count(live_server.app, shop, select(Sku.stock).where(Sku.id == int(shop["sku"]))) == 49


def test_concurrent_payments_of_one_order_pay_it_once_and_refund_the_rest(live_server):
    shop = open_shop(live_server.app, "twice", stock=5, buyers=1)
    headers = shop["headers"][0]
    _, placed = http_json("POST", f"{live_server.url}/api/v1/checkout", {
        "lines": [{"sku_id": shop["sku"]}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}, headers)
    order_id = placed["order"]["id"]
    urls = [http_json("POST", f"{live_server.url}/api/v1/orders/{order_id}/payments", {}, headers)[1]
            ["next_action"]["url"] for _ in range(3)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        assert set(pool.map(_confirm, urls * 4)) == {200}  # each payment page posted four times at once
    assert count(live_server.app, shop, select(Order.status).where(Order.id == int(order_id))) == OrderStatus.PAID
    assert count(live_server.app, shop, select(func.count()).select_from(Payment)
                 .where(Payment.status == "succeeded")) == 3
    refunds = count(live_server.app, shop, select(func.count()).select_from(Refund)
                    .where(Refund.reason == "duplicate_payment", Refund.status == "succeeded"))
    assert refunds == 2
    _, detail = http_json("GET", f"{live_server.url}/api/v1/orders/{order_id}", None, headers)
    assert detail["order"]["status"] == "paid"


def _paid_order(app, url, shop, quantity: int = 2) -> tuple[str, str]:
    """A paid order of `quantity` units; answers (order id, its line id)."""
    headers = shop["headers"][0]
    _, placed = http_json("POST", f"{url}/api/v1/checkout/pay", {
        "lines": [{"sku_id": shop["sku"], "quantity": quantity}], "provider": "sandbox",
        "fulfillment": {"type": "pickup", "store_id": shop["store"]}}, headers)
    assert _confirm(placed["next_action"]["url"]) == 200
    return placed["order"]["id"], placed["order"]["lines"][0]["id"]


def test_concurrent_refund_requests_for_the_same_units_make_exactly_one(live_server):
    shop = open_shop(live_server.app, "refunds", stock=5, buyers=1)
    order_id, line_id = _paid_order(live_server.app, live_server.url, shop)
    body = {"kind": "refund", "lines": [{"line_id": line_id, "quantity": 2}]}
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: http_json("POST", f"{live_server.url}/api/v1/orders/{order_id}/after-sales",
                                                     body, shop["headers"][0]), range(10)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * 9, results
    assert {b["error"]["fields"]["lines.0.quantity"][0] for s, b in results if s == 422} == {
        "At most 0 of this line can still be refunded."}
    from engines.orders.models import AfterSale

    assert count(live_server.app, shop, select(func.count()).select_from(AfterSale)) == 1
    assert count(live_server.app, shop, select(func.sum(AfterSale.amount))) == 2 * 9900


def test_concurrent_approvals_refund_once(live_server):
    from engines.orders.after_sales import approve, find_after_sale
    from engines.orders.models import AfterSale, OrderLine

    shop = open_shop(live_server.app, "approvals", stock=5, buyers=1)
    order_id, line_id = _paid_order(live_server.app, live_server.url, shop, quantity=3)
    _, asked = http_json("POST", f"{live_server.url}/api/v1/orders/{order_id}/after-sales",
                         {"kind": "refund", "lines": [{"line_id": line_id, "quantity": 3}]}, shop["headers"][0])

    def approve_once(_):
        with live_server.app.app_context(), tenant_scope(shop["tenant"]):
            try:
                approve(find_after_sale(int(asked["id"])))
                db.session.commit()
                live_server.app.extensions["tessera_jobs"].drain()
                return "approved"
            except Exception as error:  # the second click: 409 illegal_transition
                db.session.rollback()
                return getattr(error, "code", type(error).__name__)

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(approve_once, range(6)))
    assert outcomes == ["approved"] + ["illegal_transition"] * 5
    assert count(live_server.app, shop, select(func.count()).select_from(Refund)) == 1
    assert count(live_server.app, shop, select(Payment.refunded).where(Payment.status == "succeeded")) == 3 * 9900
    assert count(live_server.app, shop, select(OrderLine.refunded_quantity)) == 3
    assert count(live_server.app, shop, select(AfterSale.status)) == "refunded"
    assert count(live_server.app, shop, select(Order.status)) == OrderStatus.CLOSED
    assert count(live_server.app, shop, select(Sku.stock)) == 5

"""An order's life through the API: pay in the sandbox, cancel, timeouts, receipt, verification
codes, after-sales with exact partial refunds, and privacy between consumers and tenants."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import current_app

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.orders.lifecycle import advance, find_order, ship, verify_code
from engines.orders.models import Order, OrderStatus
from engines.orders.tasks import cancel_unpaid, complete_overdue_shipments
from engines.payments.models import Payment, Refund
from tests.engines.orders.conftest import make_shop

pytestmark = pytest.mark.citus  # also on the Citus cluster (tests/conftest.py)


def place(client, shop, lines, fulfillment):
    response = client.post("/api/v1/checkout", json={"lines": lines, "fulfillment": fulfillment},
                           headers=shop["headers"])
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"/api/v1/orders/{response.json['order']['id']}"
    return response.json["order"]


def pay(client, shop, order, outcome="succeeded"):
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"},
                          headers=shop["headers"])
    assert started.status_code == 201, started.json
    assert started.headers["Location"] == f"/api/v1/payments/{started.json['payment']['id']}"
    url = started.json["next_action"]["url"]
    page = client.get(url)
    assert page.status_code == 200 and b"Sandbox payment" in page.data
    settled = client.post(url, data={"outcome": outcome})
    assert settled.status_code == 200
    return started.json["payment"], url


def get_order(client, shop, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=shop["headers"]).json["order"]


def stock_of(shop, key):
    with tenant_scope(shop["tenant"]):
        return db.session.get(Sku, (shop["tenant"].id, int(shop[key]))).stock


def as_shop(shop, func, *args, **kwargs):
    """Do what a clerk's request would: as the shop, commit, then run the jobs it asked for."""
    with tenant_scope(shop["tenant"]):
        result = func(*args, **kwargs)
        db.session.commit()
    current_app.extensions["tessera_jobs"].drain()
    return result


def test_pay_ship_confirm(client, shop):
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "express",
                                                                          "address_id": shop["address"]})
    payment, url = pay(client, shop, order)
    assert payment["status"] == "pending"
    paid = get_order(client, shop, order["id"])
    assert paid["status"] == "awaiting_shipment" and paid["paid_at"]
    # paying again is refused; the sandbox page cannot settle twice
    again = client.post(f"/api/v1/orders/{order['id']}/payments", json={}, headers=shop["headers"])
    assert (again.status_code, again.json["error"]["code"]) == (409, "order_not_payable")
    assert b"Paid." in client.post(url, data={"outcome": "failed"}).data
    as_shop(shop, lambda: ship(find_order(int(order["id"])), carrier="SF", tracking_number="SF123", actor="staff:1"))
    shipped = get_order(client, shop, order["id"])
    assert shipped["status"] == "shipped" and shipped["tracking_number"] == "SF123"
    done = client.post(f"/api/v1/orders/{order['id']}/confirm-receipt", headers=shop["headers"])
    assert done.json["order"]["status"] == "completed"
    with tenant_scope(shop["tenant"]):
        steps = [(t.event, t.from_status, t.to_status, t.actor.split(":")[0]) for t in
                 db.session.query(__import__("engines.orders.models", fromlist=["OrderTransition"]).OrderTransition)
                 .order_by("at", "id")]
    assert steps == [("create", None, "pending_payment", "consumer"), ("pay", "pending_payment", "paid", "provider"),
                     ("await_shipment", "paid", "awaiting_shipment", "system"),
                     ("ship", "awaiting_shipment", "shipped", "staff"), ("confirm_receipt", "shipped", "completed",
                                                                        "consumer")]


def test_a_failed_payment_then_a_successful_one(client, shop):
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order, "failed")
    assert get_order(client, shop, order["id"])["status"] == "pending_payment"
    pay(client, shop, order)
    paid = get_order(client, shop, order["id"])
    assert paid["status"] == "paid" and re.fullmatch(r"\d{12}", paid["verification_code"])


def test_the_sandbox_pay_page_needs_its_own_payments_token(client, shop):
    first = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    second = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    urls = [client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"},
                        headers=shop["headers"]).json["next_action"]["url"] for order in (first, second)]
    path, token = urls[0].split("?token=")
    other_token = urls[1].split("?token=")[1]
    for wrong in (other_token, token[:-2] + "xx", ""):  # another payment's, tampered, none
        assert client.get(f"{path}?token={wrong}").status_code == 404
        assert client.post(f"{path}?token={wrong}", data={"outcome": "succeeded"}).status_code == 404
    assert get_order(client, shop, first["id"])["status"] == "pending_payment"
    assert client.post(urls[0], data={"outcome": "succeeded"}).status_code == 200
    assert get_order(client, shop, first["id"])["status"] == "paid"



@pytest.mark.parametrize("return_to", ["/\r\nSet-Cookie:x", "/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/",
                                       "//evil.example/", "/\\evil.example/", "https://evil.example/", "evil.example"])
def test_the_sandbox_pay_page_returns_only_to_a_path_of_this_site(client, shop, return_to):
    # given a pending payment whose pay page is asked to return somewhere unsafe afterwards
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    url = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"},
                      headers=shop["headers"]).json["next_action"]["url"]
    # when the consumer pays
    settled = client.post(url, data={"outcome": "succeeded", "return_to": return_to})
    # then the payment settles and the page stays, redirecting nowhere
    assert settled.status_code == 200 and "Location" not in settled.headers
    assert get_order(client, shop, order["id"])["status"] == "paid"


def test_the_sandbox_pay_page_returns_to_a_local_path(client, shop):
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    url = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"},
                      headers=shop["headers"]).json["next_action"]["url"]
    back = f"/s/{shop['tenant'].slug}/p/order?id={order['id']}"
    settled = client.post(url, data={"outcome": "succeeded", "return_to": back})
    assert (settled.status_code, settled.headers["Location"]) == (303, back)

def test_cancel_gives_stock_back_and_cannot_be_paid(client, shop):
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 3}], {"type": "pickup", "store_id": shop["store"]})
    assert stock_of(shop, "tea") == 2
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"]).json["order"]
    assert cancelled["status"] == "cancelled" and stock_of(shop, "tea") == 5
    again = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    assert (again.status_code, again.json["error"]["code"]) == (409, "illegal_transition")
    assert stock_of(shop, "tea") == 5
    refused = client.post(f"/api/v1/orders/{order['id']}/payments", json={}, headers=shop["headers"])
    assert refused.status_code == 409


def test_a_late_payment_for_a_cancelled_order_is_refunded(client, shop):
    order = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={}, headers=shop["headers"]).json
    later = utcnow() + dt.timedelta(minutes=31)
    with client.application.app_context():
        assert cancel_unpaid(later) == 1
    assert get_order(client, shop, order["id"])["status"] == "cancelled" and stock_of(shop, "tea") == 5
    settled = client.post(started["next_action"]["url"], data={"outcome": "succeeded"})
    assert b"being refunded" in settled.data
    with tenant_scope(shop["tenant"]):
        payment = db.session.get(Payment, (shop["tenant"].id, int(started["payment"]["id"])))
        refund = db.session.query(Refund).one()
        assert (payment.status.value, refund.reason, refund.status, refund.amount, payment.refunded) == (
            "succeeded", "late_payment", "succeeded", 1250, 1250)
    assert get_order(client, shop, order["id"])["status"] == "cancelled"


def test_the_timeout_sweep_cancels_only_overdue_unpaid_orders(client, shop):
    unpaid = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    paid = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, paid)
    with client.application.app_context():
        assert cancel_unpaid(utcnow() + dt.timedelta(minutes=29)) == 0
        assert cancel_unpaid(utcnow() + dt.timedelta(minutes=31)) == 1
        assert cancel_unpaid(utcnow() + dt.timedelta(minutes=31)) == 0
    assert get_order(client, shop, unpaid["id"])["status"] == "cancelled"
    assert get_order(client, shop, paid["id"])["status"] == "paid"
    assert stock_of(shop, "tea") == 4


def test_shipped_orders_complete_after_the_configured_days(client, shop):
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "express", "address_id": shop["address"]})
    pay(client, shop, order)
    as_shop(shop, lambda: ship(find_order(int(order["id"])), carrier="SF", tracking_number="1", actor="staff:1"))
    with client.application.app_context():
        assert complete_overdue_shipments(utcnow() + dt.timedelta(days=9)) == 0
        assert complete_overdue_shipments(utcnow() + dt.timedelta(days=11)) == 1
    assert get_order(client, shop, order["id"])["status"] == "completed"


def test_a_verification_code_works_once_and_only_when_paid(client, shop):
    order = place(client, shop, [{"sku_id": shop["noodles"]}], {"type": "dine_in", "table": shop["table"]})
    with tenant_scope(shop["tenant"]):
        code = db.session.get(Order, (shop["tenant"].id, int(order["id"]))).verification_code
    with pytest.raises(Exception, match="not been paid"):
        as_shop(shop, verify_code, code, actor="staff:1")
    pay(client, shop, order)
    as_shop(shop, lambda: advance(find_order(int(order["id"])), "start_preparation", actor="staff:1"))
    assert as_shop(shop, verify_code, code, actor="staff:1").status == OrderStatus.COMPLETED
    with pytest.raises(Exception, match="already been used"):
        as_shop(shop, verify_code, code, actor="staff:1")


def test_partial_refunds_are_exact_and_give_stock_back(client, shop):
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 3}, {"sku_id": shop["cake"]}],
                  {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    tea_line = next(line["id"] for line in order["lines"] if line["name"] == "Tea")
    too_many = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                           json={"kind": "refund", "lines": [{"line_id": tea_line, "quantity": 4}]})
    assert too_many.status_code == 422
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": tea_line, "quantity": 2}], "reason": "Too much"})
    assert asked.status_code == 201 and asked.json["amount"]["amount"] == 2500 and asked.json["status"] == "requested"
    from engines.orders.after_sales import approve, find_after_sale

    as_shop(shop, lambda: approve(find_after_sale(int(asked.json["id"]))))
    refunded = get_order(client, shop, order["id"])
    assert refunded["after_sales"][0]["status"] == "refunded" and refunded["refunded"]["amount"] == 2500
    assert refunded["status"] == "paid" and stock_of(shop, "tea") == 4
    rest = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": tea_line, "quantity": 1},
                                    {"line_id": next(line["id"] for line in order["lines"] if line["name"] == "Cake"),
                                     "quantity": 1}]})
    as_shop(shop, lambda: approve(find_after_sale(int(rest.json["id"]))))
    closed = get_order(client, shop, order["id"])
    assert closed["status"] == "closed" and closed["refunded"]["amount"] == closed["total"]["amount"] == 4550


def test_return_and_refund_waits_for_the_goods(client, shop):
    from engines.orders.after_sales import approve, confirm_returned, find_after_sale

    order = place(client, shop, [{"sku_id": shop["cake"], "quantity": 2}], {"type": "express",
                                                                            "address_id": shop["address"]})
    pay(client, shop, order)
    as_shop(shop, lambda: ship(find_order(int(order["id"])), carrier="SF", tracking_number="1", actor="staff:1"))
    line = order["lines"][0]["id"]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "return_refund", "lines": [{"line_id": line, "quantity": 1}]}).json
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    assert stock_of(shop, "cake") == 8
    sent = client.post(f"/api/v1/after-sales/{asked['id']}/return", headers=shop["headers"],
                       json={"carrier": "YTO", "tracking_number": "YT1"})
    assert sent.json["status"] == "return_shipped"
    as_shop(shop, lambda: confirm_returned(find_after_sale(int(asked["id"]))))
    assert stock_of(shop, "cake") == 9
    assert get_order(client, shop, order["id"])["refunded"]["amount"] == 800


def test_one_consumer_cannot_see_or_touch_anothers_orders(client, shop, create_consumer, tenant_b, db_session):
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    other = make_shop(shop["tenant"], create_consumer)
    elsewhere = make_shop(tenant_b, create_consumer)
    db_session.commit()
    for stranger in (other, elsewhere):
        for method, path in (("get", ""), ("post", "/cancel"), ("post", "/payments")):
            answer = getattr(client, method)(f"/api/v1/orders/{order['id']}{path}", json={} if method == "post"
                                             else None, headers=stranger["headers"])
            assert answer.status_code == 404, (path, answer.json)
        assert client.get("/api/v1/orders", headers=stranger["headers"]).json["orders"] == []
    assert [o["id"] for o in client.get("/api/v1/orders", headers=shop["headers"]).json["orders"]] == [order["id"]]
    assert get_order(client, shop, order["id"])["status"] == "pending_payment"


def test_a_refund_the_provider_could_not_take_is_retried_by_the_sweep(client, shop, monkeypatch):
    from engines.payments import providers
    from engines.payments.tasks import retry_refunds

    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    line = order["lines"][0]["id"]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": line, "quantity": 1}]}).json
    from engines.orders.after_sales import approve, find_after_sale

    def down(payment, refund):
        raise ConnectionError("the provider is down")

    monkeypatch.setattr(providers.SandboxProvider, "refund", staticmethod(down))
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))  # the provider is down: left unanswered
    with tenant_scope(shop["tenant"]):
        assert (db.session.query(Refund).one().status, db.session.query(Refund).one().attempts) == ("sending", 1)
    monkeypatch.undo()
    with client.application.app_context():
        assert retry_refunds(utcnow() + dt.timedelta(minutes=4)) == 0  # not stale yet
        assert retry_refunds(utcnow() + dt.timedelta(minutes=6)) == 1
    assert get_order(client, shop, order["id"])["status"] == "closed"


def test_a_refused_after_sales_move_says_where_the_request_stands(client, shop):
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}]}).json
    refused = client.post(f"/api/v1/after-sales/{asked['id']}/return", headers=shop["headers"],
                          json={"carrier": "YTO", "tracking_number": "YT1"})
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "illegal_transition")
    assert refused.json["error"]["message"] == "This request is waiting for the shop."

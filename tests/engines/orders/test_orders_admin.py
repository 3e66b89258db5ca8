"""The orders back office: list and filters, detail with timeline, shipping, after-sales, the
packing slip and the clerk's verification page."""

from __future__ import annotations

import pytest

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.orders.models import Order
from tests.engines.orders.test_orders import get_order, pay, place


@pytest.fixture
def enter(client, create_staff, sign_in, shop):
    def as_role(role):
        person = create_staff(shop["tenant"], role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")

    return as_role


def api_client(app):
    """A second client for the consumer's API calls, so the merchant's session stays apart."""
    from tests.conftest import FreshGClient

    app.test_client_class = FreshGClient
    return app.test_client()


def test_a_manager_finds_ships_and_sees_the_timeline(client, shop, enter, form_post):
    consumer = api_client(client.application)
    express = place(consumer, shop, [{"sku_id": shop["tea"]}], {"type": "express", "address_id": shop["address"]})
    pickup = place(consumer, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(consumer, shop, express)
    enter("manager")
    listed = client.get("/merchant/orders/").get_data(as_text=True)
    assert express["number"] in listed and pickup["number"] in listed
    only_express = client.get("/merchant/orders/?fulfillment=express").get_data(as_text=True)
    assert express["number"] in only_express and pickup["number"] not in only_express
    by_phone = client.get("/merchant/orders/?q=13800138000").get_data(as_text=True)
    assert express["number"] in by_phone and pickup["number"] not in by_phone
    unpaid = client.get("/merchant/orders/?status=pending_payment").get_data(as_text=True)
    assert pickup["number"] in unpaid and express["number"] not in unpaid
    detail_url = f"/merchant/orders/{express['id']}"
    missing = form_post(f"{detail_url}/ship", {"carrier": "SF"}, page=detail_url, follow_redirects=True)
    assert "tracking number" in missing.get_data(as_text=True)
    shipped = form_post(f"{detail_url}/ship", {"carrier": "SF", "tracking_number": "SF1001"}, page=detail_url,
                        follow_redirects=True).get_data(as_text=True)
    assert "Shipped." in shipped and "SF1001" in shipped
    assert get_order(consumer, shop, express["id"])["status"] == "shipped"
    assert shipped.count('class="list-group-item small"') == 4  # created, paid, to ship, shipped
    slip = client.get(f"{detail_url}/packing-slip").get_data(as_text=True)
    assert "2 Nanjing Rd" in slip and "Tea" in slip
    with tenant_scope(shop["tenant"]):
        assert db.session.query(AuditEntry).filter_by(action="order.ship").count() == 1


def test_clerks_verify_codes_but_cannot_see_orders(client, shop, enter, form_post):
    consumer = api_client(client.application)
    order = place(consumer, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    with tenant_scope(shop["tenant"]):
        code = db.session.get(Order, (shop["tenant"].id, int(order["id"]))).verification_code
    enter("clerk")
    assert client.get("/merchant/orders/").status_code == 403
    unpaid = client.get(f"/merchant/orders/verify?code={code}").get_data(as_text=True)
    assert "has not been paid" in unpaid
    pay(consumer, shop, order)
    preview = client.get(f"/merchant/orders/verify?code={code[:4]} {code[4:]}").get_data(as_text=True)
    assert order["number"] in preview and "Confirm" in preview
    done = form_post("/merchant/orders/verify", {"code": code}, page=f"/merchant/orders/verify?code={code}",
                     follow_redirects=True).get_data(as_text=True)
    assert "is complete" in done
    assert get_order(consumer, shop, order["id"])["status"] == "completed"
    again = form_post("/merchant/orders/verify", {"code": code}, page="/merchant/orders/verify").get_data(as_text=True)
    assert "already been used" in again
    assert "does not belong" in client.get("/merchant/orders/verify?code=123456789012").get_data(as_text=True)


def test_a_manager_approves_and_rejects_after_sales(client, shop, enter, form_post):
    consumer = api_client(client.application)
    order = place(consumer, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup",
                                                                             "store_id": shop["store"]})
    pay(consumer, shop, order)
    line = order["lines"][0]["id"]
    asked = consumer.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                          json={"kind": "refund", "lines": [{"line_id": line, "quantity": 1}]}).json
    enter("manager")
    detail_url = f"/merchant/orders/{order['id']}"
    no_reason = form_post(f"/merchant/orders/after-sales/{asked['id']}/reject", {"note": ""}, page=detail_url,
                          follow_redirects=True).get_data(as_text=True)
    assert "Tell the buyer why" in no_reason
    form_post(f"/merchant/orders/after-sales/{asked['id']}/approve", {"note": ""}, page=detail_url)
    refunded = get_order(consumer, shop, order["id"])
    assert refunded["after_sales"][0]["status"] == "refunded" and refunded["refunded"]["amount"] == 1250


def test_a_manager_cancels_an_unpaid_order_and_its_stock_comes_back(client, shop, enter, form_post):
    consumer = api_client(client.application)
    order = place(consumer, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup",
                                                                             "store_id": shop["store"]})
    enter("manager")
    detail_url = f"/merchant/orders/{order['id']}"
    done = form_post(f"{detail_url}/cancel", {"reason": "Buyer phoned"}, page=detail_url,
                     follow_redirects=True).get_data(as_text=True)
    assert "stock is back" in done and "Buyer phoned" in done
    assert get_order(consumer, shop, order["id"])["status"] == "cancelled"
    again = form_post(f"{detail_url}/cancel", {}, page=detail_url, follow_redirects=True).get_data(as_text=True)
    assert "cannot cancel" in again
    with tenant_scope(shop["tenant"]):
        from engines.catalog.models import Sku

        assert db.session.get(Sku, (shop["tenant"].id, int(shop["tea"]))).stock == 5

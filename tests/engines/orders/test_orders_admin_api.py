"""Orders and after-sales in the Admin API: list and read orders, ship, mark ready, cancel, approve
and reject after-sales — through the orders engine's state machine, with a staff token carrying
orders.manage; refused without it, blind to other shops, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.orders.models import AfterSale, Order, OrderStatus, OrderTransition
from tests.admin_api import staff_token
from tests.engines.orders.conftest import make_shop
from tests.engines.orders.test_orders import get_order, pay, place

API = "/admin/api/v1"


@pytest.fixture
def manager(db_session, shop):
    return staff_token(db_session, shop["tenant"], role="manager", permissions=["orders.manage"],
                       email="max@staff.example.com")


def _order_row(tenant, order_id) -> Order:
    with tenant_scope(tenant):
        return db.session.scalar(select(Order).where(Order.id == int(order_id))
                                 .execution_options(populate_existing=True))


def _after_sale_row(tenant, after_sale_id) -> AfterSale:
    with tenant_scope(tenant):
        return db.session.scalar(select(AfterSale).where(AfterSale.id == int(after_sale_id))
                                 .execution_options(populate_existing=True))


def _stock(shop, key) -> int:
    with tenant_scope(shop["tenant"]):
        return db.session.scalar(select(Sku.stock).where(Sku.id == int(shop[key])))


def _ask_refund(client, shop, order, quantity=1):
    response = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": order["lines"][0]["id"], "quantity": quantity}]})
    assert response.status_code == 201, response.json
    return response.json


def test_orders_are_listed_by_status_a_page_at_a_time_and_read(client, shop, manager):
    # given an unpaid pickup order and a paid express one
    consumer_id = str(shop["consumer"].id)
    unpaid = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    express = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "express", "address_id": shop["address"]})
    pay(client, shop, express)
    # when staff list them one at a time, and by status
    first = client.get(f"{API}/orders?limit=1", headers=manager.headers).json
    second = client.get(f"{API}/orders?limit=1&cursor={first['next_cursor']}", headers=manager.headers).json
    waiting = client.get(f"{API}/orders?status=awaiting_shipment,shipped", headers=manager.headers).json
    # then every order comes, newest first, and the filter keeps its statuses
    assert [o["id"] for o in first["orders"] + second["orders"]] == [express["id"], unpaid["id"]]
    assert second["next_cursor"] is None
    assert [o["id"] for o in waiting["orders"]] == [express["id"]]
    # and an order reads as staff see it: the buyer, what staff can do, not the buyer's code
    read = client.get(f"{API}/orders/{express['id']}", headers=manager.headers).json["order"]
    assert (read["status"], read["consumer_id"], read["contact_phone"], read["actions"]) == (
        "awaiting_shipment", consumer_id, "13800138000", ["ship"])
    assert "verification_code" not in read and "verification_qr_token" not in read
    assert [line["name"] for line in read["lines"]] == ["Tea"] and read["after_sales"] == []
    assert first["orders"][0]["actions"] == ["ship"] and second["orders"][0]["actions"] == ["cancel"]
    bad = client.get(f"{API}/orders?status=lost", headers=manager.headers)
    assert (bad.status_code, bad.json["error"]["fields"]) == (422, {"status": ["There is no status lost."]})


def test_an_order_is_shipped_through_the_state_machine(client, shop, manager):
    # given a paid express order
    order = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "express", "address_id": shop["address"]})
    pay(client, shop, order)
    # when the warehouse ships it without a tracking number, then with one
    missing = client.post(f"{API}/orders/{order['id']}/ship", headers=manager.headers, json={"carrier": "SF"})
    shipped = client.post(f"{API}/orders/{order['id']}/ship", headers=manager.headers,
                          json={"carrier": "SF", "tracking_number": "SF1001"})
    # then the first is refused and the second ships it, as the buyer sees
    assert (missing.status_code, missing.json["error"]["code"]) == (422, "invalid_input")
    assert shipped.status_code == 200, shipped.json
    assert (shipped.json["order"]["status"], shipped.json["order"]["tracking_number"]) == ("shipped", "SF1001")
    assert (get_order(client, shop, order["id"])["status"], _order_row(shop["tenant"], order["id"]).carrier) == (
        "shipped", "SF")
    # and the move is recorded as the staff member's, and audited as the person with the token
    with tenant_scope(shop["tenant"]):
        moves = [(t.event, t.actor) for t in db.session.scalars(
            select(OrderTransition).where(OrderTransition.order_id == int(order["id"])).order_by(OrderTransition.at,
                                                                                               OrderTransition.id))]
    assert moves[-1] == ("ship", f"staff:{manager.member_id}")
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.ship")).all()
    assert [(a.tenant_id, a.actor_id, a.actor_email, a.target, a.details) for a in audit] == [
        (shop["tenant"].id, manager.identity.id, "max@staff.example.com", f"order {order['number']}",
         {"carrier": "SF", "tracking_number": "SF1001", "api_token": str(manager.token_id)})]
    # and shipping again is a conflict that changes nothing
    again = client.post(f"{API}/orders/{order['id']}/ship", headers=manager.headers,
                        json={"carrier": "YTO", "tracking_number": "YT1"})
    assert (again.status_code, again.json["error"]["code"]) == (409, "illegal_transition")
    assert _order_row(shop["tenant"], order["id"]).tracking_number == "SF1001"


def test_a_pickup_order_is_marked_ready(client, shop, manager):
    # given a paid pickup order and an unpaid one
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    unpaid = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    # when the counter marks both ready
    ready = client.post(f"{API}/orders/{order['id']}/mark-ready", headers=manager.headers)
    refused = client.post(f"{API}/orders/{unpaid['id']}/mark-ready", headers=manager.headers)
    # then the paid one is ready and the unpaid one is unchanged
    assert (ready.status_code, ready.json["order"]["status"]) == (200, "ready_for_pickup")
    assert get_order(client, shop, order["id"])["status"] == "ready_for_pickup"
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "illegal_transition")
    assert _order_row(shop["tenant"], unpaid["id"]).status == OrderStatus.PENDING_PAYMENT


def test_an_unpaid_order_is_cancelled_and_its_stock_comes_back(client, shop, manager):
    # given an unpaid order of two teas, and a paid one
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup", "store_id": shop["store"]})
    paid = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, paid)
    assert _stock(shop, "tea") == 3
    # when staff cancel both
    cancelled = client.post(f"{API}/orders/{order['id']}/cancel", headers=manager.headers,
                            json={"reason": "Buyer phoned"})
    refused = client.post(f"{API}/orders/{paid['id']}/cancel", headers=manager.headers, json={})
    # then the unpaid one is cancelled with its stock back; the paid one is untouched
    assert (cancelled.status_code, cancelled.json["order"]["status"], cancelled.json["order"]["actions"]) == (
        200, "cancelled", [])
    assert _stock(shop, "tea") == 5
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "illegal_transition")
    assert _order_row(shop["tenant"], paid["id"]).status == OrderStatus.PAID
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(OrderTransition.note).where(OrderTransition.order_id == int(order["id"]),
                                                                    OrderTransition.event == "cancel")) == "Buyer phoned"


def test_after_sales_are_approved_and_rejected(client, shop, manager):
    # given a paid order of two teas and two refund requests, one unit each
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    first = _ask_refund(client, shop, order)
    # when staff reject it without a reason, then with one
    no_reason = client.post(f"{API}/after-sales/{first['id']}/reject", headers=manager.headers, json={})
    rejected = client.post(f"{API}/after-sales/{first['id']}/reject", headers=manager.headers,
                           json={"note": "Already eaten"})
    # then the first is refused and changes nothing, the second rejects it
    assert (no_reason.status_code, no_reason.json["error"]["fields"]) == (422, {"note": ["Tell the buyer why."]})
    assert rejected.status_code == 200, rejected.json
    assert (rejected.json["after_sale"]["status"], rejected.json["after_sale"]["merchant_note"],
            rejected.json["after_sale"]["order_id"]) == ("rejected", "Already eaten", order["id"])
    # when another request is approved
    second = _ask_refund(client, shop, order)
    approved = client.post(f"{API}/after-sales/{second['id']}/approve", headers=manager.headers, json={"note": "Sorry"})
    # then it goes to the refund, which the payments engine carries out as for the back office
    assert (approved.status_code, approved.json["after_sale"]["status"]) == (200, "refunding")
    seen = get_order(client, shop, order["id"])
    assert [(a["id"], a["status"]) for a in seen["after_sales"]] == [(first["id"], "rejected"), (second["id"], "refunded")]
    assert seen["refunded"]["amount"] == 1250
    # and approving a rejected request is a conflict
    late = client.post(f"{API}/after-sales/{first['id']}/approve", headers=manager.headers, json={})
    assert (late.status_code, late.json["error"]["code"]) == (409, "illegal_transition")
    assert _after_sale_row(shop["tenant"], first["id"]).status.value == "rejected"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == shop["tenant"].id,
                                                                 AuditEntry.action.like("after_sale.%"))
                                 .order_by(AuditEntry.at)).all()
    assert actions == ["after_sale.reject", "after_sale.approve"]


def test_without_orders_manage_every_orders_route_is_forbidden(client, db_session, shop):
    # given a paid express order with a refund request, and a token carrying only catalog.manage
    order = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "express", "address_id": shop["address"]})
    pay(client, shop, order)
    asked = _ask_refund(client, shop, order)
    made = staff_token(db_session, shop["tenant"], role="manager", permissions=["catalog.manage"])
    # when it calls each orders route
    for method, path, body in [("GET", "/orders", None), ("GET", f"/orders/{order['id']}", None),
                               ("POST", f"/orders/{order['id']}/ship", {"carrier": "SF", "tracking_number": "1"}),
                               ("POST", f"/orders/{order['id']}/mark-ready", None),
                               ("POST", f"/orders/{order['id']}/cancel", {}),
                               ("POST", f"/after-sales/{asked['id']}/approve", {}),
                               ("POST", f"/after-sales/{asked['id']}/reject", {"note": "No"})]:
        response = client.open(API + path, method=method, json=body, headers=made.headers)
        # then each is 403 forbidden
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    # and nothing changed
    assert _order_row(shop["tenant"], order["id"]).status == OrderStatus.AWAITING_SHIPMENT
    assert _after_sale_row(shop["tenant"], asked["id"]).status.value == "requested"


def test_another_shops_orders_and_after_sales_are_not_found(client, db_session, shop, manager, tenant_b,
                                                            create_consumer):
    # given shop B's paid order with a refund request
    theirs = make_shop(tenant_b, create_consumer)
    db_session.commit()
    order = place(client, theirs, [{"sku_id": theirs["tea"]}], {"type": "express", "address_id": theirs["address"]})
    pay(client, theirs, order)
    asked = _ask_refund(client, theirs, order)
    # when shop A's token names them
    for method, path, body in [("GET", f"/orders/{order['id']}", None),
                               ("POST", f"/orders/{order['id']}/ship", {"carrier": "SF", "tracking_number": "1"}),
                               ("POST", f"/orders/{order['id']}/mark-ready", None),
                               ("POST", f"/orders/{order['id']}/cancel", {}),
                               ("POST", f"/after-sales/{asked['id']}/approve", {}),
                               ("POST", f"/after-sales/{asked['id']}/reject", {"note": "No"})]:
        response = client.open(API + path, method=method, json=body, headers=manager.headers)
        # then they do not exist
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found"), path
    # and none is listed, and nothing of B's changed
    assert client.get(f"{API}/orders", headers=manager.headers).json == {"orders": [], "next_cursor": None}
    assert _order_row(tenant_b, order["id"]).status == OrderStatus.AWAITING_SHIPMENT
    assert _after_sale_row(tenant_b, asked["id"]).status.value == "requested"


def test_bad_bodies_are_refused_and_change_nothing(client, shop, manager):
    # given a paid express order
    order = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "express", "address_id": shop["address"]})
    pay(client, shop, order)
    for body, status, code in [({"carrier": 1}, 422, "invalid_input"), ({"tracking_number": "x" * 41}, 422, "invalid_input"),
                               ({"carrier": "SF", "tracking_number": "1", "extra": 1}, 422, "invalid_input"),
                               ("SF1001", 400, "bad_request")]:
        # when a bad body is sent
        response = client.post(f"{API}/orders/{order['id']}/ship", headers=manager.headers, json=body)
        # then it is refused with the error envelope
        assert (response.status_code, response.json["error"]["code"]) == (status, code), body
    # and the order is still waiting
    assert _order_row(shop["tenant"], order["id"]).status == OrderStatus.AWAITING_SHIPMENT


def test_the_orders_list_costs_the_same_queries_however_many_orders_it_shows(client, shop, manager, count_queries):
    # given one order (and the token's use already recorded)
    place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    client.get(f"{API}/orders", headers=manager.headers)
    with count_queries() as few:
        assert len(client.get(f"{API}/orders", headers=manager.headers).json["orders"]) == 1
    # when there are four, of two lines each
    for _ in range(3):
        place(client, shop, [{"sku_id": shop["cake"]}, {"sku_id": shop["tea"]}], {"type": "pickup",
                                                                                 "store_id": shop["store"]})
    with count_queries() as many:
        assert len(client.get(f"{API}/orders", headers=manager.headers).json["orders"]) == 4
    # then the list costs the same: the token, the orders, their lines
    assert len(many) == len(few) == 3

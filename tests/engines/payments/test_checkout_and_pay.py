"""POST /api/v1/checkout/pay: the order placed and its payment started in one call (the H5
checkout) — the same order and payment as the two separate calls make, nothing written when it is
refused, one order and one payment per Idempotency-Key."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.tenancy import tenant_scope
from engines.orders.models import Order, OrderTransition
from engines.payments.models import Payment
from tests.engines.orders.test_orders import get_order, place, stock_of

PAY = "/api/v1/checkout/pay"


def body(shop, sku="tea", quantity=1, **extra) -> dict:
    return {"lines": [{"sku_id": shop[sku], "quantity": quantity}],
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}, **extra}


def written(shop) -> tuple[int, int, int]:
    """The shop's orders, payments and order transitions."""
    with tenant_scope(shop["tenant"]):
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Order, Payment, OrderTransition))


def test_one_call_places_the_order_and_starts_its_payment(client, shop):
    answer = client.post(PAY, json=body(shop, quantity=2, note="ring twice", provider="sandbox"),
                         headers=shop["headers"])
    assert answer.status_code == 201, answer.json
    order, payment, action = answer.json["order"], answer.json["payment"], answer.json["next_action"]
    assert answer.headers["Location"] == f"/api/v1/orders/{order['id']}"
    # the order as POST /checkout answers one, the payment as POST /orders/<id>/payments does
    separate = place(client, shop, body(shop)["lines"], body(shop)["fulfillment"])
    assert order.keys() == separate.keys()
    assert (order["status"], order["note"], order["total"]["amount"]) == ("pending_payment", "ring twice", 2500)
    assert [(line["name"], line["quantity"]) for line in order["lines"]] == [("Tea", 2)]
    assert (payment["order_id"], payment["status"], payment["provider"]) == (order["id"], "pending", "sandbox")
    assert payment["amount"] == order["total"]
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=shop["headers"]).json == payment
    assert stock_of(shop, "tea") == 5 - 2 - 1
    # the pay page settles it like any payment's
    assert action["type"] == "redirect"
    assert client.post(action["url"], data={"outcome": "succeeded"}).status_code == 200
    paid = get_order(client, shop, order["id"])
    assert paid["status"] == "paid" and paid["paid_at"]
    with tenant_scope(shop["tenant"]):
        steps = db.session.scalars(select(OrderTransition.event).where(OrderTransition.order_id == int(order["id"]))
                                   .order_by(OrderTransition.at, OrderTransition.id)).all()
    assert steps == ["create", "pay"]


def test_without_lines_the_cart_is_ordered_and_emptied(client, shop):
    client.post("/api/v1/cart/lines", json={"sku_id": shop["cake"], "quantity": 2}, headers=shop["headers"])
    answer = client.post(PAY, json={"fulfillment": {"type": "pickup", "store_id": shop["store"]}},
                         headers=shop["headers"])
    assert answer.status_code == 201, answer.json
    assert [(line["name"], line["quantity"]) for line in answer.json["order"]["lines"]] == [("Cake", 2)]
    assert answer.json["payment"]["amount"]["amount"] == 1600
    assert client.get("/api/v1/cart", headers=shop["headers"]).json["lines"] == []


@pytest.mark.parametrize("change, status, code", [
    ({"quantity": 9}, 409, "out_of_stock"),
    ({"provider": "cash"}, 422, "unknown_provider"),
    ({"note": "x" * 201}, 422, "invalid_input"),
])
def test_a_refused_call_writes_nothing(client, shop, change, status, code):
    refused = client.post(PAY, json=body(shop, **change), headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (status, code)
    assert written(shop) == (0, 0, 0)
    assert stock_of(shop, "tea") == 5


def test_an_idempotency_key_makes_one_order_and_one_payment(client, shop):
    headers = {**shop["headers"], "Idempotency-Key": "pay-1"}
    first = client.post(PAY, json=body(shop), headers=headers)
    replay = client.post(PAY, json=body(shop), headers=headers)
    assert first.status_code == replay.status_code == 201 and first.json == replay.json
    other = client.post(PAY, json=body(shop, note="another"), headers=headers)
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert written(shop) == (1, 1, 1)
    assert stock_of(shop, "tea") == 4


def test_signing_in_is_needed(client, shop):
    answer = client.post(PAY, json=body(shop), headers={"X-Tenant": shop["tenant"].slug})
    assert (answer.status_code, answer.json["error"]["code"]) == (401, "unauthenticated")
    assert written(shop) == (0, 0, 0)

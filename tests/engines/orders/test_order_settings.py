"""The orders engine's flow settings take effect once published: the time to pay, the days to
confirm receipt, the after-sales window, the ways to receive an order, the pickup number."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.orders.lifecycle import find_order, ship
from engines.orders.models import Order
from runtime.services import ensure_app, publish, save_draft
from tests.engines.orders.test_orders import as_shop, get_order, pay, place


def _publish(shop, db_session, **orders):
    with tenant_scope(shop["tenant"]):
        draft = dict(ensure_app().draft)
        draft["app"] = {**draft["app"], "settings": {"orders": orders}}
        save_draft(document=draft, revision=ensure_app().revision)
        publish(note="orders settings")
        db_session.commit()


def _minutes_to_pay(order: dict) -> float:
    created, pay_by = (dt.datetime.fromisoformat(order[key]) for key in ("created_at", "pay_by"))
    return (pay_by - created).total_seconds() / 60


def test_the_time_to_pay_is_the_published_one(client, shop, db_session):
    before = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    _publish(shop, db_session, pay_minutes=45)
    after = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    assert (round(_minutes_to_pay(before)), round(_minutes_to_pay(after))) == (30, 45)
    options = client.get("/api/v1/checkout/options", headers=shop["headers"]).json
    assert options["pay_minutes"] == 45


def test_a_way_to_receive_the_shop_turned_off_is_refused(client, shop, db_session):
    _publish(shop, db_session, pickup=False, dine_in=False)
    options = client.get("/api/v1/checkout/options", headers={"X-Tenant": shop["tenant"].slug}).json
    assert options["fulfillment"] == ["express", "same_city"]
    refused = client.post("/api/v1/checkout", headers=shop["headers"], json={
        "lines": [{"sku_id": shop["cake"]}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}})
    assert (refused.status_code, refused.json["error"]["fields"]) == (
        422, {"fulfillment.type": ["This shop does not offer this way to receive an order."]})
    assert place(client, shop, [{"sku_id": shop["cake"]}], {"type": "express", "address_id": shop["address"]})


def test_receipt_is_confirmed_after_the_published_days(client, shop, db_session):
    _publish(shop, db_session, complete_days=2)
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "express", "address_id": shop["address"]})
    pay(client, shop, order)
    shipped = as_shop(shop, lambda: ship(find_order(int(order["id"])), carrier="SF", tracking_number="1",
                                         actor="staff:1"))
    assert round((shipped.complete_by - shipped.shipped_at).total_seconds() / 86400) == 2


def test_after_sales_close_the_published_days_after_completion(client, shop, db_session):
    _publish(shop, db_session, after_sales_days=3)
    order = place(client, shop, [{"sku_id": shop["massage"]}], {"type": "none"})
    pay(client, shop, order)
    line = order["lines"][0]["id"]
    with tenant_scope(shop["tenant"]):  # completed four days ago
        db.session.execute(update(Order).where(Order.id == int(order["id"])).values(
            status="completed", completed_at=utcnow() - dt.timedelta(days=4)).execution_options(synchronize_session=False))
        db_session.commit()
    closed = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                         json={"kind": "refund", "lines": [{"line_id": line, "quantity": 1}]})
    assert (closed.status_code, closed.json["error"]["code"]) == (409, "after_sales_closed")
    assert closed.json["error"]["message"] == "After-sales requests close 3 days after an order is completed."
    assert get_order(client, shop, order["id"])["after_sales"] == []


def test_the_pickup_number_has_the_published_form(client, shop, db_session):
    _publish(shop, db_session, pickup_prefix="A", pickup_digits=3)
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    assert get_order(client, shop, order["id"])["pickup_number"] == "A" + order["number"][-3:]

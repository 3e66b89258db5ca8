"""The hooks of price steps that hold something (a coupon, points, a campaign's budget): reserve in
the checkout's transaction, commit when paid, release when cancelled or timed out, release by line
when units are refunded — each called once, at its moment, with the step's adjustments."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.orders import pricing
from engines.orders.after_sales import approve, find_after_sale
from engines.orders.models import Order, OrderAdjustment
from engines.orders.pricing import POSITIONS
from engines.orders.tasks import cancel_unpaid
from tests.engines.orders.test_orders import as_shop, get_order, pay, place, stock_of


class HeldCoupon:
    """A coupon as the marketing engine will bring one: 5.00 off the tea, funded by the merchant,
    held at checkout. It writes down every hook call: (hook, order id, [(adjustment id, its
    shares)], extra)."""

    def __init__(self):
        self.calls = []
        self.refuse = False

    def apply(self, quote, context):
        tea = [line for line in quote.lines if line.name == "Tea"]
        if tea:
            quote.discount("coupon", "Tea coupon", 500, tea, source=("coupon", 7), code="TEA5")

    def _call(self, hook, order, adjustments, extra=None):
        self.calls.append((hook, order.id, [(a.id, a.allocations) for a in adjustments], extra))

    def reserve(self, order, adjustments, context):
        if self.refuse:
            raise APIError("invalid_input", fields={"coupons": ["This coupon was used already."]})
        self._call("reserve", order, adjustments, (context.consumer_id, context.coupons))

    def commit(self, order, adjustments):
        self._call("commit", order, adjustments)

    def release(self, order, adjustments):
        self._call("release", order, adjustments)

    def release_lines(self, order, adjustments, line_quantities):
        self._call("release_lines", order, adjustments, line_quantities)


@pytest.fixture
def coupon(monkeypatch):
    monkeypatch.setattr(pricing, "_STEPS", [entry for entry in pricing._STEPS if entry.name in ("items", "shipping")])
    step = HeldCoupon()
    pricing.register_price_step("coupon", POSITIONS["coupon"], step)
    return step


def order_of_tea_and_cake(client, shop):
    return place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"]}],
                 {"type": "pickup", "store_id": shop["store"]})


def held(order, *, shares: bool = True):
    """What the coupon's hooks are given for an order of tea and cake: its adjustment, 5.00 off
    the tea line (commit and release get it without its shares of the lines)."""
    tea = next(line["id"] for line in order["lines"] if line["name"] == "Tea")
    return [(int(order["adjustments"][0]["id"]), {int(tea): -500} if shares else {})]


def test_checkout_reserves_once_with_the_placed_adjustments_and_the_context(client, shop, coupon):
    order = order_of_tea_and_cake(client, shop)
    assert coupon.calls == [("reserve", int(order["id"]), held(order), (shop["consumer"].id, ()))]
    assert order["total"]["amount"] == 2500 + 800 - 500


def test_an_order_the_step_holds_nothing_for_calls_no_hook(client, shop, coupon):
    order = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    other = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    client.post(f"/api/v1/orders/{other['id']}/cancel", headers=shop["headers"])
    assert order["adjustments"] == [] and coupon.calls == []


def test_a_step_refusing_its_reservation_refuses_the_order_and_nothing_is_left(client, shop, coupon):
    coupon.refuse = True
    refused = client.post("/api/v1/checkout", headers=shop["headers"], json={
        "lines": [{"sku_id": shop["tea"]}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}})
    assert (refused.status_code, refused.json["error"]["fields"]) == (
        422, {"coupons": ["This coupon was used already."]})
    db.session.rollback()  # as the end of the refused request does (the test shares its session)
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.count()).select_from(OrderAdjustment)) == 0
    assert stock_of(shop, "tea") == 5 and coupon.calls == []


def test_paying_commits_once(client, shop, coupon):
    order = order_of_tea_and_cake(client, shop)
    payment, url = pay(client, shop, order)
    assert client.post(url, data={"outcome": "succeeded"}).status_code == 200  # the page again: settled already
    assert [call[0] for call in coupon.calls] == ["reserve", "commit"]
    assert coupon.calls[1] == ("commit", int(order["id"]), held(order, shares=False), None)


def test_cancelling_releases_once(client, shop, coupon):
    order = order_of_tea_and_cake(client, shop)
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    again = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    assert (cancelled.status_code, again.status_code) == (200, 409)
    assert coupon.calls[1:] == [("release", int(order["id"]), held(order, shares=False), None)]


def test_the_payment_deadline_sweep_releases_once_and_a_late_payment_commits_nothing(client, shop, coupon):
    order = order_of_tea_and_cake(client, shop)
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={}, headers=shop["headers"]).json
    later = utcnow() + dt.timedelta(minutes=31)  # the default time to pay is 30 minutes
    with client.application.app_context():
        assert cancel_unpaid(later) == 1
        assert cancel_unpaid(later) == 0
    late = client.post(started["next_action"]["url"], data={"outcome": "succeeded"})
    assert b"being refunded" in late.data
    assert get_order(client, shop, order["id"])["status"] == "cancelled"
    assert coupon.calls[1:] == [("release", int(order["id"]), held(order, shares=False), None)]


def test_a_partial_refund_releases_the_refunded_units_of_the_lines_it_touches(client, shop, coupon):
    order = order_of_tea_and_cake(client, shop)
    pay(client, shop, order)
    tea, cake = (next(line["id"] for line in order["lines"] if line["name"] == name) for name in ("Tea", "Cake"))
    # given a refund of the cake: the coupon is not on that line
    cake_refund = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": cake, "quantity": 1}]}).json
    as_shop(shop, lambda: approve(find_after_sale(int(cake_refund["id"]))))
    assert [call[0] for call in coupon.calls] == ["reserve", "commit"]
    # when one of the two teas is refunded
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": tea, "quantity": 1}]}).json
    assert asked["amount"]["amount"] == (2500 - 500) // 2
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    # then the coupon releases that unit, once, when the refund went through
    assert coupon.calls[2:] == [("release_lines", int(order["id"]), held(order), {int(tea): 1})]
    assert get_order(client, shop, order["id"])["refunded"]["amount"] == 800 + 1000


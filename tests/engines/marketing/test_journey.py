"""A consumer's whole journey with a coupon and a budgeted promotion, through the consumer API:
claim → the coupon suggested at checkout → an order holding the copy and reserving the budget →
paid (the copy used, counted on the coupon) → part refunded (the copy stays used; the promotion's
budget gets back exactly the refunded units' share of its discount) → the rest refunded; and the
ways the copy and the budget come back: a refund in full when the shop says so, an unpaid order
cancelled by the buyer or by its payment deadline. Then, on PostgreSQL, refunds racing checkouts
keep a budget's spend equal to the discounts of the orders still holding it."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import current_app
from sqlalchemy import func, select

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.marketing.models import ConsumerCoupon, Coupon, Promotion
from engines.orders.after_sales import approve, find_after_sale
from engines.orders.pricing import adjustments_of
from tests.engines.marketing.test_coupons import body, claimed, coupon
from tests.engines.marketing.test_promotions import promotion
from tests.engines.orders.test_orders import as_shop, get_order, pay

SPEND_PROMOTION = {"tiers": [{"threshold": 2000, "amount_off": 600}], "budget": 10_000}


def _fresh(shop, model, row_id: str):
    with tenant_scope(shop["tenant"]):
        return db.session.get(model, (shop["tenant"].id, int(row_id)), populate_existing=True)


def _copy_state(shop, copy_id: str) -> tuple[str, str | None]:
    copy = _fresh(shop, ConsumerCoupon, copy_id)
    return copy.status.value, str(copy.order_id) if copy.order_id else None


def _wallet(client, shop, status: str) -> list[str]:
    answer = client.get(f"/api/v1/me/coupons?status={status}", headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return [held["id"] for held in answer.json["coupons"]]


def _allocations(shop, order_id: str, step: str) -> dict[str, int]:
    """The order's adjustment of a step: its shares of the lines, by line id (negative)."""
    with tenant_scope(shop["tenant"]):
        found = adjustments_of(int(order_id), step_names=[step])
    assert len(found) == 1, found
    return {str(line_id): amount for line_id, amount in found[0].allocations.items()}


def _refund(client, shop, order: dict, *units: tuple[str, int]) -> dict:
    """The buyer asks for a refund of (line id, units); the shop approves; the sandbox refunds."""
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": line, "quantity": n} for line, n in units], "reason": "Too many"})
    assert asked.status_code == 201, asked.json
    as_shop(shop, lambda: approve(find_after_sale(int(asked.json["id"]))))
    done = next(a for a in get_order(client, shop, order["id"])["after_sales"] if a["id"] == asked.json["id"])
    assert done["status"] == "refunded", done
    return done


def _set_marketing(shop, db_session, **settings) -> None:
    from runtime.services import ensure_app, publish, save_draft

    with tenant_scope(shop["tenant"]):
        draft = dict(ensure_app().draft)
        draft["app"] = {**draft["app"], "settings": {"marketing": settings}}
        save_draft(document=draft, revision=ensure_app().revision)
        publish(note="marketing settings")
        db_session.commit()


def _placed_and_paid(client, shop, db_session):
    """A coupon (5.00 off 20.00) claimed and a budgeted promotion (6.00 off 20.00); 2 tea (12.50)
    and 1 cake (8.00) ordered with the copy, and paid."""
    made = coupon(shop, db_session, name="Five off", amount=500, minimum=2000)
    budgeted = promotion(shop, db_session, name="Six off", **SPEND_PROMOTION)
    copy = claimed(client, shop, made)
    placed = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    pay(client, shop, order)
    return made, budgeted, copy, get_order(client, shop, order["id"])


def _line(order: dict, name: str) -> dict:
    return next(line for line in order["lines"] if line["name"] == name)


def test_claim_checkout_with_the_best_coupon_pay_then_a_partial_refund_keeps_the_coupon_used(
        client, shop, db_session):
    # given a coupon in the claim centre and a promotion with a budget
    made = coupon(shop, db_session, name="Five off", amount=500, minimum=2000)
    budgeted = promotion(shop, db_session, name="Six off", **SPEND_PROMOTION)
    centre = client.get("/api/v1/coupons", headers={"X-Tenant": shop["tenant"].slug}).json["coupons"]
    assert [c["id"] for c in centre] == [made]

    # when the consumer claims it, it is in their wallet, and checkout suggests it as the best
    copy = claimed(client, shop, made)
    assert _wallet(client, shop, "available") == [copy]
    offers = client.post("/api/v1/checkout/coupons", json=body(shop), headers=shop["headers"])
    assert offers.status_code == 200 and offers.json["best"] == copy
    assert offers.json["coupons"][0]["discount"]["amount"] == 500

    # the quote takes the promotion, then the coupon, off 2 × 12.50 + 8.00
    quoted = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"]).json
    assert [(s["step"], s["amount"]["amount"]) for s in quoted["pricing"] if s["amount"]["amount"] < 0] == [
        ("order_promotions", -600), ("coupon", -500)]
    assert quoted["total"]["amount"] == 3300 - 600 - 500

    # the order holds the copy and reserves the promotion's discount from its budget
    placed = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    assert order["total"]["amount"] == 2200
    assert _copy_state(shop, copy) == ("held", order["id"])
    assert _wallet(client, shop, "available") == [] and _wallet(client, shop, "used") == [copy]
    assert _fresh(shop, Promotion, budgeted).budget_used == 600
    assert _fresh(shop, Coupon, made).used_count == 0

    # paid: the copy is used, counted once on the coupon; the budget keeps the discount
    pay(client, shop, order)
    assert _copy_state(shop, copy) == ("used", order["id"])
    assert _fresh(shop, Coupon, made).used_count == 1
    assert _fresh(shop, Promotion, budgeted).budget_used == 600

    # one of the two teas refunded: exactly that unit's paid share, the coupon stays used
    order = get_order(client, shop, order["id"])
    tea = _line(order, "Tea")
    assert (tea["quantity"], tea["paid"]["amount"]) == (2, 1666)  # 25.00 − 4.55 promotion − 3.79 coupon
    refund = _refund(client, shop, order, (tea["id"], 1))
    assert refund["amount"]["amount"] == 1666 // 2
    after = get_order(client, shop, order["id"])
    assert after["refunded"]["amount"] == 833 and after["status"] == "paid"
    assert _copy_state(shop, copy) == ("used", order["id"])
    assert _fresh(shop, Coupon, made).used_count == 1
    # the budget gets back that unit's share of the promotion's 4.55 on the teas: 2.27 (floored)
    assert _allocations(shop, order["id"], "order_promotions")[tea["id"]] == -455
    assert _fresh(shop, Promotion, budgeted).budget_used == 600 - 227
    # a used copy cannot go on another order
    again = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"])
    assert (again.status_code, again.json["error"]["code"]) == (409, "coupon_not_applicable")


def test_a_refund_gives_the_budget_back_exactly_the_refunded_units_share(client, shop, db_session):
    made, budgeted, copy, order = _placed_and_paid(client, shop, db_session)
    tea, cake = _line(order, "Tea"), _line(order, "Cake")
    shares = _allocations(shop, order["id"], "order_promotions")
    assert shares == {tea["id"]: -455, cake["id"]: -145}  # 6.00 over 25.00 and 8.00, by largest remainder
    # one tea of two: 455 × 1 / 2, floored, goes back to the budget
    _refund(client, shop, order, (tea["id"], 1))
    assert _fresh(shop, Promotion, budgeted).budget_used == 600 - 227
    # the other tea: the rest of the line's share, so the two give back all 455
    _refund(client, shop, order, (tea["id"], 1))
    assert _fresh(shop, Promotion, budgeted).budget_used == 600 - 455
    # the cake: nothing is left of the discount in the budget; the coupon stays used all along
    _refund(client, shop, order, (cake["id"], 1))
    assert _fresh(shop, Promotion, budgeted).budget_used == 0
    assert _copy_state(shop, copy) == ("used", order["id"]) and _fresh(shop, Coupon, made).used_count == 1


def test_refunded_in_full_unit_by_unit_gives_the_coupon_back_only_at_the_last_unit_when_the_shop_says_so(
        client, shop, db_session):
    _set_marketing(shop, db_session, coupon_back_on_refund=True)
    made, _budgeted, copy, order = _placed_and_paid(client, shop, db_session)
    tea, cake = _line(order, "Tea"), _line(order, "Cake")
    _refund(client, shop, order, (tea["id"], 2))
    assert _copy_state(shop, copy) == ("used", order["id"])  # the cake is still bought with it
    _refund(client, shop, order, (cake["id"], 1))
    closed = get_order(client, shop, order["id"])
    assert closed["status"] == "closed" and closed["refunded"]["amount"] == closed["total"]["amount"] == 2200
    assert _copy_state(shop, copy) == ("available", None)
    assert _fresh(shop, Coupon, made).used_count == 0
    assert _wallet(client, shop, "available") == [copy] and _wallet(client, shop, "used") == []
    # and it can be used again
    reused = client.post("/api/v1/checkout/quote", json=body(shop, copy), headers=shop["headers"])
    assert reused.status_code == 200 and ("coupon", -500) in [
        (s["step"], s["amount"]["amount"]) for s in reused.json["pricing"]]


def test_refunded_in_full_keeps_the_coupon_used_by_default(client, shop, db_session):
    made, _budgeted, copy, order = _placed_and_paid(client, shop, db_session)
    _refund(client, shop, order, *[(line["id"], line["quantity"]) for line in order["lines"]])
    assert get_order(client, shop, order["id"])["status"] == "closed"
    assert _copy_state(shop, copy) == ("used", order["id"]) and _fresh(shop, Coupon, made).used_count == 1


def _cancel_by_buyer(client, shop, order: dict) -> None:
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop["headers"])
    assert cancelled.status_code == 200, cancelled.json


def _cancel_at_deadline(client, shop, order: dict) -> None:
    from engines.orders.tasks import cancel_unpaid

    assert cancel_unpaid(utcnow() + dt.timedelta(days=1)) == 1


@pytest.mark.parametrize("cancel", [_cancel_by_buyer, _cancel_at_deadline], ids=["buyer", "deadline"])
def test_an_unpaid_order_cancelled_gives_the_copy_and_the_budget_back(client, shop, db_session, cancel):
    made = coupon(shop, db_session, amount=500, minimum=2000)
    budgeted = promotion(shop, db_session, **SPEND_PROMOTION)
    copy = claimed(client, shop, made)
    order = client.post("/api/v1/checkout", json=body(shop, copy), headers=shop["headers"]).json["order"]
    assert _copy_state(shop, copy) == ("held", order["id"]) and _fresh(shop, Promotion, budgeted).budget_used == 600
    cancel(client, shop, order)
    assert get_order(client, shop, order["id"])["status"] == "cancelled"
    assert _copy_state(shop, copy) == ("available", None)
    assert _fresh(shop, Promotion, budgeted).budget_used == 0
    assert _fresh(shop, Coupon, made).used_count == 0
    assert _wallet(client, shop, "available") == [copy]
    # a late payment for the cancelled order cannot use the copy again
    late = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"}, headers=shop["headers"])
    assert late.status_code == 409 and _copy_state(shop, copy) == ("available", None)


def test_another_shops_coupon_cannot_be_claimed_nor_its_copy_used(client, shop, db_session, tenant_b,
                                                                  create_consumer):
    from tests.engines.orders.conftest import make_shop

    theirs = make_shop(tenant_b, create_consumer)
    db_session.commit()
    their_coupon = coupon(theirs, db_session, amount=500)
    their_copy = claimed(client, theirs, their_coupon)
    refused = client.post(f"/api/v1/coupons/{their_coupon}/claim", headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (404, "coupon_not_found")
    stolen = client.post("/api/v1/checkout", json=body(shop, their_copy), headers=shop["headers"])
    assert (stolen.status_code, stolen.json["error"]["code"]) == (409, "coupon_not_applicable")
    assert _copy_state(theirs, their_copy) == ("available", None)
    assert _fresh(theirs, Coupon, their_coupon).issued_count == 1


@pytest.mark.parametrize("coupon_ids", [["not-an-id"], ["1", "2"], [{"id": 1}], "x" * 10_000, [str(2**70)]])
def test_a_checkout_naming_coupons_wrongly_is_422_and_holds_nothing(client, shop, db_session, coupon_ids):
    made = coupon(shop, db_session, amount=500)
    copy = claimed(client, shop, made)
    answer = client.post("/api/v1/checkout", json={**body(shop), "coupon_ids": coupon_ids}, headers=shop["headers"])
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "invalid_input" and answer.json["error"]["fields"]
    assert _copy_state(shop, copy) == ("available", None)
    with tenant_scope(shop["tenant"]):
        from engines.orders.models import Order
        assert db.session.scalars(select(Order)).all() == []


# -- PostgreSQL: refunds racing checkouts ------------------------------------------------------

def _paid_in_the_sandbox(url: str, answer: dict, headers: dict) -> None:
    """The buyer pays an order on the sandbox's pay page, over HTTP."""
    import urllib.parse
    import urllib.request

    from tests.conftest import http_json

    status, started = http_json("POST", f"{url}/api/v1/orders/{answer['order']['id']}/payments",
                                {"provider": "sandbox"}, headers)
    assert status == 201, started
    page = urllib.parse.urljoin(url, started["next_action"]["url"])
    with urllib.request.urlopen(page, data=urllib.parse.urlencode({"outcome": "succeeded"}).encode(),
                                timeout=60) as settled:
        assert settled.status == 200


def _refund_asked(app, shop, answers: list) -> list[int]:
    """A refund of each paid order asked for, by its buyer."""
    from engines.orders.after_sales import request_after_sale
    from engines.orders.lifecycle import find_order

    asked = []
    with app.app_context(), tenant_scope(shop["tenant"]):
        for answer, consumer_id in zip(answers, shop["consumers"]):
            order = find_order(int(answer["order"]["id"]))
            assert order.status.value == "paid"
            asked.append(request_after_sale(order, consumer_id=consumer_id, kind="refund", lines=[
                {"line_id": answer["order"]["lines"][0]["id"], "quantity": 1}]).id)
        db.session.commit()
    return asked


def _approved_and_refunded(app, shop, after_sale_id: int) -> str:
    """A clerk approves; the sandbox refund runs after the commit, as after a request."""
    with app.app_context(), tenant_scope(shop["tenant"]):
        approve(find_after_sale(after_sale_id))
        db.session.commit()
        current_app.extensions["tessera_jobs"].drain()
        return find_after_sale(after_sale_id).status.value


@pytest.mark.live
def test_refunds_racing_checkouts_keep_the_budget_equal_to_the_discounts_still_held(live_server, backend):
    """5 paid orders spent a budget of 5 discounts; they are refunded in full while 15 other
    buyers check out: the budget's spend ends exactly the discounts of the orders holding it,
    never over the budget, and a checkout refused says promotion_budget_spent."""
    if backend != "postgresql":
        pytest.skip("true concurrency is PostgreSQL's")
    from engines.marketing.promotions import create_promotion
    from engines.orders.models import Order, OrderStatus
    from tests.conftest import http_json
    from tests.engines.marketing.test_coupon_concurrency import count, open_shop

    app = live_server.app
    shop = open_shop(app, "refund-race", buyers=20)
    with app.app_context(), tenant_scope(shop["tenant"]):
        now = dt.datetime.now(dt.UTC)
        create_promotion(name="Launch", kind="spend", tiers=[{"threshold": 1000, "amount_off": 600}],
                         starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1), budget=3000)
        db.session.commit()
    lines = {"lines": [{"sku_id": shop["sku"], "quantity": 1}],
             "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    checkout = f"{live_server.url}/api/v1/checkout"
    first = [http_json("POST", checkout, lines, shop["headers"][i]) for i in range(5)]
    assert [(s, b["order"]["total"]["amount"]) for s, b in first] == [(201, 5000 - 600)] * 5, first
    assert count(app, shop, select(Promotion.budget_used)) == 3000
    for (_, answer), headers in zip(first, shop["headers"]):
        _paid_in_the_sandbox(live_server.url, answer, headers)
    asked = _refund_asked(app, shop, [answer for _, answer in first])

    with ThreadPoolExecutor(max_workers=20) as pool:
        refunds = [pool.submit(_approved_and_refunded, app, shop, after_sale_id) for after_sale_id in asked]
        buys = list(pool.map(lambda i: http_json("POST", checkout, lines, shop["headers"][i]), range(5, 20)))
        assert [done.result() for done in refunds] == ["refunded"] * 5
    assert {b["error"]["code"] for s, b in buys if s == 409} <= {"promotion_budget_spent"}, buys
    assert all(s in (201, 409) for s, _ in buys), buys
    closed = count(app, shop, select(func.count()).select_from(Order).where(Order.status == OrderStatus.CLOSED))
    held = count(app, shop, select(func.coalesce(func.sum(Order.discount_total), 0))
                 .where(Order.status == OrderStatus.PENDING_PAYMENT))
    assert closed == 5
    assert count(app, shop, select(Promotion.budget_used)) == held <= 3000

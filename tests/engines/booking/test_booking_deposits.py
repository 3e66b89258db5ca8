"""Deposits: a room (or a service) the shop lets be paid partly online. The quote says what paying
by the deposit takes now and leaves for the day; the order keeps its balance due; the stay checks
out only once the balance is recorded as paid at the shop (a counter payment); a cancellation
keeps what the rules keep out of the deposit and waives the balance; a refund after the balance
was paid comes back from both payments; and the balance is recorded once however many clerks
record it at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.db import db
from core.tenancy import tenant_scope
from engines.booking.models import BookableResource, Booking, BookingStatus, Shape
from engines.orders.models import Order
from engines.payments.models import Payment, PaymentStatus, Refund
from tests.admin_api import staff_token
from tests.engines.booking.conftest import at, days_ahead
from tests.engines.booking.test_booking import _next, book, bookings
from tests.engines.orders.test_orders import as_shop, get_order, pay

RULES = [{"hours_before": 72, "refund_percent": 100}, {"hours_before": 24, "refund_percent": 80},
         {"hours_before": 0, "refund_percent": 50}]


@pytest.fixture
def deposit_shop(db_session, booking_shop):
    """The booking shop's rooms taking a 30% deposit, with refunds of 100% until three days before,
    80% until a day before, then 50%."""
    from engines.booking.availability import find_resource
    from engines.booking.resources import update_resource

    with tenant_scope(booking_shop["tenant"]):
        update_resource(find_resource(booking_shop["rooms"]), deposit_percent=30, cancellation=RULES)
        db.session.commit()
    return booking_shop


def two_weekday_nights() -> dict:
    monday = _next(0)
    return {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=2)).isoformat()}


def stay_paid_by_deposit(client, shop) -> dict:
    placed = book(client, shop, shop["room"], two_weekday_nights(), deposit=True)
    assert placed.status_code == 201, placed.json
    pay(client, shop, placed.json["order"])
    return placed.json["order"]


def payments_of(shop, order_id) -> list[tuple[str, int, int]]:
    with tenant_scope(shop["tenant"]):
        return [(p.provider, p.amount, p.refunded) for p in db.session.scalars(
            select(Payment).where(Payment.order_id == int(order_id), Payment.status == PaymentStatus.SUCCEEDED)
            .order_by(Payment.settled_at).execution_options(populate_existing=True))]


def starting_soon(shop, order_id) -> int:
    """The order's booking moved to start in an hour (the day's steps are about the clock)."""
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    with tenant_scope(shop["tenant"]):
        booking_id = db.session.scalar(select(Booking.id).where(Booking.order_id == int(order_id)))
        db.session.execute(update(Booking).where(Booking.id == booking_id)
                           .values(starts_at=soon, ends_at=soon + dt.timedelta(days=2)))
        db.session.commit()
    return booking_id


def test_the_quote_offers_the_deposit_and_paying_it_leaves_the_balance_for_the_day(client, deposit_shop):
    lines = [{"sku_id": deposit_shop["room"], "quantity": 1, "booking": two_weekday_nights()}]
    quoted = client.post("/api/v1/checkout/quote", headers=deposit_shop["headers"],
                         json={"lines": lines, "fulfillment": {"type": "none"}})
    assert quoted.status_code == 200, quoted.json
    assert quoted.json["total"]["amount"] == 80000
    assert (quoted.json["deposit"]["now"]["amount"], quoted.json["deposit"]["later"]["amount"]) == (24000, 56000)
    in_full = book(client, deposit_shop, deposit_shop["room"], two_weekday_nights())
    assert in_full.json["order"]["balance_due"]["amount"] == 0
    order = stay_paid_by_deposit(client, deposit_shop)
    seen = get_order(client, deposit_shop, order["id"])
    assert (seen["status"], seen["total"]["amount"], seen["balance_due"]["amount"]) == ("paid", 80000, 56000)
    assert payments_of(deposit_shop, order["id"]) == [("sandbox", 24000, 0)]
    assert bookings(deposit_shop["tenant"])[-1].status == BookingStatus.CONFIRMED


def test_a_deposit_is_refused_where_nothing_may_be_paid_so(client, deposit_shop):
    refused = book(client, deposit_shop, deposit_shop["cleaning"], {"start": at(days_ahead(7), "14:00")},
                   deposit=True)
    assert refused.status_code == 422 and "deposit" in refused.json["error"]["fields"]
    assert not bookings(deposit_shop["tenant"])
    odd = book(client, deposit_shop, deposit_shop["room"], two_weekday_nights(), deposit="half")
    assert odd.status_code == 422


def test_the_stay_checks_out_once_the_balance_is_paid_at_the_desk(client, db_session, deposit_shop):
    manager = staff_token(db_session, deposit_shop["tenant"], role="manager", permissions=["booking.manage"])
    order = stay_paid_by_deposit(client, deposit_shop)
    steps = f"/admin/api/v1/booking/bookings/{starting_soon(deposit_shop, order['id'])}/steps"
    assert client.post(steps, headers=manager.headers, json={"step": "arrive"}).status_code == 200
    owed = client.post(steps, headers=manager.headers, json={"step": "complete"})
    assert (owed.status_code, owed.json["error"]["code"]) == (409, "balance_due")
    assert owed.json["error"]["balance_due"]["amount"] == 56000
    done = client.post(steps, headers=manager.headers, json={"step": "complete", "balance_paid": True})
    assert done.status_code == 200, done.json
    seen = get_order(client, deposit_shop, order["id"])
    assert (seen["status"], seen["balance_due"]["amount"]) == ("completed", 0)
    assert payments_of(deposit_shop, order["id"]) == [("sandbox", 24000, 0), ("counter", 56000, 0)]

    # a refund of the whole stay now comes back from both payments: the deposit online, the rest at the shop
    line = seen["lines"][0]["id"]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=deposit_shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": line, "quantity": 1}]})
    assert asked.status_code == 201 and asked.json["amount"]["amount"] == 80000
    from engines.orders.after_sales import approve, find_after_sale
    as_shop(deposit_shop, lambda: approve(find_after_sale(int(asked.json["id"]))))
    assert payments_of(deposit_shop, order["id"]) == [("sandbox", 24000, 24000), ("counter", 56000, 56000)]
    seen = get_order(client, deposit_shop, order["id"])
    assert (seen["status"], seen["refunded"]["amount"]) == ("closed", 80000)
    assert seen["after_sales"][0]["status"] == "refunded"
    with tenant_scope(deposit_shop["tenant"]):
        flagged = db.session.get(Order, (deposit_shop["tenant"].id, int(order["id"]))).attention
        parts = sorted((r.part, r.amount, r.status.value) for r in db.session.scalars(select(Refund)))
    assert "Hand back ¥560.00 at the shop" in flagged
    assert parts == [(0, 24000, "succeeded"), (1, 56000, "succeeded")]


@pytest.mark.parametrize(("hours_before", "refunded"), [
    (100, 24000),  # 100%: the whole deposit
    (30, 8000),    # 80%: the shop keeps 16,000 of the 24,000 deposit
    (3, 0),        # 50%: the shop would keep 40,000, more than the deposit: nothing comes back
])
def test_a_cancellation_keeps_its_fee_out_of_the_deposit_and_waives_the_balance(client, deposit_shop, hours_before,
                                                                                 refunded):
    from engines.booking.bookings import cancel_booking, find_booking

    order = stay_paid_by_deposit(client, deposit_shop)
    [stay] = bookings(deposit_shop["tenant"])
    as_shop(deposit_shop, lambda: cancel_booking(find_booking(stay.id), consumer_id=deposit_shop["consumer"].id,
                                                 now=stay.starts_at - dt.timedelta(hours=hours_before)))
    seen = get_order(client, deposit_shop, order["id"])
    assert (seen["refunded"]["amount"], seen["balance_due"]["amount"], seen["status"]) == (refunded, 0, "closed")
    assert seen["after_sales"][0]["status"] == "refunded"
    assert payments_of(deposit_shop, order["id"]) == [("sandbox", 24000, refunded)]
    assert bookings(deposit_shop["tenant"])[0].status == BookingStatus.CANCELLED


def test_a_code_is_not_used_while_the_balance_is_due(client, deposit_shop):
    from engines.booking.availability import find_resource
    from engines.booking.resources import update_resource
    from engines.orders.lifecycle import verify_code

    with tenant_scope(deposit_shop["tenant"]):
        update_resource(find_resource(deposit_shop["service"]), deposit_percent=50)
        db.session.commit()
    placed = book(client, deposit_shop, deposit_shop["cleaning"], {"start": at(days_ahead(7), "14:00")}, deposit=True)
    assert placed.status_code == 201 and placed.json["order"]["balance_due"]["amount"] == 15000
    pay(client, deposit_shop, placed.json["order"])
    with tenant_scope(deposit_shop["tenant"]):
        code = db.session.get(Order, (deposit_shop["tenant"].id, int(placed.json["order"]["id"]))).verification_code
    from core.errors import APIError
    with pytest.raises(APIError) as refused:
        as_shop(deposit_shop, verify_code, code, actor="staff:1")
    assert refused.value.code == "balance_due"


def test_the_back_office_booking_shows_the_balance_and_records_it_with_the_step(client, enter, form_post,
                                                                              deposit_shop):
    from tests.engines.booking.test_booking_admin import PAGES

    order = stay_paid_by_deposit(client, deposit_shop)
    booking_id = starting_soon(deposit_shop, order["id"])
    enter("manager")
    path = f"{PAGES}/bookings/{booking_id}"
    page = client.get(path).get_data(as_text=True)
    assert "To pay at the shop" in page and "¥560.00" in page and "data-balance-paid" in page
    assert order["number"] in page
    form_post(f"{path}/arrive", {}, page=path, content_type="multipart/form-data")
    refused = form_post(f"{path}/complete", {}, page=path, content_type="multipart/form-data")
    assert "balance" in client.get(refused.headers["Location"]).get_data(as_text=True)
    form_post(f"{path}/complete", {"balance_paid": "y"}, page=path, content_type="multipart/form-data")
    assert get_order(client, deposit_shop, order["id"])["status"] == "completed"
    assert "To pay at the shop" not in client.get(path).get_data(as_text=True)


@pytest.mark.live
@pytest.mark.citus
def test_the_balance_is_recorded_once_and_a_cancellation_meets_it_consistently(live_server):
    """Eight clerks record one stay's balance at once: one payment. Then, an hour before another
    stay, four clerks check the guest in with the balance paid while the guest cancels from four
    tabs: either the balance was paid first (the cancellation's refund comes from both payments)
    or the cancellation waived it first (nothing is recorded, the guest is not checked in) —
    never both, never twice."""
    from concurrent.futures import ThreadPoolExecutor

    from engines.booking.resources import update_resource
    from engines.payments.counter import balance_paid_at_counter
    from tests.conftest import http_json
    from tests.engines.booking.test_booking_concurrency import _settled, at_once, open_shop

    app = live_server.app
    shop = open_shop(app, "deposits", buyers=2)
    with app.app_context(), tenant_scope(shop["tenant"]):
        loft = db.session.scalar(select(BookableResource).where(BookableResource.shape == Shape.NIGHT))
        update_resource(loft, deposit_percent=30, capacity=2, cancellation=RULES)
        db.session.commit()
        clerk = staff_token(db.session, shop["tenant"], role="manager", permissions=["booking.manage"])

    def paid_stay(buyer: int) -> int:
        headers = shop["headers"][buyer]
        status, placed = http_json("POST", f"{live_server.url}/api/v1/checkout", {
            "lines": [{"sku_id": shop["room"], "quantity": 1, "booking": two_weekday_nights()}],
            "fulfillment": {"type": "none"}, "deposit": True}, headers)
        assert status == 201, placed
        status, started = http_json("POST", f"{live_server.url}/api/v1/orders/{placed['order']['id']}/payments",
                                    {"provider": "sandbox"}, headers)
        assert status == 201 and _settled(started["next_action"]["url"]) == 200
        return int(placed["order"]["id"])

    first = paid_stay(0)
    outcomes = at_once(app, shop["tenant"], 8, lambda _: balance_paid_at_counter(first, actor="staff:1"), "recorded")
    assert outcomes.count("recorded") == 1 and set(outcomes) == {"recorded", "illegal_transition"}

    second = paid_stay(1)
    with app.app_context():
        booking_id = starting_soon({"tenant": shop["tenant"]}, second)

    def send(index: int):
        if index % 2:
            return http_json("POST", f"{live_server.url}/admin/api/v1/booking/bookings/{booking_id}/steps",
                             {"step": "arrive", "balance_paid": True}, clerk.headers)
        return http_json("POST", f"{live_server.url}/api/v1/me/bookings/{booking_id}/cancel", {}, shop["headers"][1])

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [status for status, _ in pool.map(send, range(8))]
    assert answers.count(200) == 1, answers  # checked in, or cancelled: whichever came first
    with app.app_context(), tenant_scope(shop["tenant"]):
        order = db.session.get(Order, (shop["tenant"].id, second))
        paid = [(p.provider, p.amount, p.refunded) for p in db.session.scalars(
            select(Payment).where(Payment.order_id == second).order_by(Payment.settled_at))]
        status = db.session.get(Booking, (shop["tenant"].id, booking_id)).status
    if status == BookingStatus.IN_PROGRESS:  # checked in, the balance paid: the cancellations were refused
        assert paid == [("sandbox", 24000, 0), ("counter", 56000, 0)] and order.balance_due == 0
    else:  # cancelled an hour before (50%: more than the deposit is kept): nothing back, nothing recorded
        assert status == BookingStatus.CANCELLED
        assert paid == [("sandbox", 24000, 0)] and (order.balance_due, order.status.value) == (0, "closed")

"""A booking the shop takes itself (/merchant/booking/new): what, a free time and who serves (or a
session with its answers, or dates), the customer by phone — their account made when they have
none, where they find it once they sign in — paid at the shop (the counter provider, settled at
once; refunded at the shop) or left for them to pay; refusals said on the form with nothing
written; consumers can never pay by the counter themselves; clerks are kept out."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.consumers import Consumer, issue_token
from core.db import db
from core.tenancy import tenant_scope
from engines.booking.models import Booking, BookingStatus
from engines.orders.models import Order, OrderStatus
from engines.payments.models import Payment, PaymentStatus
from tests.engines.booking.conftest import at, days_ahead
from tests.engines.booking.test_booking import book
from tests.engines.membership.test_membership_admin import audited

NEW = "/merchant/booking/new"


def counts(tenant) -> tuple[int, int, int]:
    with tenant_scope(tenant):
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Booking, Order, Consumer))


def take(form_post, shop, **fields):
    resource = fields.pop("resource", shop["service"])
    return form_post(NEW, {"resource": str(resource), **fields}, page=f"{NEW}?resource={resource}")


def test_the_form_offers_the_days_free_times_and_who_serves(client, enter, booking_shop):
    enter("manager")
    page = client.get(NEW).get_data(as_text=True)
    assert "Deep cleaning" in page and "New Year gala" in page and "Garden room" in page
    day = days_ahead(5)
    page = client.get(NEW, query_string={"resource": booking_shop["service"], "day": day.isoformat()}).get_data(
        as_text=True)
    assert [start[11:16] for start in re.findall(r'<option value="([^"]+)"[^>]*>\d\d:\d\d', page)] == [
        "00:00", "02:00", "04:00", "06:00", "08:00"]  # 08:00 to 18:00 in Shanghai, as UTC
    assert "Ann" in page and "Bea" in page and "First available" in page
    event = client.get(NEW, query_string={"resource": booking_shop["event"]}).get_data(as_text=True)
    assert "Grand hall" in event and 'name="answer_name"' in event and 'name="answer_phone"' in event
    assert 'name="from"' in client.get(NEW, query_string={"resource": booking_shop["rooms"]}).get_data(as_text=True)


def test_a_booking_paid_at_the_shop_is_confirmed_and_found_by_the_customer(client, enter, form_post, booking_shop):
    enter("manager")
    start = at(days_ahead(5), "14:00")
    taken = take(form_post, booking_shop, start=start, staff_id=str(booking_shop["bea"]), sku_id=booking_shop["cleaning"],
                 phone="13911139111", name="Qian Wei", note="Bring a ladder", paid="y")
    assert taken.status_code == 302, taken.get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        customer = db.session.scalar(select(Consumer).where(Consumer.phone == "13911139111"))
        booking = db.session.scalar(select(Booking).where(Booking.consumer_id == customer.id))
        order = db.session.get(Order, (booking_shop["tenant"].id, booking.order_id))
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
        assert customer.name == "Qian Wei" and booking.staff_id == booking_shop["bea"]
        assert booking.status == BookingStatus.CONFIRMED and order.status == OrderStatus.PAID and order.note == "Bring a ladder"
        assert (payment.provider, payment.status, payment.amount) == ("counter", PaymentStatus.SUCCEEDED, 30000)
        assert len(audited(booking_shop["tenant"], "booking.create")) == 1
        token = issue_token(customer)
        db.session.commit()
    assert taken.headers["Location"].endswith(f"/merchant/booking/bookings/{booking.id}")
    page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert "Deep cleaning" in page and "Bea" in page
    # the customer signs in with that phone and finds it; cancelled a day ahead, refunded at the shop
    theirs = {"Authorization": f"Bearer {token}"}
    mine = client.get("/api/v1/me/bookings", headers=theirs).json["bookings"]
    assert [(b["name"], b["status"]) for b in mine] == [("Deep cleaning", "confirmed")]
    cancelled = client.post(f"/api/v1/me/bookings/{booking.id}/cancel", headers=theirs)
    assert cancelled.status_code == 200, cancelled.json
    order_now = client.get(f"/api/v1/orders/{order.id}", headers=theirs).json["order"]
    assert order_now["refunded"]["amount"] == 30000
    with tenant_scope(booking_shop["tenant"]):  # the shop is asked to hand the money back
        flagged = db.session.get(Order, (booking_shop["tenant"].id, order.id), populate_existing=True)
        assert flagged.attention.startswith("Hand back ¥300.00 at the shop")


def test_a_booking_not_paid_waits_for_the_customer_to_pay_it(client, enter, form_post, booking_shop):
    enter("manager")
    taken = take(form_post, booking_shop, resource=booking_shop["rooms"], sku_id=booking_shop["room"],
                 **{"from": days_ahead(8).isoformat(), "to": days_ahead(10).isoformat()}, guests="2",
                 phone=booking_shop["consumer"].phone or "13800138000")
    assert taken.status_code == 302, taken.get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        booking = db.session.scalar(select(Booking).order_by(Booking.created_at.desc()))
        order = db.session.get(Order, (booking_shop["tenant"].id, booking.order_id))
        assert (booking.status, order.status, booking.guests) == (BookingStatus.HELD, OrderStatus.PENDING_PAYMENT, 2)
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_refusals_are_said_on_the_form_and_write_nothing(client, enter, form_post, booking_shop):
    enter("manager")
    before = counts(booking_shop["tenant"])
    bad_phone = take(form_post, booking_shop, start=at(days_ahead(5), "10:00"), sku_id=booking_shop["cleaning"],
                     phone="call me", paid="y")
    assert bad_phone.status_code == 422 and "is-invalid" in bad_phone.get_data(as_text=True)
    no_answer = take(form_post, booking_shop, resource=booking_shop["event"], sku_id=booking_shop["standard"],
                     session_id=str(booking_shop["session"]), answer_phone="13800138000", phone="13922139222")
    assert no_answer.status_code == 422 and "Name: required." in no_answer.get_data(as_text=True)
    too_long = take(form_post, booking_shop, resource=booking_shop["rooms"], sku_id=booking_shop["room"],
                    **{"from": days_ahead(8).isoformat(), "to": days_ahead(18).isoformat()}, phone="13922139222")
    assert too_long.status_code == 422 and "Stays are 1 to 7 nights." in too_long.get_data(as_text=True)
    assert take(form_post, booking_shop, resource="nope", phone="13922139222").status_code == 422
    assert counts(booking_shop["tenant"]) == before
    # the last place of a slot: the second booking of it is refused, said at the top
    start = at(days_ahead(5), "08:00")  # only Ann works then: one place
    assert take(form_post, booking_shop, start=start, sku_id=booking_shop["cleaning"], phone="13933139333",
                paid="y").status_code == 302
    full = take(form_post, booking_shop, start=start, sku_id=booking_shop["cleaning"], phone="13944139444", paid="y")
    assert full.status_code == 409 and "alert-danger" in full.get_data(as_text=True)


def test_consumers_cannot_pay_by_the_counter(client, booking_shop):
    placed = book(client, booking_shop, booking_shop["cleaning"], {"start": at(days_ahead(6), "10:00")})
    assert placed.status_code == 201, placed.json
    paying = client.post(f"/api/v1/orders/{placed.json['order']['id']}/payments", headers=booking_shop["headers"],
                         json={"provider": "counter"})
    assert (paying.status_code, paying.json["error"]["code"]) == (422, "unknown_provider")
    at_once = client.post("/api/v1/checkout/pay", headers=booking_shop["headers"], json={
        "lines": [{"sku_id": booking_shop["cleaning"], "booking": {"start": at(days_ahead(6), "14:00")}}],
        "fulfillment": {"type": "none"}, "provider": "counter"})
    assert (at_once.status_code, at_once.json["error"]["code"]) == (422, "unknown_provider")


def test_clerks_cannot_take_bookings(client, enter, form_post, booking_shop):
    enter("clerk")
    assert client.get(NEW).status_code == 403

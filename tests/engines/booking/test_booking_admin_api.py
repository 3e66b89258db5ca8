"""Booking in the Admin API with a staff token: resources, sessions and quotas, staff and blocks
read and written (audited), bookings listed; a booking taken for a customer by phone (paid at the
shop or not) and its steps of the day marked with the shop's own photos; tokens without
booking.manage refused; another shop's ids not found; bad bodies refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from core.db import db
from core.media import upload_media
from core.tenancy import tenant_scope
from engines.booking.models import Booking
from tests.admin_api import staff_token
from tests.engines.booking.conftest import at, days_ahead
from tests.engines.booking.test_booking_admin import png
from tests.engines.membership.test_membership_admin import audited

API = "/admin/api/v1/booking"


@pytest.fixture
def manager(db_session, booking_shop):
    return staff_token(db_session, booking_shop["tenant"], role="manager", permissions=["booking.manage"])


def test_resources_sessions_quotas_staff_and_blocks(client, manager, booking_shop):
    listed = client.get(f"{API}/resources", headers=manager.headers).json["resources"]
    assert {r["shape"] for r in listed} == {"slot", "session", "night"}
    assert client.get(f"{API}/resources?shape=boat", headers=manager.headers).status_code == 422
    changed = client.patch(f"{API}/resources/{booking_shop['rooms']}", headers=manager.headers,
                           json={"seasons": [{"from": "2027-02-10", "to": "2027-02-20", "price": 68000}]})
    assert changed.status_code == 200 and changed.json["resource"]["seasons"][0]["price"] == 68000
    backwards = client.patch(f"{API}/resources/{booking_shop['rooms']}", headers=manager.headers,
                             json={"min_stay": 5, "max_stay": 2})
    assert backwards.status_code == 422
    evening = days_ahead(30)
    session = client.post(f"{API}/resources/{booking_shop['event']}/sessions", headers=manager.headers, json={
        "starts_at": at(evening, "19:00"), "ends_at": at(evening, "21:00"), "place": "Small hall"})
    assert session.status_code == 201, session.json
    quota = client.post(f"{API}/resources/{booking_shop['event']}/quotas", headers=manager.headers, json={
        "name": "Small hall", "size": 40, "sku_ids": [booking_shop["standard"]],
        "session_id": session.json["session"]["id"]})
    assert quota.status_code == 201, quota.json
    staff = client.post(f"{API}/staff", headers=manager.headers, json={
        "name": "Cai Hong", "resource_ids": [str(booking_shop["service"])],
        "qualifications": [{"name": "Health certificate", "image": "", "verified": True}]})
    assert staff.status_code == 201, staff.json
    day = days_ahead(9)
    block = client.post(f"{API}/blocks", headers=manager.headers, json={
        "staff_id": staff.json["staff"]["id"], "starts_at": at(day, "00:00"), "ends_at": at(day, "23:59"),
        "note": "Day off"})
    assert block.status_code == 201, block.json
    blocks = client.get(f"{API}/blocks", headers=manager.headers,
                        query_string={"from": day.isoformat(), "to": day.isoformat()}).json["blocks"]
    assert [b["note"] for b in blocks] == ["Day off"]
    assert client.delete(f"{API}/blocks/{block.json['block']['id']}", headers=manager.headers).status_code == 204
    assert [len(audited(booking_shop["tenant"], action)) for action in (
        "booking_resource.update", "booking_session.create", "booking_quota.create", "booking_staff.create",
        "booking_block.create", "booking_block.delete")] == [1, 1, 1, 1, 1, 1]


def test_a_booking_taken_for_a_customer_by_phone_and_its_steps(client, manager, booking_shop):
    start = at(days_ahead(4), "14:00")
    taken = client.post(f"{API}/bookings", headers=manager.headers, json={
        "sku_id": booking_shop["cleaning"], "booking": {"start": start, "staff_id": str(booking_shop["bea"])},
        "phone": "13966139666", "name": "Lu Yan", "paid_at_shop": True})
    assert taken.status_code == 201, taken.json
    booking = taken.json["booking"]
    assert booking["status"] == "confirmed" and booking["staff_id"] == str(booking_shop["bea"])
    assert taken.json["order_number"] and len(audited(booking_shop["tenant"], "booking.create")) == 1
    listed = client.get(f"{API}/bookings", headers=manager.headers, query_string={
        "from": days_ahead(4).isoformat(), "to": days_ahead(4).isoformat(), "status": "confirmed"}).json["bookings"]
    assert [b["id"] for b in listed] == [booking["id"]]
    unpaid = client.post(f"{API}/bookings", headers=manager.headers, json={
        "sku_id": booking_shop["room"], "booking": {"from": days_ahead(6).isoformat(), "to": days_ahead(8).isoformat(),
                                                    "guests": 2}, "phone": "13966139666"})
    assert unpaid.status_code == 201 and unpaid.json["booking"]["status"] == "held"

    # the day has come: arrival with the shop's photo; another shop's media refused
    with tenant_scope(booking_shop["tenant"]):
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
        db.session.execute(update(Booking).where(Booking.id == int(booking["id"]))
                           .values(starts_at=soon, ends_at=soon + dt.timedelta(hours=2)))
        photo = f"media:{upload_media(data=png(), filename='door.png', alt='Door').id}"
        db.session.commit()
    steps = f"{API}/bookings/{booking['id']}/steps"
    foreign = client.post(steps, headers=manager.headers, json={"step": "arrive", "photos": ["media:1"]})
    assert foreign.status_code == 422
    arrived = client.post(steps, headers=manager.headers, json={"step": "arrive", "photos": [photo]})
    assert arrived.status_code == 200 and arrived.json["booking"]["status"] == "in_progress"
    again = client.post(steps, headers=manager.headers, json={"step": "arrive"})
    assert again.status_code == 409
    done = client.post(steps, headers=manager.headers, json={"step": "complete"})
    assert done.status_code == 200 and done.json["booking"]["status"] == "completed"
    assert client.post(steps, headers=manager.headers, json={"step": "dance"}).status_code == 422


def test_bad_bodies_and_other_shops_and_tokens_without_the_permission(client, manager, db_session, booking_shop,
                                                                       tenant_b):
    before = _bookings(booking_shop["tenant"])
    for body in ({"sku_id": booking_shop["cleaning"], "phone": "13966139666"},  # no booking named
                 {"sku_id": booking_shop["cleaning"], "booking": {"start": "soon"}, "phone": "13966139666"},
                 {"sku_id": booking_shop["cleaning"], "booking": {"start": at(days_ahead(4), "10:00")},
                  "phone": "not a phone"},
                 {"sku_id": "x", "booking": {}, "phone": "1"}, []):
        refused = client.post(f"{API}/bookings", headers=manager.headers, json=body)
        assert refused.status_code in (400, 422) and refused.json["error"]["code"], (body, refused.json)
    assert _bookings(booking_shop["tenant"]) == before
    other = staff_token(db_session, tenant_b, role="manager", permissions=["booking.manage"])
    assert client.get(f"{API}/resources/{booking_shop['service']}", headers=other.headers).status_code == 404
    assert client.post(f"{API}/bookings/1/steps", headers=other.headers, json={"step": "arrive"}).status_code == 404
    reader = staff_token(db_session, booking_shop["tenant"], role="manager", permissions=["orders.manage"])
    assert client.post(f"{API}/bookings", headers=reader.headers, json={}).status_code == 403


def _bookings(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Booking))


def test_times_no_calendar_has_are_refused_not_crashed_on(client, enter, manager, booking_shop):
    """Year 1 and year 9999 have no day before or after to bound them: every way in answers 4xx."""
    tenant = {"X-Tenant": booking_shop["tenant"].slug}
    far = client.get("/api/v1/booking/availability", headers=tenant, query_string={
        "resource": booking_shop["service"], "from": "9999-12-30", "to": "9999-12-31"})
    assert far.status_code == 422
    early = client.post("/api/v1/checkout", headers=booking_shop["headers"], json={
        "lines": [{"sku_id": booking_shop["cleaning"], "booking": {"start": "0001-01-01T00:00:00+08:00"}}],
        "fulfillment": {"type": "none"}})
    assert early.status_code == 422 and "booking.start" in early.json["error"]["fields"]
    session = client.post(f"{API}/resources/{booking_shop['event']}/sessions", headers=manager.headers, json={
        "starts_at": "0001-01-01T00:00:00+08:00", "ends_at": "0001-01-01T02:00:00+08:00"})
    assert session.status_code == 422
    block = client.post(f"{API}/blocks", headers=manager.headers, json={
        "resource_id": str(booking_shop["service"]), "starts_at": "9999-12-31T20:00:00-08:00",
        "ends_at": "9999-12-31T23:00:00-08:00"})
    assert block.status_code == 422
    enter("manager")
    for page in ("/merchant/booking/?date=9999-12-31", "/merchant/booking/?date=9999-12-31&view=week",
                 "/merchant/booking/rooms?month=9999-12", "/merchant/booking/bookings?from=0001-01-01",
                 f"/merchant/booking/new?resource={booking_shop['service']}&day=9999-12-31"):
        assert client.get(page).status_code == 200, page

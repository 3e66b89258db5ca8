"""Booking under real concurrent requests against a real server and database: 20 checkouts of a
slot with room for 2 give exactly 2 bookings, the last room of a night is booked once, the last
tickets of a quota are sold once, a housekeeper serving two services is never booked twice at one
time, and a booking cancelled from many tabs at once is refunded once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.consumers import Consumer, issue_token
from core.db import db
from core.tenancy import tenant_scope
from engines.booking.models import Booking
from engines.booking.resources import create_quota, create_resource, create_session, create_staff
from engines.catalog.services import create_item, skus_by_item
from engines.orders.models import Order
from tenants.services import create_tenant
from tests.conftest import http_json
from tests.engines.booking.conftest import at, days_ahead

pytestmark = [pytest.mark.live, pytest.mark.citus]


def open_shop(app, slug: str, buyers: int = 20) -> dict:
    with app.app_context():
        tenant = create_tenant(slug=slug, name=slug)
        with tenant_scope(tenant):
            viewing = create_item(kind="service", name="Flat viewing", price=0, status="on_sale")
            repair = create_item(kind="service", name="Appliance repair", price=15000, status="on_sale")
            cleaning = create_item(kind="service", name="Cleaning", price=12000, status="on_sale")
            gala = create_item(kind="ticket", name="Gala", price=5000, status="on_sale")
            room = create_item(kind="room", name="Loft", price=40000, status="on_sale")
            skus = skus_by_item([viewing.id, repair.id, cleaning.id, gala.id, room.id])
            create_resource(item_id=viewing.id, capacity=2, duration_minutes=60, step_minutes=60)
            fixing = create_resource(item_id=repair.id, capacity=5, staffed=True,
                                     cancellation=[{"hours_before": 0, "refund_percent": 100}])
            tidying = create_resource(item_id=cleaning.id, capacity=5, staffed=True)
            create_staff(name="Only one", resource_ids=[str(fixing.id), str(tidying.id)])
            event = create_resource(item_id=gala.id)
            evening = days_ahead(15)
            session = create_session(event, starts_at=dt.datetime.fromisoformat(at(evening, "19:00")),
                                     ends_at=dt.datetime.fromisoformat(at(evening, "21:00")))
            create_quota(event, name="Hall", size=3, sku_ids=[str(skus[gala.id][0].id)])
            create_resource(item_id=room.id, capacity=1)
            consumers = [Consumer(email=f"guest{i}@example.com") for i in range(buyers)]
            db.session.add_all(consumers)
            db.session.flush()
            tokens = [issue_token(consumer) for consumer in consumers]
            db.session.commit()
            return {"tenant": tenant, "session": str(session.id),
                    **{name: str(skus[item.id][0].id) for name, item in
                       (("viewing", viewing), ("repair", repair), ("cleaning", cleaning), ("gala", gala),
                        ("room", room))},
                    "headers": [{"Authorization": f"Bearer {token}"} for token in tokens]}


def race(live_server, shop, bodies: list[dict]) -> list[tuple[int, dict]]:
    def send(index: int):
        return http_json("POST", f"{live_server.url}/api/v1/checkout", bodies[index], shop["headers"][index])

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, range(len(bodies))))


def at_once(app, tenant, times: int, act, done: str, prepare=lambda: None) -> list[str]:
    """`times` transactions that each `prepare()`, wait for each other, then `act(prepared)` at
    once: each commits and answers `done`, or rolls back and answers its APIError's code; sorted."""
    import threading

    from core.errors import APIError

    together = threading.Barrier(times)

    def attempt(_index: int) -> str:
        with app.app_context(), tenant_scope(tenant):
            prepared = prepare()
            together.wait(timeout=20)
            try:
                act(prepared)
                db.session.commit()
                return done
            except APIError as error:
                db.session.rollback()
                return error.code

    with ThreadPoolExecutor(max_workers=times) as pool:
        return sorted(pool.map(attempt, range(times)))


def paid_repair(live_server, shop) -> dict:
    """The shop's first buyer books a repair six days ahead and pays in the sandbox; the checkout's answer."""
    headers = shop["headers"][0]
    status, placed = http_json("POST", f"{live_server.url}/api/v1/checkout",
                               line(shop["repair"], {"start": at(days_ahead(6), "11:00")}), headers)
    assert status == 201, placed
    status, started = http_json("POST", f"{live_server.url}/api/v1/orders/{placed['order']['id']}/payments",
                                {"provider": "sandbox"}, headers)
    assert status == 201, started
    assert _settled(started["next_action"]["url"]) == 200
    return placed


def _settled(pay_url: str) -> int:
    """The sandbox pay page's form post of a successful payment."""
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode({"outcome": "succeeded"}).encode()
    with urllib.request.urlopen(urllib.request.Request(pay_url, data=form), timeout=60) as paid:
        return paid.status


def line(sku: str, booking: dict, quantity: int = 1) -> dict:
    return {"lines": [{"sku_id": sku, "quantity": quantity, "booking": booking}], "fulfillment": {"type": "none"}}


def counted(app, shop) -> tuple[int, int]:
    """(bookings, orders) in the shop's database."""
    with app.app_context(), tenant_scope(shop["tenant"]):
        return (db.session.scalar(select(func.count()).select_from(Booking)),
                db.session.scalar(select(func.count()).select_from(Order)))


def outcome(results) -> tuple[int, int]:
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    assert {body["error"]["code"] for status, body in results if status == 409} <= {"fully_booked"}, results
    return statuses.count(201), statuses.count(409)


def test_twenty_checkouts_of_a_slot_with_room_for_two_book_exactly_two(live_server):
    shop = open_shop(live_server.app, "viewings")
    slot = {"start": at(days_ahead(5), "10:00")}
    assert outcome(race(live_server, shop, [line(shop["viewing"], slot)] * 20)) == (2, 18)
    assert counted(live_server.app, shop) == (2, 2)


def test_the_last_room_of_a_night_is_booked_once(live_server):
    shop = open_shop(live_server.app, "lofts")
    first = days_ahead(12)
    stays = [{"from": (first + dt.timedelta(days=i % 3)).isoformat(),
              "to": (first + dt.timedelta(days=i % 3 + 2)).isoformat()} for i in range(20)]
    created, refused = outcome(race(live_server, shop, [line(shop["room"], stay) for stay in stays]))
    # overlapping two-night stays over one room: at most one holds each night
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        nights = [night for begins, ends in db.session.execute(select(Booking.first_night, Booking.last_night))
                  for night in (begins, ends)]
    assert created >= 1 and created + refused == 20 and len(nights) == len(set(nights)), nights


def test_the_last_tickets_of_a_quota_are_sold_once(live_server):
    shop = open_shop(live_server.app, "galas")
    created, refused = outcome(race(live_server, shop, [line(shop["gala"], {"session_id": shop["session"]})] * 20))
    assert (created, refused) == (3, 17)
    assert counted(live_server.app, shop) == (3, 3)


def test_one_housekeeper_is_never_booked_twice_at_one_time_across_services(live_server):
    shop = open_shop(live_server.app, "handymen")
    slot = {"start": at(days_ahead(6), "11:00")}
    bodies = [line(shop["repair"] if i % 2 else shop["cleaning"], slot) for i in range(20)]
    assert outcome(race(live_server, shop, bodies)) == (1, 19)
    assert counted(live_server.app, shop) == (1, 1)


def test_holds_made_at_once_outside_any_other_lock_never_overbook(live_server, backend):
    """The resource's lock alone keeps holds apart (the checkout's order number serialises whole
    checkouts of one shop today; the holds must not depend on it): twelve transactions price the
    same slot, wait for each other, then hold it at once."""
    from types import SimpleNamespace

    from core.db import utcnow
    from core.ids import new_id
    from engines.booking.holds import Booker
    from engines.catalog.services import skus_with_items
    from engines.orders.pricing import QuoteLine

    if backend == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: the holds cannot meet there")
    shop = open_shop(live_server.app, "holders")
    slot = {"start": at(days_ahead(5), "10:00")}

    def priced() -> QuoteLine:
        sku_id = int(shop["viewing"])
        quoted = QuoteLine(sku_id=sku_id, item_id=skus_with_items([sku_id])[sku_id][1].id, kind="service",
                           name="Viewing", options={}, sku_code="", image="", unit_price=0, quantity=1, booking=slot)
        Booker().price([quoted], None, utcnow())
        return quoted

    def hold(quoted: QuoteLine) -> None:
        Booker().hold(SimpleNamespace(id=new_id(), consumer_id=None, created_at=utcnow()),
                      [SimpleNamespace(id=new_id())], [quoted])

    results = at_once(live_server.app, shop["tenant"], 12, hold, "held", prepare=priced)
    assert results == ["fully_booked"] * 10 + ["held"] * 2, results


def test_a_booking_cancelled_from_ten_tabs_at_once_is_refunded_once(live_server):
    from engines.orders.models import AfterSale

    shop = open_shop(live_server.app, "cancellers", buyers=1)
    headers = shop["headers"][0]
    paid_repair(live_server, shop)
    status, mine = http_json("GET", f"{live_server.url}/api/v1/me/bookings", None, headers)
    [booking] = mine["bookings"]
    assert booking["status"] == "confirmed"

    def cancel(_index: int):
        return http_json("POST", f"{live_server.url}/api/v1/me/bookings/{booking['id']}/cancel", {}, headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(cancel, range(10)))
    assert sorted(status for status, _ in results) == [200] + [409] * 9, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"booking_not_cancellable"}
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(AfterSale)) == 1


def test_a_service_completed_from_six_phones_at_once_completes_once(live_server, backend):
    """Six phones mark the same booking done at once: one wins, five are told it moved on, and its
    order completes once."""
    from sqlalchemy import update

    from engines.booking.attendance import take_step
    from engines.orders.models import OrderTransition

    shop = open_shop(live_server.app, "finishers", buyers=1)
    placed = paid_repair(live_server, shop)
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
        booking_id = db.session.scalar(select(Booking.id))
        db.session.execute(update(Booking).values(starts_at=soon, ends_at=soon + dt.timedelta(hours=1)))
        db.session.commit()
    results = at_once(live_server.app, shop["tenant"], 6,
                      lambda _prepared: take_step(booking_id, "complete", actor="staff:1"), "completed")
    assert results == ["booking_status_changed"] * 5 + ["completed"], results
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        order_id = int(placed["order"]["id"])
        assert db.session.scalar(select(Order.status).where(Order.id == order_id)).value == "completed"
        assert db.session.scalar(select(func.count()).select_from(OrderTransition)
                                 .where(OrderTransition.order_id == order_id,
                                        OrderTransition.to_status == "completed")) == 1


def test_twelve_staff_booking_the_last_room_at_once_by_phone_book_it_once(live_server):
    """The desk's bookings (Admin API, paid at the shop) go through the same hold: twelve at once
    for the last room of a night give one booking and one payment by the counter."""
    from core.identities import add_staff, create_identity
    from core.staff_tokens import create_token
    from engines.payments.models import Payment

    shop = open_shop(live_server.app, "front-desks")
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        identity = create_identity(email="desk@front-desks.example.com", password="password123")
        member = add_staff(identity=identity, role="manager")
        db.session.flush()
        _token, text = create_token(member=member, name="Desk", actor=identity, via="test",
                                    permissions=["booking.manage"])
        db.session.commit()
    night = days_ahead(20)
    body = {"sku_id": shop["room"], "booking": {"from": night.isoformat(),
                                                "to": (night + dt.timedelta(days=1)).isoformat()},
            "paid_at_shop": True}

    def send(index: int):
        return http_json("POST", f"{live_server.url}/admin/api/v1/booking/bookings",
                         {**body, "phone": f"1391300{index:04d}"}, {"Authorization": f"Bearer {text}"})

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(send, range(12)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 11, results
    assert {answer["error"]["code"] for status, answer in results if status == 409} == {"fully_booked"}
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        assert [p.provider for p in db.session.scalars(select(Payment))] == ["counter"]

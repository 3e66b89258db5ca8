"""Booking through the consumer API: availability of slots, sessions and nights computed from
capacity, blocks and bookings; a checkout line naming a slot, a session or dates books it (held
until paid, freed when the unpaid order is cancelled); what cannot be booked is refused with a
clear 4xx."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.db import db
from core.tenancy import tenant_scope
from engines.booking.models import Booking, BookingStatus
from engines.booking.resources import create_block
from tests.engines.booking.conftest import at, days_ahead


def availability(client, resource, first, last, **extra):
    query = {"resource": str(resource), "from": first.isoformat(), "to": last.isoformat(), **extra}
    return client.get("/api/v1/booking/availability", query_string=query, headers={"X-Tenant": "alpha-shop"})


def book(client, shop, sku, booking, quantity=1, **extra):
    return client.post("/api/v1/checkout", headers=shop["headers"], json={
        "lines": [{"sku_id": sku, "quantity": quantity, "booking": booking}], "fulfillment": {"type": "none"}, **extra})


def bookings(tenant):
    with tenant_scope(tenant):
        return list(db.session.scalars(select(Booking).order_by(Booking.created_at)
                                       .execution_options(populate_existing=True)))


def pay(client, shop, order_id):
    started = client.post(f"/api/v1/orders/{order_id}/payments", headers=shop["headers"], json={"provider": "sandbox"})
    assert started.status_code == 201, started.json
    page = started.json["payment"]["pay_url"] if "pay_url" in started.json.get("payment", {}) else None
    return started, page


# -- slots -------------------------------------------------------------------------------------

def test_a_staffed_service_offers_slots_in_its_hours_served_by_whoever_works_then(client, booking_shop):
    day = days_ahead(7)
    answer = availability(client, booking_shop["service"], day, day)
    assert answer.status_code == 200, answer.json
    slots = answer.json["days"][0]["slots"]
    assert [s["start"][11:16] for s in slots] == ["00:00", "02:00", "04:00", "06:00", "08:00"]  # 08:00–18:00 local, UTC
    assert [s["left"] for s in slots] == [1, 1, 2, 2, 2]  # two at once, as long as two housekeepers are free
    ann, bea = str(booking_shop["ann"]), str(booking_shop["bea"])
    assert [s["staff_ids"] for s in slots] == [[ann], [ann], [ann, bea], [ann, bea], [ann, bea]]


def test_booking_a_slot_holds_it_and_takes_the_first_free_housekeeper(client, booking_shop):
    day = days_ahead(7)
    placed = book(client, booking_shop, booking_shop["cleaning"],
                  {"start": at(day, "08:00"), "address_id": booking_shop["address"]})
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    assert order["total"]["amount"] == 30000
    assert order["lines"][0]["options"]["Time"] == f"{day.isoformat()} 08:00–10:00"
    [held] = bookings(booking_shop["tenant"])
    assert (held.status, held.staff_id, held.quantity, held.address["line"]) == (
        BookingStatus.HELD, booking_shop["ann"], 1, "2 Nanjing Rd")
    slots = availability(client, booking_shop["service"], day, day).json["days"][0]["slots"]
    assert slots[0]["left"] == 0 and slots[1]["left"] == 1
    again = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "08:00")})
    assert (again.status_code, again.json["error"]["code"]) == (409, "fully_booked")


def test_a_chosen_housekeeper_is_booked_or_refused_when_busy(client, booking_shop):
    day = days_ahead(8)
    bea = str(booking_shop["bea"])
    first = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "12:00"), "staff_id": bea})
    assert first.status_code == 201, first.json
    assert first.json["order"]["lines"][0]["options"]["Served by"] == "Bea"
    assert bookings(booking_shop["tenant"])[0].staff_id == booking_shop["bea"]
    busy = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "12:00"), "staff_id": bea})
    assert (busy.status_code, busy.json["error"]["code"]) == (409, "fully_booked")
    not_hers = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "08:00"), "staff_id": bea})
    assert (not_hers.status_code, not_hers.json["error"]["code"]) == (409, "fully_booked")  # Bea works from noon


def test_a_day_off_and_a_closed_day_take_slots_out_of_sale(client, booking_shop):
    day = days_ahead(9)
    with tenant_scope(booking_shop["tenant"]):
        start = dt.datetime.fromisoformat(at(day, "00:00"))
        create_block(staff_id=booking_shop["ann"], starts_at=start, ends_at=start + dt.timedelta(days=1), note="Leave")
        db.session.commit()
    slots = availability(client, booking_shop["service"], day, day).json["days"][0]["slots"]
    assert [s["left"] for s in slots] == [0, 0, 1, 1, 1]
    with tenant_scope(booking_shop["tenant"]):
        create_block(resource_id=booking_shop["service"], starts_at=start, ends_at=start + dt.timedelta(days=1))
        db.session.commit()
    assert all(s["left"] == 0 for s in availability(client, booking_shop["service"], day, day).json["days"][0]["slots"])


def test_blocks_over_midnight_and_over_several_days_count_on_each_day_they_touch(client, booking_shop):
    """A month is read at once, each day's slots from what touches that day: a block from one
    evening to the next morning takes the morning's slots; one over three days, each of them."""
    first = days_ahead(10)
    with tenant_scope(booking_shop["tenant"]):
        evening = dt.datetime.fromisoformat(at(first, "20:00"))
        create_block(staff_id=booking_shop["ann"], starts_at=evening, ends_at=evening + dt.timedelta(hours=14))
        closed = dt.datetime.fromisoformat(at(first + dt.timedelta(days=3), "00:00"))
        create_block(resource_id=booking_shop["service"], starts_at=closed, ends_at=closed + dt.timedelta(days=3))
        db.session.commit()
    days = availability(client, booking_shop["service"], first, first + dt.timedelta(days=6)).json["days"]
    assert [s["left"] for s in days[0]["slots"]] == [1, 1, 2, 2, 2]  # Bea from noon
    assert [s["left"] for s in days[1]["slots"]] == [0, 1, 2, 2, 2]  # Ann off until 10:00, Bea from noon
    assert [s["left"] for s in days[2]["slots"]] == [1, 1, 2, 2, 2]
    for closed_day in days[3:6]:
        assert all(s["left"] == 0 for s in closed_day["slots"]), closed_day
    assert [s["left"] for s in days[6]["slots"]] == [1, 1, 2, 2, 2]


def test_a_slot_off_the_grid_in_the_past_or_without_a_time_is_refused(client, booking_shop):
    day = days_ahead(7)
    for booking, field in (({"start": at(day, "09:00")}, "booking.start"),
                           ({"start": at(days_ahead(-1), "08:00")}, "booking.start"),
                           ({"start": "tomorrow"}, "booking.start")):
        refused = book(client, booking_shop, booking_shop["cleaning"], booking)
        assert refused.status_code == 422 and field in refused.json["error"]["fields"], refused.json
    no_time = client.post("/api/v1/checkout", headers=booking_shop["headers"], json={
        "lines": [{"sku_id": booking_shop["cleaning"]}], "fulfillment": {"type": "none"}})
    assert no_time.status_code == 422 and "Choose when" in str(no_time.json)
    odd = book(client, booking_shop, booking_shop["cleaning"], "08:00")
    assert odd.status_code == 422 and "lines.0.booking" in odd.json["error"]["fields"]
    assert bookings(booking_shop["tenant"]) == []


# -- sessions ----------------------------------------------------------------------------------

def test_tickets_sell_while_every_quota_they_are_in_has_room(client, booking_shop):
    answers = {"name": "Han Meimei", "phone": "13900139000"}
    session = str(booking_shop["session"])
    vip = book(client, booking_shop, booking_shop["vip"], {"session_id": session, "answers": answers})
    assert vip.status_code == 201, vip.json
    assert vip.json["order"]["lines"][0]["options"]["Place"] == "Grand hall"
    second_vip = book(client, booking_shop, booking_shop["vip"], {"session_id": session, "answers": answers})
    assert (second_vip.status_code, second_vip.json["error"]["code"]) == (409, "fully_booked")  # VIP seats: 1
    two = book(client, booking_shop, booking_shop["standard"], {"session_id": session, "answers": answers}, quantity=2)
    assert two.status_code == 201, two.json
    day = days_ahead(20)
    [found] = availability(client, booking_shop["event"], day, day).json["sessions"]
    assert {t["sku_id"]: t["left"] for t in found["tickets"]} == {booking_shop["standard"]: 0, booking_shop["vip"]: 0}
    assert bookings(booking_shop["tenant"])[0].answers == answers


def test_the_registration_form_is_checked(client, booking_shop):
    session = str(booking_shop["session"])
    missing = book(client, booking_shop, booking_shop["standard"], {"session_id": session, "answers": {"name": "X"}})
    assert missing.status_code == 422 and "booking.answers.phone" in missing.json["error"]["fields"]
    bad = book(client, booking_shop, booking_shop["standard"],
               {"session_id": session, "answers": {"name": "X", "phone": "call me"}})
    assert bad.status_code == 422 and "booking.answers.phone" in bad.json["error"]["fields"]
    wrong = book(client, booking_shop, booking_shop["standard"], {"session_id": "12345", "answers": {}})
    assert wrong.status_code == 422 and "booking.session_id" in wrong.json["error"]["fields"]


# -- nights ------------------------------------------------------------------------------------

def _next(weekday: int) -> dt.date:
    day = days_ahead(10)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def test_a_stay_is_priced_night_by_night_and_holds_a_room_each_night(client, booking_shop):
    thursday = _next(3)
    placed = book(client, booking_shop, booking_shop["room"],
                  {"from": thursday.isoformat(), "to": (thursday + dt.timedelta(days=3)).isoformat(), "guests": 2})
    assert placed.status_code == 201, placed.json
    line = placed.json["order"]["lines"][0]
    assert placed.json["order"]["total"]["amount"] == 40000 + 52000 + 52000  # Thursday, then Friday and Saturday nights
    assert line["options"]["Nights"] == "3" and line["options"]["Guests"] == "2"
    [stay] = bookings(booking_shop["tenant"])
    assert (stay.first_night, stay.last_night) == (thursday, thursday + dt.timedelta(days=2))
    nights = availability(client, booking_shop["rooms"], thursday - dt.timedelta(days=1),
                          thursday + dt.timedelta(days=3)).json["nights"]
    assert [n["left"] for n in nights] == [2, 1, 1, 1, 2]
    assert [n["price"]["amount"] for n in nights] == [40000, 40000, 52000, 52000, 40000]


def test_a_dearer_rate_keeps_what_it_costs_over_the_first_on_weekend_and_season_nights(client, booking_shop):
    from engines.booking.resources import create_resource
    from engines.catalog.services import SkuInput, create_item, skus_by_item

    thursday = _next(3)
    with tenant_scope(booking_shop["tenant"]):
        rates = create_item(kind="room", name="Loft", price=40000, status="on_sale",
                            options=[{"name": "Rate", "values": ["Room only", "With breakfast"]}],
                            skus=[SkuInput(price=40000, stock=0, options={"Rate": "Room only"}),
                                  SkuInput(price=46000, stock=0, options={"Rate": "With breakfast"})])
        loft = create_resource(item_id=rates.id, capacity=1, weekend_price=52000,
                               seasons=[{"from": (thursday + dt.timedelta(days=7)).isoformat(),
                                         "to": (thursday + dt.timedelta(days=7)).isoformat(), "price": 70000}])
        breakfast = skus_by_item([rates.id])[rates.id][1]
        db.session.commit()
    nights = availability(client, loft.id, thursday, thursday + dt.timedelta(days=7),
                          sku_id=str(breakfast.id)).json["nights"]
    assert [n["price"]["amount"] for n in nights] == [46000, 58000, 58000, 46000, 46000, 46000, 46000, 76000]
    placed = book(client, booking_shop, str(breakfast.id),
                  {"from": thursday.isoformat(), "to": (thursday + dt.timedelta(days=2)).isoformat()})
    assert placed.status_code == 201, placed.json
    assert placed.json["order"]["total"]["amount"] == 46000 + 58000


def test_the_last_room_of_a_night_is_booked_once(client, booking_shop):
    monday = _next(0)
    stay = {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=1)).isoformat()}
    assert book(client, booking_shop, booking_shop["room"], stay, quantity=2).status_code == 201
    full = book(client, booking_shop, booking_shop["room"],
                {"from": (monday - dt.timedelta(days=1)).isoformat(), "to": (monday + dt.timedelta(days=2)).isoformat()})
    assert (full.status_code, full.json["error"]["code"]) == (409, "fully_booked")


def test_stays_outside_the_rules_are_refused(client, booking_shop):
    day = days_ahead(10)
    for stay, field in (({"from": day.isoformat(), "to": day.isoformat()}, "booking.to"),
                        ({"from": day.isoformat(), "to": (day + dt.timedelta(days=8)).isoformat()}, "booking.to"),
                        ({"from": days_ahead(-2).isoformat(), "to": days_ahead(-1).isoformat()}, "booking.from"),
                        ({"from": "soon", "to": "later"}, "booking.from"),
                        ({"from": day.isoformat(), "to": (day + dt.timedelta(days=1)).isoformat(), "guests": 0},
                         "booking.guests")):
        refused = book(client, booking_shop, booking_shop["room"], stay)
        assert refused.status_code == 422 and field in refused.json["error"]["fields"], (stay, refused.json)


# -- the order's life --------------------------------------------------------------------------

def test_cancelling_the_unpaid_order_frees_the_slot_and_paying_confirms_it(client, booking_shop):
    day = days_ahead(7)
    placed = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "08:00")})
    order_id = placed.json["order"]["id"]
    cancelled = client.post(f"/api/v1/orders/{order_id}/cancel", headers=booking_shop["headers"], json={})
    assert cancelled.status_code == 200, cancelled.json
    assert bookings(booking_shop["tenant"])[0].status == BookingStatus.CANCELLED
    assert availability(client, booking_shop["service"], day, day).json["days"][0]["slots"][0]["left"] == 1
    again = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "08:00")})
    assert again.status_code == 201, again.json
    mine = client.get("/api/v1/me/bookings?status=upcoming", headers=booking_shop["headers"]).json["bookings"]
    assert [(b["order_id"], b["status"]) for b in mine] == [(again.json["order"]["id"], "held")]


def test_a_booking_line_for_an_item_not_booked_by_time_is_refused(client, booking_shop, shop):
    refused = book(client, shop, shop["tea"], {"start": at(days_ahead(7), "08:00")})
    assert refused.status_code == 422 and "not booked by time" in str(refused.json)


def test_availability_asks_for_a_known_resource_and_a_short_range(client, booking_shop):
    day = days_ahead(1)
    assert availability(client, 999, day, day).status_code == 404
    too_long = availability(client, booking_shop["rooms"], day, day + dt.timedelta(days=62))
    assert too_long.status_code == 422
    backwards = availability(client, booking_shop["rooms"], day, day - dt.timedelta(days=1))
    assert backwards.status_code == 422
    garbled = client.get("/api/v1/booking/availability?resource=x&from=1&to=2", headers={"X-Tenant": "alpha-shop"})
    assert garbled.status_code == 422


def _sku_stock(tenant, sku_id):
    from engines.catalog.models import Sku

    with tenant_scope(tenant):
        return db.session.get(Sku, (tenant.id, int(sku_id))).stock


def test_a_paid_ticket_is_confirmed_scanned_at_the_door_and_completed(client, booking_shop):
    from engines.orders.lifecycle import verify_code
    from engines.orders.models import Order
    from tests.engines.orders.test_orders import as_shop, pay

    answers = {"name": "Han Meimei", "phone": "13900139000"}
    placed = book(client, booking_shop, booking_shop["standard"],
                  {"session_id": str(booking_shop["session"]), "answers": answers})
    order = placed.json["order"]
    pay(client, booking_shop, order)
    [ticket] = bookings(booking_shop["tenant"])
    assert ticket.status == BookingStatus.CONFIRMED
    with tenant_scope(booking_shop["tenant"]):
        code = db.session.get(Order, (booking_shop["tenant"].id, int(order["id"]))).verification_code
    assert code and as_shop(booking_shop, verify_code, code, actor="staff:1").status.value == "completed"
    assert bookings(booking_shop["tenant"])[0].status == BookingStatus.COMPLETED
    assert _sku_stock(booking_shop["tenant"], booking_shop["standard"]) == 0  # capacity, not stock


def test_a_refunded_room_frees_its_nights_and_touches_no_stock(client, booking_shop):
    from engines.orders.after_sales import approve, find_after_sale
    from tests.engines.orders.test_orders import as_shop, pay

    monday = _next(0)
    stay = {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=2)).isoformat()}
    order = book(client, booking_shop, booking_shop["room"], stay, quantity=2).json["order"]
    pay(client, booking_shop, order)
    line_id = order["lines"][0]["id"]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=booking_shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": line_id, "quantity": 1}]})
    assert asked.status_code == 201, asked.json
    as_shop(booking_shop, lambda: approve(find_after_sale(int(asked.json["id"]))))
    [stay_row] = bookings(booking_shop["tenant"])
    assert (stay_row.status, stay_row.refunded_quantity) == (BookingStatus.CONFIRMED, 1)
    nights = availability(client, booking_shop["rooms"], monday, monday + dt.timedelta(days=1)).json["nights"]
    assert [n["left"] for n in nights] == [1, 1]
    rest = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=booking_shop["headers"],
                       json={"kind": "refund", "lines": [{"line_id": line_id, "quantity": 1}]})
    as_shop(booking_shop, lambda: approve(find_after_sale(int(rest.json["id"]))))
    assert bookings(booking_shop["tenant"])[0].status == BookingStatus.CANCELLED
    assert [n["left"] for n in availability(client, booking_shop["rooms"], monday, monday).json["nights"]] == [2]
    assert _sku_stock(booking_shop["tenant"], booking_shop["room"]) == 0


def test_the_unpaid_order_timing_out_frees_its_session_tickets(client, booking_shop):
    from engines.orders.tasks import cancel_unpaid
    from flask import current_app

    session = str(booking_shop["session"])
    answers = {"name": "Han Meimei", "phone": "13900139000"}
    assert book(client, booking_shop, booking_shop["vip"], {"session_id": session, "answers": answers}).status_code == 201
    cancel_unpaid(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=3))
    current_app.extensions["tessera_jobs"].drain()
    assert bookings(booking_shop["tenant"])[0].status == BookingStatus.CANCELLED
    again = book(client, booking_shop, booking_shop["vip"], {"session_id": session, "answers": answers})
    assert again.status_code == 201, again.json


def test_a_day_before_the_start_a_reminder_is_sent_once(client, booking_shop):
    from core.events import OutboxEvent
    from engines.booking.tasks import remind_upcoming
    from tests.engines.orders.test_orders import pay

    day = days_ahead(7)
    order = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "10:00")}).json["order"]
    pay(client, booking_shop, order)
    start = dt.datetime.fromisoformat(at(day, "10:00"))
    assert remind_upcoming(now=start - dt.timedelta(hours=30)) == 0
    assert remind_upcoming(now=start - dt.timedelta(hours=20)) == 1
    assert remind_upcoming(now=start - dt.timedelta(hours=19)) == 0
    with tenant_scope(booking_shop["tenant"]):
        [sent] = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "booking.reminder.v1")).all()
    assert sent.payload["name"] == "Deep cleaning" and sent.payload["order_id"] == order["id"]
    # the consumer finds it in their inbox, once however often the event comes
    from engines.membership.tasks import on_booking_reminder

    with tenant_scope(booking_shop["tenant"]):
        on_booking_reminder(sent.payload, sent)
        db.session.commit()
    inbox = client.get("/api/v1/me/inbox", headers=booking_shop["headers"]).json
    assert [(m["kind"], m["title"], m["body"]) for m in inbox["messages"]] == [
        ("booking_reminder", "Deep cleaning", f"{day.isoformat()} 10:00")]  # the shop's clock
    assert inbox["unread"] == 1


def test_cancellation_rules_refund_all_until_a_day_before_then_half(client, booking_shop):
    from engines.booking.bookings import cancel_booking, find_booking
    from tests.engines.orders.test_orders import as_shop, get_order, pay

    day = days_ahead(7)
    start = dt.datetime.fromisoformat(at(day, "14:00"))
    early = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "14:00")}).json["order"]
    late = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "14:00")}).json["order"]
    for order in (early, late):
        pay(client, booking_shop, order)
    first, second = bookings(booking_shop["tenant"])
    consumer = booking_shop["consumer"].id
    as_shop(booking_shop, lambda: cancel_booking(find_booking(first.id), consumer_id=consumer,
                                                 now=start - dt.timedelta(hours=25)))
    as_shop(booking_shop, lambda: cancel_booking(find_booking(second.id), consumer_id=consumer,
                                                 now=start - dt.timedelta(hours=3)))
    assert get_order(client, booking_shop, early["id"])["refunded"]["amount"] == 30000
    assert get_order(client, booking_shop, late["id"])["refunded"]["amount"] == 15000
    assert [b.status for b in bookings(booking_shop["tenant"])] == [BookingStatus.CANCELLED] * 2
    slot = next(s for s in availability(client, booking_shop["service"], day, day).json["days"][0]["slots"]
                if s["start"] == start.astimezone(dt.UTC).isoformat())
    assert slot["left"] == 2 and len(slot["staff_ids"]) == 2


def test_a_booking_cannot_be_cancelled_once_started_unpaid_or_by_another_consumer(client, booking_shop,
                                                                                   create_consumer):
    from core.consumers import issue_token
    from engines.booking.bookings import cancel_booking, find_booking
    from tests.engines.orders.test_orders import as_shop, pay

    day = days_ahead(7)
    order = book(client, booking_shop, booking_shop["cleaning"], {"start": at(day, "08:00")}).json["order"]
    [held] = bookings(booking_shop["tenant"])
    unpaid = client.post(f"/api/v1/me/bookings/{held.id}/cancel", headers=booking_shop["headers"])
    assert (unpaid.status_code, unpaid.json["error"]["code"]) == (409, "booking_not_cancellable")
    pay(client, booking_shop, order)
    with tenant_scope(booking_shop["tenant"]):
        other = {"Authorization": f"Bearer {issue_token(create_consumer(booking_shop['tenant']))}"}
        db.session.commit()
    assert client.post(f"/api/v1/me/bookings/{held.id}/cancel", headers=other).status_code == 404
    started = dt.datetime.fromisoformat(at(day, "08:30"))
    import pytest

    with pytest.raises(Exception, match="not started"):
        as_shop(booking_shop, lambda: cancel_booking(find_booking(held.id), consumer_id=booking_shop["consumer"].id,
                                                     now=started))
    cancelled = client.post(f"/api/v1/me/bookings/{held.id}/cancel", headers=booking_shop["headers"])
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["after_sale"]["amount"]["amount"] == 30000
    again = client.post(f"/api/v1/me/bookings/{held.id}/cancel", headers=booking_shop["headers"])
    assert again.status_code == 409

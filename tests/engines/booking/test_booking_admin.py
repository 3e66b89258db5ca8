"""The booking back office: the schedule by staff (a day, a week) with the bookings and the blocks,
time closed and opened again from it (a wrong form closes nothing), the rooms' month, the bookings
list, a booking's page where the day's steps are marked with photos (arrival, completion — which
completes the order — and a no-show, told as an event), each step once, never too early; the
housekeeper's own phone page showing and marking only their own bookings; clerks kept out of the
manager's pages; another shop's bookings unseen."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from core.db import db
from core.events import OutboxEvent
from core.identities import StaffMember
from core.media import Media
from core.tenancy import tenant_scope
from engines.booking.models import Booking, BookingBlock, BookingStaff, BookingStatus
from engines.orders.models import Order, OrderStatus
from tests.engines.booking.conftest import at, days_ahead
from tests.engines.booking.test_booking import book, bookings
from tests.engines.membership.test_membership_admin import audited

PAGES = "/merchant/booking"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, "PNG")
    return out.getvalue()


def paid_cleaning(client, shop, *, staff: str = "ann", starts_in: dt.timedelta = dt.timedelta(hours=1)) -> Booking:
    """A paid cleaning served by `staff`, moved to start `starts_in` from now (booked a week ahead:
    the slot rules are the checkout's; the day's steps are about the clock)."""
    from tests.engines.orders.test_orders import pay

    placed = book(client, shop, shop["cleaning"], {"start": at(days_ahead(7), "14:00"), "staff_id": str(shop[staff]),
                                                   "address_id": shop["address"]})
    assert placed.status_code == 201, placed.json
    pay(client, shop, placed.json["order"])
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + starts_in
    with tenant_scope(shop["tenant"]):
        booking_id = db.session.scalar(select(Booking.id).where(Booking.order_id == int(placed.json["order"]["id"])))
        db.session.execute(update(Booking).where(Booking.id == booking_id)
                           .values(starts_at=starts, ends_at=starts + dt.timedelta(hours=2)))
        db.session.commit()
    return next(b for b in bookings(shop["tenant"]) if b.id == booking_id)


def step(client, form_post, path: str, name: str, *files: tuple[bytes, str]):
    data = {"photos": [(io.BytesIO(content), filename) for content, filename in files]} if files else {}
    return form_post(f"{path}/{name}", data, page=path, content_type="multipart/form-data")


def local_day(moment: dt.datetime) -> str:
    from tests.engines.booking.conftest import SHANGHAI

    return moment.astimezone(SHANGHAI).date().isoformat()


def test_the_schedule_shows_the_days_bookings_by_staff_and_closes_time(client, enter, form_post, booking_shop):
    cleaning = paid_cleaning(client, booking_shop, starts_in=dt.timedelta(days=2))
    enter("manager")
    day = local_day(cleaning.starts_at)
    page = client.get(f"{PAGES}/?date={day}").get_data(as_text=True)
    assert f'data-booking="{cleaning.id}"' in page and "Deep cleaning" in page and "Li Lei" in page
    row = page[page.index(f'data-staff="{booking_shop["ann"]}"'):page.index(f'data-staff="{booking_shop["bea"]}"')]
    assert f'data-booking="{cleaning.id}"' in row  # in Ann's row
    week = client.get(f"{PAGES}/?date={day}&view=week").get_data(as_text=True)
    assert f'data-booking="{cleaning.id}"' in week and week.count('<td class="booking-day">') == 7 * 2  # Ann, Bea

    # a day off for Bea: said on the schedule, her slots go, the audit has it
    closed = form_post(f"{PAGES}/blocks", {"target": f"staff:{booking_shop['bea']}", "from_day": day,
                                           "from_time": "00:00", "to_day": day, "to_time": "23:59",
                                           "note": "Annual leave"}, page=f"{PAGES}/", follow_redirects=True)
    assert closed.status_code == 200 and "Closed from" in closed.get_data(as_text=True)
    assert "Annual leave" in closed.get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        [block] = db.session.scalars(select(BookingBlock)).all()
        assert block.staff_id == booking_shop["bea"]
    assert [e.target for e in audited(booking_shop["tenant"], "booking_block.create")] == [f"booking_block {block.id}"]

    # wrong forms close nothing and say why
    for wrong in ({"target": "", "from_day": day, "to_day": day},
                  {"target": f"staff:{booking_shop['ann']}", "from_day": day, "from_time": "18:00", "to_day": day,
                   "to_time": "09:00"},
                  {"target": f"staff:{booking_shop['ann']}", "from_day": "not a day", "to_day": day},
                  {"target": "staff:999999", "from_day": day, "to_day": day}):
        refused = form_post(f"{PAGES}/blocks", wrong, page=f"{PAGES}/", follow_redirects=True)
        assert refused.status_code in (200, 404) and "Nothing was closed" in refused.get_data(as_text=True), wrong
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(BookingBlock)) == 1

    opened = form_post(f"{PAGES}/blocks/{block.id}/delete", {}, page=f"{PAGES}/?date={day}", follow_redirects=True)
    assert opened.status_code == 200 and "Open again." in opened.get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(BookingBlock)) == 0


def test_the_rooms_month_shows_rooms_left_each_night(client, enter, booking_shop):
    from tests.engines.orders.test_orders import pay

    first = days_ahead(3)
    placed = book(client, booking_shop, booking_shop["room"],
                  {"from": first.isoformat(), "to": (first + dt.timedelta(days=2)).isoformat()})
    pay(client, booking_shop, placed.json["order"])
    enter("manager")
    page = client.get(f"{PAGES}/rooms?month={first:%Y-%m}").get_data(as_text=True)
    assert "Garden room" in page and "2 rooms" in page
    cell = page[page.index(f'data-night="{first.isoformat()}"'):]
    assert cell[:cell.index("</td>")].endswith(">1")  # one of two rooms left
    assert client.get(f"{PAGES}/rooms?month=garbage").status_code == 200


def test_bookings_list_filters_by_status_and_resource(client, enter, booking_shop):
    cleaning = paid_cleaning(client, booking_shop, starts_in=dt.timedelta(days=1))
    held = book(client, booking_shop, booking_shop["cleaning"], {"start": at(days_ahead(8), "10:00")})
    assert held.status_code == 201
    enter("manager")
    everything = client.get(f"{PAGES}/bookings").get_data(as_text=True)
    assert everything.count("data-booking=") == 2
    confirmed = client.get(f"{PAGES}/bookings?status=confirmed").get_data(as_text=True)
    assert f'data-booking="{cleaning.id}"' in confirmed and confirmed.count("data-booking=") == 1
    rooms = client.get(f"{PAGES}/bookings?resource={booking_shop['rooms']}").get_data(as_text=True)
    assert "data-booking=" not in rooms and "No bookings from this day on." in rooms
    assert client.get(f"{PAGES}/bookings?from=x&status=x&resource=x").status_code == 200


def test_a_service_is_marked_arrived_then_completed_with_photos_and_its_order_completes(
        client, enter, form_post, booking_shop):
    cleaning = paid_cleaning(client, booking_shop)
    enter("manager")
    path = f"{PAGES}/bookings/{cleaning.id}"
    page = client.get(path).get_data(as_text=True)
    assert 'data-step="arrive"' in page and 'data-step="complete"' in page and 'data-step="no_show"' not in page
    assert "2 Nanjing Rd" in page

    arrived = step(client, form_post, path, "arrive", (png(), "door.png"))
    assert arrived.status_code == 302
    [row] = [b for b in bookings(booking_shop["tenant"]) if b.id == cleaning.id]
    assert row.status == BookingStatus.IN_PROGRESS and row.arrived_at is not None
    assert [p["stage"] for p in row.photos] == ["arrival"]
    with tenant_scope(booking_shop["tenant"]):
        media_before = db.session.scalar(select(func.count()).select_from(Media))
    again = step(client, form_post, path, "arrive", (png(), "door-again.png"))
    assert "not at this step" in client.get(again.headers["Location"]).get_data(as_text=True)
    too_many = step(client, form_post, path, "complete", *[(png(), f"{n}.png") for n in range(10)])
    assert "At most 9 photos" in client.get(too_many.headers["Location"]).get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):  # a refused step stores no photo
        assert db.session.scalar(select(func.count()).select_from(Media)) == media_before

    # a file that is no image: told so, nothing stored, the step not taken
    with tenant_scope(booking_shop["tenant"]):
        media_before = db.session.scalar(select(func.count()).select_from(Media))
    refused = step(client, form_post, path, "complete", (b"%PDF-1.4 not an image", "report.pdf"))
    assert "not a PNG, JPEG, GIF or WebP" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(Media)) == media_before
    assert next(b for b in bookings(booking_shop["tenant"]) if b.id == cleaning.id).status == BookingStatus.IN_PROGRESS

    done = step(client, form_post, path, "complete", (png(), "kitchen.png"), (png(), "bath.png"))
    assert done.status_code == 302
    row = next(b for b in bookings(booking_shop["tenant"]) if b.id == cleaning.id)
    assert row.status == BookingStatus.COMPLETED and [p["stage"] for p in row.photos] == ["arrival", "completion",
                                                                                          "completion"]
    with tenant_scope(booking_shop["tenant"]):
        order = db.session.scalar(select(Order).where(Order.id == row.order_id)
                                  .execution_options(populate_existing=True))
        assert order.status == OrderStatus.COMPLETED
    shown = client.get(path).get_data(as_text=True)
    assert shown.count("<figure") == 3 and "data-step=" not in shown
    assert [e.action for e in audited(booking_shop["tenant"], "booking.complete")] == ["booking.complete"]


def test_steps_are_refused_too_early_and_a_no_show_is_told(client, enter, form_post, booking_shop):
    later = paid_cleaning(client, booking_shop, starts_in=dt.timedelta(days=1))
    enter("manager")
    path = f"{PAGES}/bookings/{later.id}"
    assert "data-step=" not in client.get(path).get_data(as_text=True)
    early = step(client, form_post, path, "arrive")
    assert "too early" in client.get(early.headers["Location"]).get_data(as_text=True)
    missed = paid_cleaning(client, booking_shop, staff="bea", starts_in=-dt.timedelta(minutes=20))
    path = f"{PAGES}/bookings/{missed.id}"
    assert 'data-step="no_show"' in client.get(path).get_data(as_text=True)
    assert step(client, form_post, path, "no_show").status_code == 302
    assert next(b for b in bookings(booking_shop["tenant"]) if b.id == missed.id).status == BookingStatus.NO_SHOW
    with tenant_scope(booking_shop["tenant"]):
        [told] = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "booking.no_show.v1")).all()
    assert told.payload["booking_id"] == str(missed.id)
    assert client.post(f"{path}/fly", data={}).status_code in (400, 404)


def test_a_housekeeper_sees_and_marks_only_their_own_bookings(client, enter, form_post, booking_shop):
    from engines.booking.resources import find_staff, update_staff

    anns = paid_cleaning(client, booking_shop)
    beas = paid_cleaning(client, booking_shop, staff="bea")
    anns, beas = (SimpleNamespace(id=anns.id, day=local_day(anns.starts_at)), SimpleNamespace(id=beas.id))
    clerk = enter("clerk")
    assert "not linked" in client.get(f"{PAGES}/mine").get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        account = db.session.scalar(select(StaffMember.id).where(StaffMember.identity_id == clerk.id))
        update_staff(find_staff(booking_shop["ann"]), account_id=str(account))
        db.session.commit()
    mine = client.get(f"{PAGES}/mine").get_data(as_text=True)
    assert f'data-booking="{anns.id}"' in mine and f'data-booking="{beas.id}"' not in mine
    assert f'data-day="{anns.day}"' in mine  # an hour from now: "Today", or tomorrow's date after 23:00 in the shop
    assert ("Today" in mine) == (anns.day == local_day(dt.datetime.now(dt.UTC)))
    for path in ("/", "/bookings", f"/bookings/{anns.id}", "/rooms"):
        assert client.get(PAGES + path).status_code == 403, path  # the manager's pages
    assert client.get(f"{PAGES}/mine/{beas.id}").status_code == 404
    assert form_post(f"{PAGES}/mine/{beas.id}/arrive", {}, page=f"{PAGES}/mine").status_code == 404
    arrived = step(client, form_post, f"{PAGES}/mine/{anns.id}", "arrive", (png(), "door.png"))
    assert arrived.status_code == 302 and arrived.headers["Location"].endswith(f"/mine/{anns.id}")
    assert next(b for b in bookings(booking_shop["tenant"]) if b.id == anns.id).status == BookingStatus.IN_PROGRESS
    assert next(b for b in bookings(booking_shop["tenant"]) if b.id == beas.id).status == BookingStatus.CONFIRMED


def test_a_staff_profile_links_one_account_of_the_shop(booking_shop, tenant_b, create_staff):
    from core.errors import APIError
    from engines.booking.resources import find_staff, update_staff

    stranger = create_staff(tenant_b, "clerk")
    with tenant_scope(tenant_b):
        theirs = db.session.scalar(select(StaffMember.id).where(StaffMember.identity_id == stranger.id))
    with tenant_scope(booking_shop["tenant"]):
        with pytest.raises(APIError) as refused:
            update_staff(find_staff(booking_shop["ann"]), account_id=str(theirs))
        assert "account_id" in refused.value.fields
        db.session.rollback()
        assert db.session.scalar(select(BookingStaff.user_id).where(BookingStaff.id == booking_shop["ann"])) is None


def test_another_shops_booking_is_not_found(client, booking_shop, tenant_b, create_staff, sign_in):
    cleaning = paid_cleaning(client, booking_shop)
    other = create_staff(tenant_b, "manager")
    sign_in("merchant", other.email)
    client.get("/merchant/shops")
    assert client.get(f"{PAGES}/bookings/{cleaning.id}").status_code == 404
    assert f'data-booking="{cleaning.id}"' not in client.get(f"{PAGES}/bookings").get_data(as_text=True)


def test_a_manager_adds_a_housekeeper_and_wrong_fields_are_named(client, enter, form_post, booking_shop):
    manager = enter("manager")
    with tenant_scope(booking_shop["tenant"]):
        account = db.session.scalar(select(StaffMember.id).where(StaffMember.identity_id == manager.id))
        before = db.session.scalar(select(func.count()).select_from(BookingStaff))
    good = {"name": "Chen Jing", "phone": "13600136000", "bio": "Ten years of deep cleaning",
            "resource_ids": [str(booking_shop["service"])], "qualification0_name": "Health certificate",
            "qualification1_name": "Skill certificate",
            "day0_works": "y", "day0_from": "08:00", "day0_to": "17:00", "day5_works": "y", "day5_from": "10:00",
            "day5_to": "14:00", "account_id": str(account), "active": "y"}
    wrong = {**good, "name": "", "phone": "call me", "day0_to": "07:00", "resource_ids": [str(booking_shop["rooms"])]}
    refused = form_post(f"{PAGES}/staff/new", wrong, page=f"{PAGES}/staff/new")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and page.count("invalid-feedback") >= 3 and "call me" in page
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(BookingStaff)) == before
    saved = form_post(f"{PAGES}/staff/new", good, page=f"{PAGES}/staff/new", follow_redirects=True)
    listed = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Chen Jing saved." in listed and "Health certificate" in listed
    with tenant_scope(booking_shop["tenant"]):
        made = db.session.scalars(select(BookingStaff).where(BookingStaff.name == "Chen Jing")).one()
        assert made.hours == [[["08:00", "17:00"]], [], [], [], [], [["10:00", "14:00"]], []]
        assert made.user_id == account and made.resource_ids == [str(booking_shop["service"])]
        assert [q["name"] for q in made.qualifications] == ["Health certificate", "Skill certificate"]
        made_id = made.id
    assert [e.action for e in audited(booking_shop["tenant"], "booking_staff.create")] == ["booking_staff.create"]

    # a second profile cannot take the same account; the first one's form shows as saved
    taken = form_post(f"{PAGES}/staff/{booking_shop['ann']}", {**good, "name": "Ann"},
                      page=f"{PAGES}/staff/{booking_shop['ann']}")
    assert taken.status_code == 400 and "Another staff profile is linked" in taken.get_data(as_text=True)
    shown = client.get(f"{PAGES}/staff/{made_id}").get_data(as_text=True)
    assert 'value="17:00"' in shown and "Skill certificate" in shown
    assert client.get(f"{PAGES}/staff/999").status_code == 404

    # a photo and the health certificate's: stored as the shop's media, kept by the next save; a
    # file that is not an image is named beside its row and nothing is stored
    mine = f"{PAGES}/staff/{made_id}"
    with_photos = {**good, "photo": (io.BytesIO(png()), "chen.png"),
                   "qualification0_image": (io.BytesIO(png()), "health.png")}
    assert form_post(mine, with_photos, page=mine, content_type="multipart/form-data").status_code == 302
    with tenant_scope(booking_shop["tenant"]):
        made = db.session.get(BookingStaff, (booking_shop["tenant"].id, made_id))
        photo, certificate = made.photo, made.qualifications[0]["image"]
    assert photo.startswith("media:") and certificate.startswith("media:") and not made.qualifications[1]["image"]
    shown = client.get(mine).get_data(as_text=True)
    assert "data-staff-photo" in shown and "data-certificate" in shown
    kept = {**good, "qualification0_kept": certificate, "qualification1_name": "Senior skill certificate"}
    assert form_post(mine, kept, page=mine, content_type="multipart/form-data").status_code == 302
    with tenant_scope(booking_shop["tenant"]):
        made = db.session.get(BookingStaff, (booking_shop["tenant"].id, made_id))
        assert (made.photo, made.qualifications[0]["image"]) == (photo, certificate)
        assert made.qualifications[1]["name"] == "Senior skill certificate"
        media_before = db.session.scalar(select(func.count()).select_from(Media))
    not_image = {**good, "photo": (io.BytesIO(png()), "new.png"),
                 "qualification1_image": (io.BytesIO(b"%PDF-1.4 not an image"), "skill.pdf")}
    refused = form_post(mine, not_image, page=mine, content_type="multipart/form-data")
    assert refused.status_code == 400 and "PNG, JPEG, GIF or WebP" in refused.get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(Media)) == media_before
    forged = form_post(mine, {**good, "qualification0_kept": "javascript:alert(1)"}, page=mine,
                       content_type="multipart/form-data")
    assert forged.status_code == 400
    enter("clerk")
    assert client.get(f"{PAGES}/staff").status_code == 403


def test_a_manager_makes_a_service_bookable_and_changes_a_room_type(client, enter, form_post, booking_shop):
    from engines.booking.models import BookableResource
    from engines.catalog.services import create_item

    with tenant_scope(booking_shop["tenant"]):
        repair = create_item(kind="service", name="Appliance repair", price=15000, status="on_sale")
        create_item(kind="physical", name="Mop", price=3000, status="on_sale")
        db.session.commit()
        repair_id = repair.id
    enter("manager")
    listed = client.get(f"{PAGES}/resources").get_data(as_text=True)
    assert "Deep cleaning" in listed and "Garden room" in listed and "100% back from 24 h before" in listed
    pick = client.get(f"{PAGES}/resources/new").get_data(as_text=True)
    assert "Appliance repair" in pick and "Mop" not in pick and "Deep cleaning" not in pick  # bookable already

    form = f"{PAGES}/resources/new?item_id={repair_id}"
    good = {"item_id": str(repair_id), "save": "y", "capacity": "3", "duration_minutes": "90", "step_minutes": "30",
            "staffed": "y", "day0_works": "y", "day0_from": "09:00", "day0_to": "17:00", "lead_hours": "2",
            "horizon_days": "30", "rule0_hours": "24", "rule0_percent": "100", "rule1_hours": "2",
            "rule1_percent": "30", "active": "y"}
    wrong = {**good, "capacity": "many", "step_minutes": "1", "day0_to": "08:00", "rule2_hours": "x",
             "rule2_percent": "200"}
    refused = form_post(form, wrong, page=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and page.count("invalid-feedback") >= 3 and 'value="many"' in page
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(BookableResource.id).where(BookableResource.item_id == repair_id)) is None
    saved = form_post(form, good, page=form, follow_redirects=True)
    assert saved.status_code == 200 and "Appliance repair: booking saved." in saved.get_data(as_text=True)
    with tenant_scope(booking_shop["tenant"]):
        made = db.session.scalars(select(BookableResource).where(BookableResource.item_id == repair_id)).one()
        assert (made.capacity, made.duration_minutes, made.step_minutes, made.staffed, made.lead_minutes,
                made.horizon_days) == (3, 90, 30, True, 120, 30)
        assert made.hours == [[["09:00", "17:00"]], [], [], [], [], [], []]
        assert made.cancellation == [{"hours_before": 24, "refund_percent": 100},
                                     {"hours_before": 2, "refund_percent": 30}]
    assert [e.action for e in audited(booking_shop["tenant"], "booking_resource.create")] == ["booking_resource.create"]

    rooms = f"{PAGES}/resources/{booking_shop['rooms']}"
    shown = client.get(rooms).get_data(as_text=True)
    assert 'value="520.00"' in shown and "Rooms of this type" in shown
    changed = form_post(rooms, {"save": "y", "capacity": "3", "min_stay": "2", "max_stay": "1", "weekend_price": "",
                                "lead_hours": "0", "horizon_days": "90", "active": "y"}, page=rooms)
    assert changed.status_code == 400 and "Not below the minimum stay" in changed.get_data(as_text=True)
    changed = form_post(rooms, {"save": "y", "capacity": "3", "min_stay": "2", "max_stay": "7", "weekend_price": "",
                                "lead_hours": "0", "horizon_days": "90", "active": "y"}, page=rooms)
    assert changed.status_code == 302
    with tenant_scope(booking_shop["tenant"]):
        room = db.session.scalar(select(BookableResource).where(BookableResource.id == booking_shop["rooms"])
                                 .execution_options(populate_existing=True))
        assert (room.capacity, room.min_stay, room.max_stay, room.weekend_price) == (3, 2, 7, None)
    assert client.get(f"{PAGES}/resources/999").status_code == 404


def test_a_room_types_seasons_and_an_events_registration_form_are_set_in_the_back_office(
        client, enter, form_post, publish_document, booking_shop):
    from engines.booking.models import BookableResource
    from tests.engines.booking.test_booking_storefront import shop_document

    enter("manager")
    publish_document(booking_shop["tenant"], shop_document({"type": "title", "settings": {"text": "Hi"}}))
    rooms = f"{PAGES}/resources/{booking_shop['rooms']}"
    base = {"save": "y", "capacity": "2", "min_stay": "1", "max_stay": "7", "weekend_price": "520.00",
            "lead_hours": "0", "horizon_days": "90", "active": "y"}
    refused = form_post(rooms, {**base, "season0_from": "2027-02-10", "season0_price": "a lot"}, page=rooms)
    assert refused.status_code == 400 and "Each season: the first and the last night" in refused.get_data(as_text=True)
    backwards = form_post(rooms, {**base, "season0_from": "2027-02-20", "season0_to": "2027-02-10",
                                  "season0_price": "680"}, page=rooms)
    assert backwards.status_code == 400 and "A season ends on or after the day it begins." in backwards.get_data(
        as_text=True)
    saved = form_post(rooms, {**base, "season0_from": "2027-02-10", "season0_to": "2027-02-20",
                              "season0_price": "680.00", "season0_weekend": "780", "season2_from": "2027-10-01",
                              "season2_to": "2027-10-07", "season2_price": "720"}, page=rooms)
    assert saved.status_code == 302
    with tenant_scope(booking_shop["tenant"]):
        room = db.session.get(BookableResource, (booking_shop["tenant"].id, booking_shop["rooms"]),
                              populate_existing=True)
        assert room.seasons == [{"from": "2027-02-10", "to": "2027-02-20", "price": 68000, "weekend_price": 78000},
                                {"from": "2027-10-01", "to": "2027-10-07", "price": 72000, "weekend_price": None}]
    assert 'value="680.00"' in client.get(rooms).get_data(as_text=True)

    event = f"{PAGES}/resources/{booking_shop['event']}"
    shown = client.get(event).get_data(as_text=True)
    assert 'name="question0_label" maxlength="60" value="Name"' in shown and 'value="phone" selected' in shown
    base = {"save": "y", "capacity": "1", "lead_hours": "0", "horizon_days": "90", "active": "y"}
    no_choices = form_post(event, {**base, "question0_key": "name", "question0_label": "Full name",
                                   "question1_label": "T-shirt size", "question1_type": "choice"}, page=event)
    assert no_choices.status_code == 400 and "lists them, separated by commas" in no_choices.get_data(as_text=True)
    saved = form_post(event, {**base, "question0_key": "name", "question0_label": "Full name",
                              "question0_type": "text", "question0_required": "y",
                              "question1_label": "T-shirt size", "question1_type": "choice",
                              "question1_choices": "S, M, L,", "question2_label": "公司", "question2_type": "text"},
                      page=event)
    assert saved.status_code == 302
    with tenant_scope(booking_shop["tenant"]):
        gala = db.session.get(BookableResource, (booking_shop["tenant"].id, booking_shop["event"]),
                              populate_existing=True)
        assert gala.form_fields == [
            {"key": "name", "label": "Full name", "type": "text", "required": True, "choices": []},
            {"key": "q1", "label": "T-shirt size", "type": "choice", "required": False, "choices": ["S", "M", "L"]},
            {"key": "q2", "label": "公司", "type": "text", "required": False, "choices": []}]
    asked = client.get(f"/s/{booking_shop['tenant'].slug}/view/bookable?id={booking_shop['event']}")
    assert "T-shirt size" in asked.get_data(as_text=True) and "公司" in asked.get_data(as_text=True)


def test_the_registrants_of_an_event_download_as_csv_with_their_answers(client, enter, booking_shop):
    import csv as csv_module

    for answers in ({"name": "Han Meimei", "phone": "13900139000"}, {"name": "=HYPERLINK(\"x\")", "phone": "13900139001"}):
        placed = book(client, booking_shop, booking_shop["standard"],
                      {"session_id": str(booking_shop["session"]), "answers": answers})
        assert placed.status_code == 201, placed.json
    book(client, booking_shop, booking_shop["cleaning"], {"start": at(days_ahead(7), "10:00")})
    enter("manager")
    page = client.get(f"{PAGES}/bookings?resource={booking_shop['event']}").get_data(as_text=True)
    assert f"/bookings.csv?resource={booking_shop['event']}" in page
    got = client.get(f"{PAGES}/bookings.csv?resource={booking_shop['event']}")
    assert got.status_code == 200 and got.mimetype == "text/csv" and "attachment" in got.headers["Content-Disposition"]
    rows = list(csv_module.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert [(row["what"], row["answer:name"], row["answer:phone"]) for row in rows] == [
        ("New Year gala", "Han Meimei", "13900139000"), ("New Year gala", "'=HYPERLINK(\"x\")", "13900139001")]
    assert all(row["status"] == "held" and row["places"] == "1" for row in rows)
    everything = client.get(f"{PAGES}/bookings.csv").get_data(as_text=True)
    assert everything.count("\n") == 4  # the header and three bookings
    odd = client.get(f"{PAGES}/bookings?_external=1&_scheme=javascript&_anchor=x").get_data(as_text=True)
    link = odd[odd.index('id="bookings-csv"'):].split(">", 1)[0]
    assert "javascript:" not in link and "#x" not in link and "_scheme" not in link  # only the filters reach it
    enter("clerk")
    assert client.get(f"{PAGES}/bookings.csv").status_code == 403


def test_an_events_sessions_and_quotas_are_added_in_the_back_office(client, enter, form_post, booking_shop):
    from engines.booking.models import EventSession, TicketQuota

    enter("manager")
    page = f"{PAGES}/resources/{booking_shop['event']}"
    shown = client.get(page).get_data(as_text=True)
    assert "Grand hall" in shown and "Standard left" in shown and "VIP seats" in shown
    day = days_ahead(30).isoformat()
    added = form_post(f"{page}/sessions", {"day": day, "starts": "19:00", "ends": "21:30", "place": "Small hall"},
                      page=page, follow_redirects=True)
    assert "Session added." in added.get_data(as_text=True) and f"{day} 19:00–21:30" in added.get_data(as_text=True)
    refused = form_post(f"{page}/sessions", {"day": day, "starts": "21:00", "ends": "19:00"}, page=page,
                        follow_redirects=True)
    assert "A session ends after it starts." in refused.get_data(as_text=True)
    quota = form_post(f"{page}/quotas", {"name": "Balcony", "size": "40", "sku_ids": [booking_shop["vip"]]}, page=page,
                      follow_redirects=True)
    assert "Quota Balcony added." in quota.get_data(as_text=True)
    for wrong, said in (({"name": "", "size": "4", "sku_ids": [booking_shop["vip"]]}, "Give the quota a name"),
                        ({"name": "X", "size": "many", "sku_ids": [booking_shop["vip"]]}, "a whole number"),
                        ({"name": "X", "size": "4"}, "Choose the ticket types"),
                        ({"name": "X", "size": "4", "sku_ids": [booking_shop["cleaning"]]}, "ticket types (SKUs) of this")):
        assert said in form_post(f"{page}/quotas", wrong, page=page, follow_redirects=True).get_data(as_text=True), wrong
    with tenant_scope(booking_shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(EventSession)) == 2
        assert db.session.scalar(select(func.count()).select_from(TicketQuota)) == 3
    assert form_post(f"{PAGES}/resources/{booking_shop['service']}/sessions", {"day": day, "starts": "09:00",
                                                                                "ends": "10:00"}, page=page).status_code == 404

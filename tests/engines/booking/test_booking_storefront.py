"""The booking engine's storefront: the list of services, events or rooms (each opening its
booking page), the staff list with qualifications, the booking page of each shape (its picker's
module with every string it shows, the cancellation rules said), the generic page a shop without a
booking page links to, and pages that end their cache when what they show changes."""

from __future__ import annotations

import re

from core.components import registry
from core.db import db
from core.tenancy import tenant_scope
from engines.booking.models import BookableResource
from engines.booking.resources import update_resource, update_staff
from tests.engines.membership.test_member_components import STATIC, _covered, _used_strings


def shop_document(*sections, book_page: bool = True) -> dict:
    body = {f"s{i}": s for i, s in enumerate(sections)}
    pages = {"home": {"title": "Home", "sections": body, "order": list(body)}}
    if book_page:
        pages["book"] = {"title": "Book", "kind": "bookable", "order": ["main"], "sections": {
            "main": {"type": "booking_detail", "settings": {"ask_address": True}}}}
    return {"schema_version": 1, "app": {"name": "Tidy home", "engines": ["catalog", "booking"]}, "pages": pages}


def _home(client, shop) -> str:
    return client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)


def test_the_list_shows_each_shape_with_what_it_costs_and_opens_its_booking_page(client, publish_document, booking_shop):
    slug = booking_shop["tenant"].slug
    publish_document(booking_shop["tenant"], shop_document(
        {"type": "bookable_list", "settings": {"title": "Services", "shape": "slot"}},
        {"type": "bookable_list", "settings": {"title": "What's on", "shape": "session"}},
        {"type": "bookable_list", "settings": {"title": "Rooms", "shape": "night"}}))
    home = _home(client, booking_shop)
    assert f'href="/s/{slug}/p/book?id={booking_shop["service"]}"' in home
    assert "Deep cleaning" in home and "120 minutes" in home and "From ¥300.00" in home
    assert "New Year gala" in home and "Grand hall" in home and "19:30" in home  # the next session, local time
    assert "Garden room" in home and "From ¥400.00 a night" in home


def test_a_resource_taken_off_sale_leaves_the_list_at_once(client, publish_document, booking_shop):
    publish_document(booking_shop["tenant"], shop_document({"type": "bookable_list", "settings": {"shape": "slot"}}))
    assert "Deep cleaning" in _home(client, booking_shop)
    with tenant_scope(booking_shop["tenant"]):
        update_resource(db.session.get(BookableResource, (booking_shop["tenant"].id, booking_shop["service"])),
                        active=False)
        db.session.commit()
    assert "Deep cleaning" not in _home(client, booking_shop) and "Nothing to book yet." in _home(client, booking_shop)


def test_the_staff_list_shows_who_serves_and_their_verified_qualifications(client, publish_document, booking_shop):
    publish_document(booking_shop["tenant"], shop_document({"type": "staff_list", "settings": {"title": "Our team"}}))
    home = _home(client, booking_shop)
    assert "Our team" in home and "Ann" in home and "Bea" in home
    assert "Health certificate" in home and "Verified" in home
    with tenant_scope(booking_shop["tenant"]):
        from engines.booking.resources import find_staff

        update_staff(find_staff(booking_shop["bea"]), active=False)
        db.session.commit()
    assert "Bea" not in _home(client, booking_shop)


def test_the_booking_page_of_a_service_has_its_facts_rules_staff_and_picker(client, publish_document, booking_shop):
    slug = booking_shop["tenant"].slug
    publish_document(booking_shop["tenant"], shop_document({"type": "title", "settings": {"text": "Hi"}}))
    page = client.get(f"/s/{slug}/p/book?id={booking_shop['service']}").get_data(as_text=True)
    assert "Deep cleaning" in page and "120 minutes" in page
    assert 'data-shape="slot"' in page and 'data-ask-address="true"' in page
    assert 'data-timezone="Asia/Shanghai"' in page  # the shop's clock, for the picker's times
    assert "Full refund if cancelled 24 hours or more before the start." in page
    assert "50% refunded if cancelled 0 hours or more before the start." in page
    assert "Health certificate" in page and f'src="/s/{slug}/h5/booking/booking.js"' in page
    staff = re.search(r'data-staff="(\[[^"]*)"', page).group(1)
    assert str(booking_shop["ann"]) in staff and str(booking_shop["bea"]) in staff


def test_the_booking_page_of_an_event_asks_its_registration_form_and_of_a_room_the_guests(
        client, publish_document, booking_shop):
    slug = booking_shop["tenant"].slug
    publish_document(booking_shop["tenant"], shop_document({"type": "title", "settings": {"text": "Hi"}}))
    event = client.get(f"/s/{slug}/p/book?id={booking_shop['event']}").get_data(as_text=True)
    assert 'data-shape="session"' in event and 'data-answer="name"' in event and 'type="tel"' in event
    assert "Standard · ¥50.00" in event and "VIP · ¥200.00" in event
    assert "Bookings are not refunded once paid." in event
    room = client.get(f"/s/{slug}/p/book?id={booking_shop['rooms']}").get_data(as_text=True)
    assert 'data-shape="night"' in room and 'name="guests"' in room and "Stays are 1 to 7 nights." in room


def test_a_booking_page_of_nothing_bookable_says_so(client, publish_document, booking_shop):
    slug = booking_shop["tenant"].slug
    publish_document(booking_shop["tenant"], shop_document({"type": "title", "settings": {"text": "Hi"}}))
    for asked in ("abc", "999999", str(booking_shop["service"]) + "0"):
        page = client.get(f"/s/{slug}/p/book?id={asked}")
        assert page.status_code == 200 and "This is not available to book." in page.get_data(as_text=True)


def test_a_shop_without_a_booking_page_links_to_the_plain_one(client, publish_document, booking_shop):
    slug = booking_shop["tenant"].slug
    publish_document(booking_shop["tenant"], shop_document({"type": "bookable_list", "settings": {"shape": "night"}},
                                                           book_page=False))
    link = f'/s/{slug}/view/bookable?id={booking_shop["rooms"]}'
    assert f'href="{link}"' in _home(client, booking_shop)
    page = client.get(link).get_data(as_text=True)
    assert "Garden room" in page and 'data-shape="night"' in page
    assert client.get(f"/s/{slug}/view/nothing?id=1").status_code == 404


def test_the_pickers_module_has_every_string_it_shows():
    for module, component in (("booking.js", "booking_detail"),):
        used = _used_strings(STATIC / "booking" / "static" / module)
        used |= _used_strings(STATIC / "catalog" / "static" / "reviews.js")
        assert used and _covered(used, registry.get(component).strings) == set()


def test_an_item_booked_by_time_opens_its_booking_page_from_the_catalog(client, publish_document, booking_shop):
    slug = booking_shop["tenant"].slug
    document = shop_document({"type": "item_grid", "settings": {"title": "All", "source": "newest", "count": 10}})
    document["pages"]["item"] = {"title": "Item", "kind": "item", "order": ["d"], "sections": {
        "d": {"type": "item_detail", "settings": {}}}}
    publish_document(booking_shop["tenant"], document)
    with tenant_scope(booking_shop["tenant"]):
        room_item = db.session.get(BookableResource, (booking_shop["tenant"].id, booking_shop["rooms"])).item_id
    home = _home(client, booking_shop)
    assert f'href="/s/{slug}/p/book?id={booking_shop["rooms"]}"' in home  # the card: its booking page
    assert f'/p/item?id={room_item}"' not in home
    item = client.get(f"/s/{slug}/p/item?id={room_item}").get_data(as_text=True)
    assert "data-sold-elsewhere" in item and "data-buy-now" not in item
    assert f'href="/s/{slug}/p/book?id={booking_shop["rooms"]}"' in item
    # no longer taking bookings: sold as the catalog sells it again, at once
    with tenant_scope(booking_shop["tenant"]):
        update_resource(db.session.get(BookableResource, (booking_shop["tenant"].id, booking_shop["rooms"])),
                        active=False)
        db.session.commit()
    assert f'/p/item?id={room_item}"' in _home(client, booking_shop)
    assert "data-buy-now" in client.get(f"/s/{slug}/p/item?id={room_item}").get_data(as_text=True)

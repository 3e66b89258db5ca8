"""The consumer's bookings page: a page of the member centre whose module has every string it
shows, and the API it reads names what was booked."""

from __future__ import annotations

from core.components import SYSTEM_PAGES, registry
from tests.engines.booking.conftest import at, days_ahead
from tests.engines.booking.test_booking import book
from tests.engines.membership.test_member_components import STATIC, _covered, _used_strings, document


def test_my_bookings_is_a_page_of_the_member_centre_with_every_string_it_shows(client, publish_document, tenant_a):
    assert SYSTEM_PAGES["bookings"].member_centre
    publish_document(tenant_a, document({"type": "title"}))
    html = client.get(f"/s/{tenant_a.slug}/my/bookings").get_data(as_text=True)
    assert 'data-app="my_bookings"' in html and f'src="/s/{tenant_a.slug}/h5/booking/bookings.js"' in html
    used = _used_strings(STATIC / "booking" / "static" / "bookings.js")
    assert used and _covered(used, registry.get("my_bookings").strings) == set()


def test_the_consumers_bookings_name_what_was_booked(client, booking_shop):
    placed = book(client, booking_shop, booking_shop["cleaning"], {"start": at(days_ahead(7), "10:00")})
    assert placed.status_code == 201
    mine = client.get("/api/v1/me/bookings?status=upcoming", headers=booking_shop["headers"]).json["bookings"]
    assert [(b["name"], b["status"]) for b in mine] == [("Deep cleaning", "held")]
    one = client.get(f"/api/v1/me/bookings/{mine[0]['id']}", headers=booking_shop["headers"]).json["booking"]
    assert one["name"] == "Deep cleaning"

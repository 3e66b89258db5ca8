"""The booking engine's page components: the consumer's bookings (a system page of the member
centre, /my/bookings), filled by static/bookings.js from the consumer API — upcoming and past, each
with what, when, its status and, while the shop's rules refund something, a Cancel button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import AppSection, SystemPage, register, register_system_page

register_system_page(SystemPage("bookings", _l("My bookings"), main="my_bookings", engine="booking",
                                member_centre=True))


@register
class MyBookings(AppSection):
    type = "my_bookings"
    label = _l("My bookings")
    icon = "calendar-event"
    engine = "booking"
    pages = ("bookings",)
    script = "bookings.js"
    strings = {"bookings_upcoming": _l("Upcoming"), "bookings_past": _l("Past"),
               "bookings_none": _l("No bookings here."), "bookings_more": _l("Load more"),
               "bookings_cancel": _l("Cancel booking"),
               "bookings_cancel_ask": _l("Cancel this booking? The shop's rules say how much is refunded."),
               "bookings_cancelled": _l("Cancelled: %(amount)s will be refunded.", amount="{amount}"),
               "bookings_places": _l("%(n)s places", n="{n}"), "bookings_order": _l("Order"),
               "bookings_nights": _l("%(from)s to %(to)s", **{"from": "{from}", "to": "{to}"}),
               "booking_held": _l("Awaiting payment"), "booking_confirmed": _l("Confirmed"),
               "booking_in_progress": _l("In progress"), "booking_completed": _l("Completed"),
               "booking_no_show": _l("Missed"), "booking_cancelled": _l("Cancelled")}

"""Booking (DESIGN.md §4, a vertical engine): catalog items booked by time in three shapes — a
service's time slots (a headcount per slot, served by staff who do it and are free), an event's
sessions (ticket types counted by overlapping quotas, a registration form) and a room type's nights
(rooms per night, stays of a minimum to a maximum, weekend and season prices, closed dates).
Availability is worked out from the capacity, the blocks and the bookings that hold it; a booking
is an order line, its capacity held when the order is placed (under the resource's lock: never
oversold), confirmed when it is paid, freed when the unpaid order is cancelled or times out, or
when it is refunded.

Staff mark the day's steps (arrival, completion with photos, no-show: engines.booking.attendance)
on the back office's schedule or, for their own bookings, on a phone page.

Offers other packages nothing yet: the checkout's booked lines are registered with the orders
engine (engines.booking.lines)."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission

ENGINE = Engine(
    name="booking", feature=True, label=_l("Booking"),
    description="Services by time slot with staff, event tickets by session, room nights: availability, holds and "
                "bookings.",
    depends_on=("catalog", "orders", "payments"),
    api=("engines.booking.api:bp",),
    back_office=("engines.booking.admin:bp",),
    admin_api=("engines.booking.admin_api:bp",),
    permissions=(Permission("booking.manage", _l("Manage bookable services, rooms, events, staff and bookings"),
                            roles=("manager",)),
                 Permission("booking.serve", _l("See one's own bookings and mark arrival, completion and no-shows"),
                            roles=("manager", "clerk"))),
    navigation=(NavEntry("booking_admin.schedule", _l("Bookings"), icon="calendar-event", permission="booking.manage",
                         order=28),
                NavEntry("booking_admin.mine", _l("My schedule"), icon="calendar-user", permission="booking.serve",
                         order=29)),
    components="engines.booking.components",
    tasks="engines.booking.tasks",
    events="engines.booking.events",
    booked_lines="engines.booking.lines",
    demo_data="engines.booking.demo:load",
)

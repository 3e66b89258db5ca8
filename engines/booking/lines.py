"""Registers the booking engine's checkout lines with the orders engine: a service's slot, a
ticket's session and a room's nights are booked by time (engines.booking.holds)."""

from engines.booking.holds import Booker
from engines.orders.services import register_line_booker

register_line_booker(("service", "ticket", "room"), Booker())

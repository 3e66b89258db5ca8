"""The events the booking engine emits (see core/events.py for the shape every payload has)."""

from __future__ import annotations

from marshmallow import fields

from core.events import EventPayload, declare_event, id_field


class BookingEvent(EventPayload):
    booking_id = id_field("The booking")
    order_id = id_field("Its order")
    consumer_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The consumer who booked (null for a booking staff made for a walk-in)"})
    resource_id = id_field("What is booked")
    starts_at = fields.String(required=True, metadata={"description": "When it starts (ISO 8601, UTC)"})


class BookingReminder(BookingEvent):
    name = fields.String(required=True, metadata={"description": "What is booked, as the shop names it"})


declare_event("booking.reminder.v1", BookingReminder,
              "A paid booking starts within a day (emitted once per booking, about a day before): remind the consumer "
              "and whoever serves it.")
declare_event("booking.no_show.v1", BookingEvent, "Staff marked a booking's consumer as not having come.")

"""What is booked and who serves it: a catalog item booked by time (`BookableResource`) in one of
three shapes — time slots of a service, sessions of an event (their tickets counted by
`TicketQuota`s), nights of a room type — the staff who serve services (`BookingStaff`), the times
taken out of sale (`BookingBlock`: a closed day, a room under repair, a housekeeper's day off), and
the bookings themselves (`Booking`, one per booked order line).

Availability is never stored: it is the capacity less the blocks and the bookings that still hold
it (`HOLDING`), worked out when asked (engines.booking.availability)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk


class Shape(enum.StrEnum):
    SLOT = "slot"  # a service at a start time for a duration (housekeeping, viewings)
    SESSION = "session"  # tickets for a session of an event
    NIGHT = "night"  # nights of a room type


SHAPE_OF_KIND = {"service": Shape.SLOT, "ticket": Shape.SESSION, "room": Shape.NIGHT}


class BookableResource(TenantModel):
    """A catalog item booked by time; its SKUs are what is sold (a service's grades, an event's
    ticket types, a room type's rate). Per shape:

    - slot: `capacity` bookings at once (a headcount), `duration_minutes` each, starting every
      `step_minutes` within the weekly `hours` ([[["09:00", "18:00"]], …], Monday first); `staffed`:
      each booking also takes a staff member who does the service and is free then;
    - session: the event's `sessions`, its tickets counted by quotas; `form_fields` asked of each
      ticket's holder ([{key, label, type: text|phone|email|number|choice, required, choices}]);
    - night: `capacity` rooms each night, stays of `min_stay` to `max_stay` nights, priced per night
      from the SKU's price, `weekend_price` (Friday and Saturday nights) and `seasons`
      ([{from, to, price, weekend_price}], dates inclusive).

    `cancellation`: refunds by time before the start, [{hours_before, refund_percent}] — the first
    rule whose hours the cancellation is at least that far ahead of gives its percentage; none: 0.
    `deposit_percent`: the consumer may pay only this part of the price online, the rest at the shop
    on the day (0: paid in full); what a late cancellation keeps then comes out of the deposit.
    `lead_minutes`: how long ahead a booking must be made; `horizon_days`: how far ahead it may."""

    __tablename__ = "booking_resources"
    __table_args__ = (UniqueConstraint("tenant_id", "item_id"),
                      CheckConstraint("capacity >= 0", name="capacity_not_negative"),
                      CheckConstraint("duration_minutes > 0 AND step_minutes > 0", name="durations_positive"),
                      CheckConstraint("min_stay >= 1 AND max_stay >= min_stay", name="stays_ordered"),
                      CheckConstraint("deposit_percent >= 0 AND deposit_percent < 100", name="deposit_a_part"))

    item_id: Mapped[int] = mapped_column(BigInteger)
    shape: Mapped[Shape] = mapped_column(str_enum(Shape))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    step_minutes: Mapped[int] = mapped_column(Integer, default=60)
    hours: Mapped[list] = mapped_column(JSON, default=list)
    staffed: Mapped[bool] = mapped_column(Boolean, default=False)
    form_fields: Mapped[list] = mapped_column(JSON, default=list)
    min_stay: Mapped[int] = mapped_column(Integer, default=1)
    max_stay: Mapped[int] = mapped_column(Integer, default=30)
    weekend_price: Mapped[int | None] = mapped_column(BigInteger)
    seasons: Mapped[list] = mapped_column(JSON, default=list)
    cancellation: Mapped[list] = mapped_column(JSON, default=list)
    deposit_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lead_minutes: Mapped[int] = mapped_column(Integer, default=0)
    horizon_days: Mapped[int] = mapped_column(Integer, default=90)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BookingStaff(TenantModel):
    """Someone who serves bookings (a housekeeper, a guide): what consumers see of them — a photo,
    a few words, their `qualifications` ([{name, image, verified}]: a health certificate, a skill
    certificate) — the services they do (`resource_ids`), their weekly working `hours` (as a
    resource's) and, when they sign in to the back office, their staff account (`user_id`)."""

    __tablename__ = "booking_staff"

    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), default="")
    photo: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(String(500), default="")
    qualifications: Mapped[list] = mapped_column(JSON, default=list)
    resource_ids: Mapped[list] = mapped_column(JSON, default=list)
    hours: Mapped[list] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionStatus(enum.StrEnum):
    ON_SALE = "on_sale"
    CLOSED = "closed"  # no more tickets sold; tickets held stay valid


class EventSession(TenantModel):
    """One date of an event: when and where."""

    __tablename__ = "booking_sessions"
    __table_args__ = (tenant_fk(["resource_id"], "booking_resources"),
                      CheckConstraint("ends_at > starts_at", name="session_ordered"),
                      Index("ix_booking_sessions_resource", "tenant_id", "resource_id", "starts_at"))

    resource_id: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus), default=SessionStatus.ON_SALE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketQuota(TenantModel):
    """pretix's quota: `size` tickets of the ticket types (SKUs) it counts, for one session or,
    `session_id` None, for each session of the event. Quotas may overlap: a ticket type sells while
    every quota it is in has room, and one in no quota does not sell."""

    __tablename__ = "booking_quotas"
    __table_args__ = (tenant_fk(["resource_id"], "booking_resources"),
                      CheckConstraint("size >= 0", name="quota_not_negative"))

    resource_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sku_ids: Mapped[list] = mapped_column(JSON, default=list)  # as strings
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BookingBlock(TenantModel):
    """Time taken out of sale by staff: `quantity` places of a resource (None: all of them — a
    closed date), or a staff member's time (`staff_id`: a day off, leave), over [starts_at, ends_at)."""

    __tablename__ = "booking_blocks"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="block_ordered"),
                      CheckConstraint("resource_id IS NOT NULL OR staff_id IS NOT NULL", name="block_of_something"),
                      Index("ix_booking_blocks_resource", "tenant_id", "resource_id", "starts_at"),
                      Index("ix_booking_blocks_staff", "tenant_id", "staff_id", "starts_at"))

    resource_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BookingStatus(enum.StrEnum):
    HELD = "held"  # its order awaits payment
    CONFIRMED = "confirmed"  # paid
    IN_PROGRESS = "in_progress"  # the staff member arrived, the guest checked in
    COMPLETED = "completed"  # served, checked out, the ticket scanned
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"  # its order was cancelled unpaid, or it was cancelled and refunded


HOLDING = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED,
           BookingStatus.NO_SHOW)


class Booking(TenantModel):
    """A booked order line: `quantity` places (a headcount, tickets, rooms) of a resource over
    [starts_at, ends_at) — for nights also the nights themselves, `first_night` to `last_night` — less
    those refunded since; a session's; served by a staff member; the form's `answers`, the address
    served at (a snapshot), the staff's arrival and completion with their `photos`."""

    __tablename__ = "bookings"
    __table_args__ = (tenant_fk(["resource_id"], "booking_resources"),
                      UniqueConstraint("tenant_id", "order_line_id"),
                      CheckConstraint("quantity > 0 AND refunded_quantity >= 0 AND refunded_quantity <= quantity",
                                      name="booking_quantities"),
                      Index("ix_bookings_resource", "tenant_id", "resource_id", "starts_at"),
                      Index("ix_bookings_staff", "tenant_id", "staff_id", "starts_at"),
                      Index("ix_bookings_order", "tenant_id", "order_id"),
                      Index("ix_bookings_consumer", "tenant_id", "consumer_id", "starts_at"))

    resource_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger)
    order_line_id: Mapped[int] = mapped_column(BigInteger)
    consumer_id: Mapped[int | None] = mapped_column(BigInteger)  # None: made by staff for a walk-in
    sku_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    first_night: Mapped[dt.date | None] = mapped_column(Date)
    last_night: Mapped[dt.date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    guests: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus), default=BookingStatus.HELD)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[dict] = mapped_column(JSON, default=dict)
    photos: Mapped[list] = mapped_column(JSON, default=list)  # [{"stage": "arrival"|"completion", "media", "at"}]
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

"""What the booking APIs take and answer (the OpenAPI documents are made from these)."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.components import MEDIA_REF
from core.ids import validate_id

CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
FIELD_TYPES = ("text", "phone", "email", "number", "choice")


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _id(value) -> str | None:
    return None if value is None else str(value)


def _hours(value: object) -> None:
    """Weekly hours: seven lists (Monday first) of ["HH:MM", "HH:MM"] windows, each opening before
    it closes, in order and not overlapping."""
    if not isinstance(value, list) or len(value) != 7 or not all(isinstance(day, list) for day in value):
        raise ValidationError("Give seven days, Monday first, each a list of [\"09:00\", \"18:00\"] windows.")
    for day in value:
        if len(day) > 6:
            raise ValidationError("At most six windows a day.")
        closes_before = "00:00"
        for window in day:
            if not (isinstance(window, list) and len(window) == 2 and all(isinstance(t, str) and CLOCK.match(t)
                                                                         for t in window)):
                raise ValidationError("Each window is [\"HH:MM\", \"HH:MM\"].")
            if not closes_before <= window[0] < window[1]:
                raise ValidationError("Windows open before they close, in order, without overlapping.")
            closes_before = window[1]


def _dates(value: str) -> None:
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("A date, e.g. 2026-12-05.") from None


class FormFieldIn(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,29}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=60))
    type = fields.String(load_default="text", validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list,
                          validate=validate.Length(max=30))


class SeasonIn(Schema):
    from_ = fields.String(required=True, data_key="from", attribute="from", validate=_dates)
    to = fields.String(required=True, validate=_dates)
    price = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**10))
    weekend_price = fields.Integer(load_default=None, allow_none=True, strict=True,
                                   validate=validate.Range(min=0, max=10**10))


class CancellationRuleIn(Schema):
    hours_before = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=24 * 365))
    refund_percent = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))


_RESOURCE_FIELDS = {
    "capacity": fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000), metadata={
        "description": "Slots: bookings at once (a headcount); nights: rooms of the type"}),
    "duration_minutes": fields.Integer(strict=True, validate=validate.Range(min=5, max=1440)),
    "step_minutes": fields.Integer(strict=True, validate=validate.Range(min=5, max=1440), metadata={
        "description": "A slot starts every so many minutes in the opening hours"}),
    "hours": fields.List(fields.List(fields.List(fields.String())), validate=_hours, metadata={
        "description": "Weekly opening hours of a service, Monday first: [[[\"09:00\", \"18:00\"]], …]"}),
    "staffed": fields.Boolean(metadata={"description": "Each booking takes a staff member who does the service"}),
    "form_fields": fields.List(fields.Nested(FormFieldIn), validate=validate.Length(max=20), metadata={
        "description": "What an event asks of each registration"}),
    "min_stay": fields.Integer(strict=True, validate=validate.Range(min=1, max=365)),
    "max_stay": fields.Integer(strict=True, validate=validate.Range(min=1, max=365)),
    "weekend_price": fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=10**10), metadata={
        "description": "A room's price on Friday and Saturday nights, in minor units (null: the SKU's)"}),
    "seasons": fields.List(fields.Nested(SeasonIn), validate=validate.Length(max=24), metadata={
        "description": "Prices of a room between two dates (inclusive)"}),
    "cancellation": fields.List(fields.Nested(CancellationRuleIn), validate=validate.Length(max=10), metadata={
        "description": "Refunds by time before the start: the first rule the cancellation is at least hours_before "
                       "ahead of gives its refund_percent; none: no refund"}),
    "deposit_percent": fields.Integer(strict=True, validate=validate.Range(min=0, max=99), metadata={
        "description": "The consumer may pay only this percentage online, the rest at the shop on the day (0: paid "
                       "in full)"}),
    "lead_minutes": fields.Integer(strict=True, validate=validate.Range(min=0, max=60 * 24 * 60)),
    "horizon_days": fields.Integer(strict=True, validate=validate.Range(min=1, max=730)),
    "active": fields.Boolean(),
}


class ResourcePatchIn(Schema.from_dict(_RESOURCE_FIELDS)):  # type: ignore[misc]
    @validates_schema
    def _stays(self, data, **kwargs):
        if data.get("max_stay") is not None and data.get("min_stay") is not None and data["max_stay"] < data["min_stay"]:
            raise ValidationError("Not below the minimum stay.", "max_stay")


class ResourceIn(ResourcePatchIn):
    item_id = fields.String(required=True, validate=validate_id, metadata={
        "description": "The catalog item booked: a service (slots), a ticket (sessions) or a room (nights)"})


class ResourceOut(Schema):
    id = fields.Function(lambda r: str(r.id))
    item_id = fields.Function(lambda r: str(r.item_id))
    shape = fields.Function(lambda r: r.shape.value, metadata={"description": "slot, session or night"})
    capacity = fields.Integer()
    duration_minutes = fields.Integer()
    step_minutes = fields.Integer()
    hours = fields.Raw()
    staffed = fields.Boolean()
    form_fields = fields.Raw()
    min_stay = fields.Integer()
    max_stay = fields.Integer()
    weekend_price = fields.Integer(allow_none=True)
    seasons = fields.Raw()
    cancellation = fields.Raw()
    deposit_percent = fields.Integer()
    lead_minutes = fields.Integer()
    horizon_days = fields.Integer()
    active = fields.Boolean()


class ResourceAnswer(Schema):
    resource = fields.Nested(ResourceOut)


class ResourceListOut(Schema):
    resources = fields.List(fields.Nested(ResourceOut))


class SessionIn(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    place = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default="on_sale", validate=validate.OneOf(("on_sale", "closed")))


class SessionPatchIn(Schema):
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    place = fields.String(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(("on_sale", "closed")))


class SessionOut(Schema):
    id = fields.Function(lambda s: str(s.id))
    resource_id = fields.Function(lambda s: str(s.resource_id))
    starts_at = fields.Function(lambda s: _iso(s.starts_at))
    ends_at = fields.Function(lambda s: _iso(s.ends_at))
    place = fields.String()
    status = fields.Function(lambda s: s.status.value)


class SessionAnswer(Schema):
    session = fields.Nested(SessionOut)


class SessionListOut(Schema):
    sessions = fields.List(fields.Nested(SessionOut))


class QuotaIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1_000_000))
    sku_ids = fields.List(fields.String(validate=validate_id), required=True, validate=validate.Length(min=1, max=50),
                          metadata={"description": "The ticket types (SKUs of the event's item) it counts"})
    session_id = fields.String(load_default=None, allow_none=True, validate=validate_id, metadata={
        "description": "The session it counts (null: each session of the event)"})


class QuotaPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    size = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    sku_ids = fields.List(fields.String(validate=validate_id), validate=validate.Length(min=1, max=50))


class QuotaOut(Schema):
    id = fields.Function(lambda q: str(q.id))
    resource_id = fields.Function(lambda q: str(q.resource_id))
    session_id = fields.Function(lambda q: _id(q.session_id))
    name = fields.String()
    size = fields.Integer()
    sku_ids = fields.List(fields.String())


class QuotaAnswer(Schema):
    quota = fields.Nested(QuotaOut)


class QuotaListOut(Schema):
    quotas = fields.List(fields.Nested(QuotaOut))


class QualificationIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    image = fields.String(load_default="", validate=validate.Regexp(f"^$|{MEDIA_REF.pattern}"))
    verified = fields.Boolean(load_default=False)


_STAFF_FIELDS = {
    "name": fields.String(validate=validate.Length(min=1, max=60)),
    "phone": fields.String(validate=validate.Regexp(r"^$|^\+?[0-9]{6,15}$")),
    "photo": fields.String(validate=validate.Regexp(f"^$|{MEDIA_REF.pattern}")),
    "bio": fields.String(validate=validate.Length(max=500)),
    "qualifications": fields.List(fields.Nested(QualificationIn), validate=validate.Length(max=10)),
    "resource_ids": fields.List(fields.String(validate=validate_id), validate=validate.Length(max=100), metadata={
        "description": "The bookable services they do"}),
    "hours": fields.List(fields.List(fields.List(fields.String())), validate=_hours, metadata={
        "description": "Weekly working hours, Monday first"}),
    "active": fields.Boolean(),
    "account_id": fields.String(allow_none=True, validate=validate_id, metadata={
        "description": "The shop's back-office staff account that serves as them (null: none): they see their own "
                       "schedule and mark their bookings' steps"}),
}


class StaffPatchIn(Schema.from_dict(_STAFF_FIELDS)):  # type: ignore[misc]
    pass


class StaffIn(StaffPatchIn):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))


class StaffOut(Schema):
    id = fields.Function(lambda m: str(m.id))
    name = fields.String()
    photo = fields.String()
    bio = fields.String()
    qualifications = fields.Raw()
    resource_ids = fields.List(fields.String())
    hours = fields.Raw()
    active = fields.Boolean()


class StaffDetailOut(StaffOut):
    phone = fields.String()
    account_id = fields.Function(lambda m: str(m.user_id) if m.user_id else None)


class StaffAnswer(Schema):
    staff = fields.Nested(StaffDetailOut)


class StaffListOut(Schema):
    staff = fields.List(fields.Nested(StaffDetailOut))


class BlockIn(Schema):
    resource_id = fields.String(load_default=None, allow_none=True, validate=validate_id)
    staff_id = fields.String(load_default=None, allow_none=True, validate=validate_id)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    quantity = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=100_000), metadata={
                                  "description": "Places or rooms taken out of sale (null: all of them)"})
    note = fields.String(load_default="", validate=validate.Length(max=200))


class DeskBookingIn(Schema):
    sku_id = fields.String(required=True, validate=validate_id, metadata={"description": "What is booked: a SKU of a "
                                                                                          "bookable item"})
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=99))
    booking = fields.Dict(required=True, metadata={
        "description": "As the consumer checkout's line names it: {start, staff_id?} for a slot, "
                       "{session_id, answers} for a session, {from, to, guests} for nights"})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20), metadata={
        "description": "The customer's phone: their account, made when they have none"})
    name = fields.String(load_default="", validate=validate.Length(max=120))
    note = fields.String(load_default="", validate=validate.Length(max=200))
    paid_at_shop = fields.Boolean(load_default=False, metadata={
        "description": "Paid at the shop (cash, the shop's terminal): settled at once. Else the customer pays it "
                       "like any order, before its payment deadline"})


class DeskBookingAnswer(Schema):
    booking = fields.Nested("StaffBookingOut")
    order_id = fields.String()
    order_number = fields.String()


class StepIn(Schema):
    step = fields.String(required=True, validate=validate.OneOf(("arrive", "complete", "no_show")), metadata={
        "description": "arrive (checked in), complete (checked out, done: the order completes when nothing is left) "
                       "or no_show"})
    photos = fields.List(fields.String(validate=validate.Regexp(r"^media:[0-9]{1,19}$")), load_default=list,
                         validate=validate.Length(max=9), metadata={"description": "The shop's media, as media:<id>"})
    balance_paid = fields.Boolean(load_default=False, metadata={"description": (
        "With arrive or complete: the balance of an order paid by a deposit was paid at the shop just now (recorded "
        "as a payment at the counter). Completing an order's last booking while its balance is due is refused "
        "(409 balance_due)")})


class BlockOut(Schema):
    id = fields.Function(lambda b: str(b.id))
    resource_id = fields.Function(lambda b: _id(b.resource_id))
    staff_id = fields.Function(lambda b: _id(b.staff_id))
    starts_at = fields.Function(lambda b: _iso(b.starts_at))
    ends_at = fields.Function(lambda b: _iso(b.ends_at))
    quantity = fields.Integer(allow_none=True)
    note = fields.String()


class BlockAnswer(Schema):
    block = fields.Nested(BlockOut)


class BlockListOut(Schema):
    blocks = fields.List(fields.Nested(BlockOut))


class BookingOut(Schema):
    id = fields.Function(lambda b: str(b.id))
    name = fields.String(metadata={"description": "What was booked, as the shop names it (the consumer API's)"})
    resource_id = fields.Function(lambda b: str(b.resource_id))
    order_id = fields.Function(lambda b: str(b.order_id))
    sku_id = fields.Function(lambda b: str(b.sku_id))
    session_id = fields.Function(lambda b: _id(b.session_id))
    staff_id = fields.Function(lambda b: _id(b.staff_id))
    status = fields.Function(lambda b: b.status.value, metadata={
        "description": "held (awaiting payment), confirmed, in_progress, completed, no_show or cancelled"})
    starts_at = fields.Function(lambda b: _iso(b.starts_at))
    ends_at = fields.Function(lambda b: _iso(b.ends_at))
    first_night = fields.Function(lambda b: _iso(b.first_night))
    last_night = fields.Function(lambda b: _iso(b.last_night))
    quantity = fields.Integer()
    refunded_quantity = fields.Integer()
    guests = fields.Integer()
    answers = fields.Raw()
    address = fields.Raw()
    photos = fields.Raw()
    arrived_at = fields.Function(lambda b: _iso(b.arrived_at))
    completed_at = fields.Function(lambda b: _iso(b.completed_at))


class StaffBookingOut(BookingOut):
    consumer_id = fields.Function(lambda b: _id(b.consumer_id))


class ConsumerBookingOut(BookingOut):
    """What the consumer API adds: who serves it, and the staff's photos of the work as links."""

    staff_name = fields.String()
    photos = fields.List(fields.Dict(), metadata={
        "description": "[{stage: arrival|completion, at, url, thumbnail}]: the photos staff took of the work"})


class BookingAnswer(Schema):
    booking = fields.Nested(ConsumerBookingOut)


class BookingPageOut(Schema):
    bookings = fields.List(fields.Nested(ConsumerBookingOut))
    next_cursor = fields.String(allow_none=True)


class StaffBookingAnswer(Schema):
    booking = fields.Nested(StaffBookingOut)


class StaffBookingListOut(Schema):
    bookings = fields.List(fields.Nested(StaffBookingOut))


class SlotOut(Schema):
    start = fields.String()
    end = fields.String()
    left = fields.Integer(metadata={"description": "Places left"})
    staff_ids = fields.List(fields.String(), metadata={"description": "Staff free to serve it (staffed services)"})


class DaySlotsOut(Schema):
    date = fields.String()
    slots = fields.List(fields.Nested(SlotOut))


class TicketLeftOut(Schema):
    sku_id = fields.String()
    left = fields.Integer()


class SessionAvailabilityOut(SessionOut):
    tickets = fields.List(fields.Nested(TicketLeftOut), metadata={"description": "Tickets left of each type"})


class NightOut(Schema):
    date = fields.String(metadata={"description": "The local date the night begins"})
    left = fields.Integer(metadata={"description": "Rooms left"})
    price = fields.Raw(metadata={"description": "The night's price, {amount, currency}"})


class AvailabilityOut(Schema):
    resource_id = fields.String()
    shape = fields.String()
    days = fields.List(fields.Nested(DaySlotsOut), metadata={"description": "Slots: each day's slots still bookable"})
    sessions = fields.List(fields.Nested(SessionAvailabilityOut), metadata={"description": "Sessions of the range"})
    nights = fields.List(fields.Nested(NightOut), metadata={"description": "Nights: rooms left and price"})


class AvailabilityQuery(Schema):
    resource = fields.String(required=True, validate=validate_id)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    staff_id = fields.String(load_default=None, validate=validate_id)
    sku_id = fields.String(load_default=None, validate=validate_id)


class SkuOfferOut(Schema):
    id = fields.String()
    options = fields.Dict(metadata={"description": "What sets it apart (a ticket type, a grade, a rate)"})
    price = fields.Raw(metadata={"description": "{amount, currency, display}; a room's: per night before weekend and "
                                                "season prices"})


class PublicStaffOut(Schema):
    id = fields.Function(lambda m: str(m.id))
    name = fields.String()
    photo = fields.String(metadata={"description": "A thumbnail's URL (empty: none)"})
    bio = fields.String()
    qualifications = fields.Raw(metadata={"description": "[{name, image (a URL), verified}]"})


class BookableOut(Schema):
    id = fields.String()
    item_id = fields.String()
    shape = fields.String(metadata={"description": "slot (a service), session (an event), night (a room type)"})
    name = fields.String()
    subtitle = fields.String()
    image = fields.String(metadata={"description": "A thumbnail's URL (empty: none)"})
    price_from = fields.Raw(metadata={"description": "The lowest SKU price"})
    duration_minutes = fields.Integer()
    capacity = fields.Integer()


class BookableListOut(Schema):
    resources = fields.List(fields.Nested(BookableOut))


class BookableDetailOut(BookableOut):
    description = fields.String(metadata={"description": "The item's description (HTML)"})
    images = fields.List(fields.String())
    skus = fields.List(fields.Nested(SkuOfferOut))
    staffed = fields.Boolean()
    staff = fields.List(fields.Nested(PublicStaffOut), metadata={"description": "Who may serve it (staffed services)"})
    form_fields = fields.Raw()
    cancellation = fields.Raw()
    deposit_percent = fields.Integer(metadata={"description": "The part of the price a deposit pays online, the rest "
                                                              "at the shop on the day (0: paid in full)"})
    min_stay = fields.Integer()
    max_stay = fields.Integer()
    sessions = fields.List(fields.Nested(SessionOut), metadata={"description": "An event's sessions to come"})


class BookableAnswer(Schema):
    resource = fields.Nested(BookableDetailOut)


class BookingCancelledOut(Schema):
    booking = fields.Nested(BookingOut)
    after_sale = fields.Raw(metadata={"description": "The refund asked for and approved (as GET /orders/<id> shows "
                                                    "after-sales): the places are freed at once, the money follows"})

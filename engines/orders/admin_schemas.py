"""Orders and after-sales as staff see them in the Admin API (engines.orders.admin_api): the
consumer's view (engines.orders.schemas) without what only the buyer holds — the verification code
and its QR token — and with who bought, where, and what staff can do next."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engines.orders.schemas import AfterSaleOut, OrderDetailOut, OrderOut, dump_order, dump_orders
from engines.orders.transitions import allowed_events

BUYER_ONLY = ("verification_code", "verification_qr_token")
STAFF_EVENTS = ("ship", "mark_ready", "cancel")  # what the Admin API moves an order by


class _StaffFields(Schema):
    consumer_id = fields.String()
    contact_phone = fields.String()
    store_id = fields.String(allow_none=True)
    attention = fields.String(allow_none=True, metadata={"description": "Why staff should look at the order"})
    verified_at = fields.String(allow_none=True)
    cancelled_at = fields.String(allow_none=True)
    actions = fields.List(fields.String(validate=validate.OneOf(STAFF_EVENTS)), metadata={
        "description": "What staff can do now: ship | mark_ready | cancel"})


class StaffOrderSummaryOut(_StaffFields, OrderOut):
    class Meta:
        exclude = BUYER_ONLY


class StaffOrderOut(_StaffFields, OrderDetailOut):
    class Meta:
        exclude = BUYER_ONLY


class StaffOrderPageOut(Schema):
    orders = fields.List(fields.Nested(StaffOrderSummaryOut))
    next_cursor = fields.String(allow_none=True)


class StaffOrderAnswer(Schema):
    order = fields.Nested(StaffOrderOut)


class StaffAfterSaleOut(AfterSaleOut):
    order_id = fields.Function(lambda a: str(a.order_id))
    consumer_id = fields.Function(lambda a: str(a.consumer_id))
    resolved_at = fields.Function(lambda a: a.resolved_at.isoformat() if a.resolved_at else None)


class StaffAfterSaleAnswer(Schema):
    after_sale = fields.Nested(StaffAfterSaleOut)


class ShipIn(Schema):
    carrier = fields.String(load_default="", validate=validate.Length(max=40))
    tracking_number = fields.String(load_default="", validate=validate.Length(max=40), metadata={
        "description": "Express orders need the carrier and the tracking number"})


class CancelIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class NoteIn(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "What the buyer is told; a rejection needs one"})


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _staff_view(order, body: dict) -> dict:
    for key in BUYER_ONLY:
        body.pop(key, None)
    body.update(consumer_id=str(order.consumer_id), contact_phone=order.contact_phone,
                store_id=str(order.store_id) if order.store_id else None, attention=order.attention or None,
                verified_at=_iso(order.verified_at), cancelled_at=_iso(order.cancelled_at),
                actions=[event for event in allowed_events(order) if event in STAFF_EVENTS])
    return body


def dump_staff_order(order, *, lines: list, after_sales: list) -> dict:
    return _staff_view(order, dump_order(order, lines=lines, after_sales=after_sales))


def dump_staff_orders(orders: list, *, lines: dict) -> list:
    return [_staff_view(order, body) for order, body in zip(orders, dump_orders(orders, lines=lines))]

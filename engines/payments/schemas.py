"""Payments in the consumer API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.money import Money
from engines.orders.schemas import CheckoutIn, OrderAnswer


class PaymentIn(Schema):
    provider = fields.String(load_default="sandbox", validate=validate.OneOf(["sandbox", "stripe"]))


class PaymentOut(Schema):
    id = fields.Function(lambda p: str(p.id))
    order_id = fields.Function(lambda p: str(p.order_id))
    provider = fields.String()
    status = fields.Function(lambda p: p.status.value)
    amount = fields.Function(lambda p: Money(p.amount, p.currency).to_json())
    refunded = fields.Function(lambda p: Money(p.refunded, p.currency).to_json())


class PaymentAnswer(Schema):
    payment = fields.Nested(PaymentOut)
    next_action = fields.Dict(metadata={"description": '{"type": "redirect", "url"} for sandbox; '
                                                       '{"type": "stripe_confirm", "client_secret"} for stripe'})


class CheckoutPayIn(CheckoutIn, PaymentIn):
    """POST /checkout's body and the provider of the payment to start with the order."""


class CheckoutPayAnswer(OrderAnswer, PaymentAnswer):
    """POST /checkout's answer and POST /orders/<id>/payments' answer in one."""

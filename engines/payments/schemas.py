"""Payments in the consumer API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.money import Money
from engines.orders.services import CheckoutIn, OrderAnswer


class PaymentIn(Schema):
    provider = fields.String(load_default=None, validate=validate.Length(min=1, max=20), metadata={
        "description": "One of the shop's providers (GET /payments/providers); the first of them when left out"})


class ProviderOut(Schema):
    name = fields.String(metadata={"description": "sandbox (development only) or stripe"})
    publishable_key = fields.String(metadata={"description": "Stripe's publishable key, for Stripe.js or a native SDK"})


class ProvidersOut(Schema):
    providers = fields.List(fields.Nested(ProviderOut), metadata={
        "description": "The ways to pay the shop offers, in order; empty: the shop takes no paid orders yet"})


class PaymentOut(Schema):
    id = fields.Function(lambda p: str(p.id))
    order_id = fields.Function(lambda p: str(p.order_id))
    provider = fields.String()
    status = fields.Function(lambda p: p.status.value)
    amount = fields.Function(lambda p: Money(p.amount, p.currency).to_json())
    refunded = fields.Function(lambda p: Money(p.refunded, p.currency).to_json())


class PaymentAnswer(Schema):
    payment = fields.Nested(PaymentOut, allow_none=True, metadata={
        "description": "None when the order had nothing to pay (checkout-and-pay): it is paid already"})
    next_action = fields.Dict(metadata={"description": '{"type": "redirect", "url"} for sandbox; {"type": '
                                                       '"stripe_confirm", "client_secret", "publishable_key", "url"} '
                                                       'for stripe (url: a card page for browsers); {"type": '
                                                       '"paid"} when there was nothing to pay'})


class CheckoutPayIn(CheckoutIn, PaymentIn):
    """POST /checkout's body and the provider of the payment to start with the order."""


class CheckoutPayAnswer(OrderAnswer, PaymentAnswer):
    """POST /checkout's answer and POST /orders/<id>/payments' answer in one."""

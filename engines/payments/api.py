"""The consumer API of payments — POST /api/v1/orders/<id>/payments, GET /api/v1/payments/<id> —
and the Stripe webhook (routed per tenant: /s/<slug>/api/v1/payments/stripe/webhook)."""

from __future__ import annotations

import stripe
from flask import jsonify, request, url_for

from core.api import api_blueprint, load_json, require_consumer_id
from core.db import db
from core.errors import APIError
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent_created
from core.openapi import api_doc
from engines.orders.services import dump_order, refuse_known_sold_out
from engines.payments.accounts import STRIPE, enabled_providers, public_settings, secrets_of
from engines.payments.schemas import (CheckoutPayAnswer, CheckoutPayIn, PaymentAnswer, PaymentIn, PaymentOut,
                                      ProvidersOut)
from engines.payments.services import (apply_outcome, payment_by_ref, payment_of, place_and_pay, seen_before,
                                       start_payment)

bp = api_blueprint("payments_api", __name__)
_PAYMENT = PaymentOut()  # shared: a schema costs more to build than to dump with


@bp.get("/payments/providers")
@api_doc("The ways to pay this shop offers (none: it takes no paid orders yet)", tags=["payments"],
         response=ProvidersOut)
def providers():
    offered = []
    for name in enabled_providers():
        entry = {"name": name}
        if name == STRIPE:
            entry["publishable_key"] = public_settings(STRIPE).get("publishable_key", "")
        offered.append(entry)
    return jsonify(providers=offered), 200, {"Cache-Control": "no-store"}


@bp.post("/orders/<int:order_id>/payments")
@api_doc("Pay an order: a payment attempt and what the consumer does next. Send an Idempotency-Key header to retry "
         "safely", tags=["payments"], body=PaymentIn, response=PaymentAnswer, status=201, auth=True,
         errors=(404, 409, 415, 422))
def create(order_id: int):
    consumer_id = require_consumer_id()

    def pay():
        data = load_json(PaymentIn)
        payment, next_action = start_payment(order_id=order_id, consumer_id=consumer_id, provider_name=data["provider"])
        return {"payment": _PAYMENT.dump(payment), "next_action": next_action}, 201

    return idempotent_created(f"consumer:{consumer_id}", pay,
                              lambda body: url_for(".payment", payment_id=body["payment"]["id"]))


@bp.post("/checkout/pay")
@api_doc("Place an order and start its payment in one call, as the H5 checkout does: the order as POST /checkout "
         "answers it, the payment and the consumer's next action as POST /orders/<id>/payments answers them. Send an "
         "Idempotency-Key header to retry safely", tags=["checkout", "payments"], body=CheckoutPayIn,
         response=CheckoutPayAnswer, status=201, auth=True, errors=(409, 415, 422))
def checkout_and_pay():
    if IDEMPOTENCY_HEADER not in request.headers:  # the flash-sale gate of POST /checkout
        refuse_known_sold_out(request.get_json(silent=True))
    consumer_id = require_consumer_id()

    def place():
        data = load_json(CheckoutPayIn)
        order, lines, payment, next_action = place_and_pay(
            provider_name=data["provider"], consumer_id=consumer_id, lines=data["lines"],
            fulfillment_choice=data["fulfillment"], note=data["note"], coupons=tuple(data["coupon_ids"]),
            points=data["points"], deposit=data["deposit"])
        return {"order": dump_order(order, lines=lines), "payment": payment and _PAYMENT.dump(payment),
                "next_action": next_action}, 201

    return idempotent_created(f"consumer:{consumer_id}", place,
                              lambda body: url_for("orders_api.order", order_id=body["order"]["id"]))


@bp.get("/payments/<int:payment_id>")
@api_doc("One payment of the consumer's orders", tags=["payments"], response=PaymentOut, auth=True, errors=(404,))
def payment(payment_id: int):
    return jsonify(_PAYMENT.dump(payment_of(payment_id, consumer_id=require_consumer_id())))


@bp.post("/payments/stripe/webhook")
@api_doc("Stripe's webhook for this shop's Stripe account (signature-checked with the account's signing secret, "
         "each event applied once)", tags=["payments"], errors=(400, 404))
def stripe_webhook():
    secret = secrets_of(STRIPE).get("webhook_secret")
    if not secret:
        raise APIError("not_found", "Stripe is not configured for this shop.")
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature", ""), secret)
    except (ValueError, stripe.SignatureVerificationError):
        raise APIError("bad_request", "The webhook signature does not match.") from None
    # A failed attempt is not final at Stripe (the consumer may retry the same intent): only a
    # success settles the payment.
    if event["type"] != "payment_intent.succeeded":
        return jsonify(received=True, applied=False)
    found = payment_by_ref("stripe", event["data"]["object"]["id"])
    if found is None or seen_before("stripe", event["id"]):
        return jsonify(received=True, applied=False)
    outcome = apply_outcome(found, succeeded=True, details={"event": event["id"]})
    db.session.commit()
    return jsonify(received=True, applied=True, outcome=outcome)

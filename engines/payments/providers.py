"""The provider interface and its two implementations.

A provider starts a payment (and says what the consumer does next) and refunds; the outcome of a
payment comes back later through `services.apply_outcome` — from the sandbox pay page's form
post or a Stripe webhook — which applies it exactly once."""

from __future__ import annotations

import functools
import logging
import secrets
from typing import Protocol

import stripe
from flask import current_app
from itsdangerous import Signer

from core.errors import APIError
from core.resolution import shop_url
from core.tenancy import current_tenant_id
from engines.payments.models import Payment, Refund

log = logging.getLogger(__name__)

STRIPE_API_VERSION = "2024-06-20"  # pinned: the calls below are tested against it (tests/engines/payments)


class Provider(Protocol):
    name: str

    def start(self, payment: Payment) -> dict:
        """Set payment.provider_ref and return the next action for the consumer."""

    def refund(self, payment: Payment, refund: Refund) -> tuple[str, str]:
        """Refund `refund.amount` of `payment`; returns (status, provider reference)."""


def _sandbox_signer() -> Signer:
    return _signer(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt="sandbox-pay")  # built once per key: every payment uses it twice


def _signed(tenant_id: int, payment_id: int | str) -> bytes:
    return f"{tenant_id}.{payment_id}".encode()


class SandboxProvider:
    """The embedded default: a pay page where the consumer confirms or fails the payment."""

    name = "sandbox"

    def start(self, payment: Payment) -> dict:
        payment.provider_ref = f"sbx_{secrets.token_hex(12)}"
        token = _sandbox_signer().get_signature(_signed(payment.tenant_id, payment.id)).decode()
        return {"type": "redirect", "url": shop_url("payment_pages.sandbox_pay", payment_id=payment.id, token=token)}

    def refund(self, payment: Payment, refund: Refund) -> tuple[str, str]:
        return "succeeded", f"sbxr_{secrets.token_hex(12)}"

    @staticmethod
    def token_valid(payment_id: int, token: str) -> bool:
        """Whether `token` is the pay page's for this payment of the current shop (checked before
        anything is read): the signature of the shop's and the payment's ids, nothing else."""
        return _sandbox_signer().verify_signature(_signed(current_tenant_id(), payment_id), token)


class StripeProvider:
    """PaymentIntents and refunds through the official SDK (api_base may point at localstripe)."""

    name = "stripe"

    def _client(self) -> stripe.StripeClient:
        key = current_app.config.get("STRIPE_API_KEY")
        if not key:
            raise APIError("provider_unavailable", "Stripe is not configured for this shop.")
        base = current_app.config.get("STRIPE_API_BASE")
        return stripe.StripeClient(key, stripe_version=STRIPE_API_VERSION,
                                   base_addresses={"api": base} if base else {})

    def start(self, payment: Payment) -> dict:
        try:
            intent = self._client().v1.payment_intents.create(
                {"amount": payment.amount, "currency": payment.currency.lower(), "payment_method_types": ["card"],
                 "metadata": {"tenant_id": str(payment.tenant_id), "payment_id": str(payment.id),
                              "order_id": str(payment.order_id)}},
                options={"idempotency_key": f"payment-{payment.tenant_id}-{payment.id}"})
        except stripe.StripeError:
            log.exception("Stripe refused to start payment %s", payment.id)
            raise APIError("provider_unavailable") from None
        payment.provider_ref = intent.id
        return {"type": "stripe_confirm", "client_secret": intent.client_secret, "payment_intent": intent.id}

    def refund(self, payment: Payment, refund: Refund) -> tuple[str, str]:
        # localstripe sends no refund webhooks: the API's answer is the outcome (DESIGN.md §4)
        try:
            created = self._client().v1.refunds.create(
                {"payment_intent": payment.provider_ref, "amount": refund.amount},
                options={"idempotency_key": f"refund-{refund.tenant_id}-{refund.id}"})
        except stripe.InvalidRequestError as error:
            log.error("Stripe refused refund %s: %s", refund.id, error)
            return "failed", ""
        return ("succeeded" if created.status in ("succeeded", "pending") else "failed"), created.id


PROVIDERS: dict[str, Provider] = {"sandbox": SandboxProvider(), "stripe": StripeProvider()}


def provider(name: str) -> Provider:
    if name not in PROVIDERS:
        raise APIError("invalid_input", fields={"provider": [f"Use one of {', '.join(PROVIDERS)}."]})
    return PROVIDERS[name]

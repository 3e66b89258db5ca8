"""The provider interface and its two implementations.

A provider starts a payment (and says what the consumer does next) and refunds; the outcome of a
payment comes back later through `services.apply_outcome` — from the sandbox pay page's form
post or a Stripe webhook — which applies it exactly once. Which providers exist depends on the
deployment (no sandbox in production), which ones a shop offers on its accounts (`accounts`)."""

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
from engines.payments.accounts import EXTRA_PROVIDERS, STRIPE, provider_names, public_settings, secrets_of
from engines.payments.models import Payment, Refund

log = logging.getLogger(__name__)

STRIPE_API_VERSION = "2024-06-20"  # pinned: the calls below are tested against it (tests/engines/payments)


class Provider(Protocol):
    name: str

    def start(self, payment: Payment) -> dict:
        """Set payment.provider_ref and return the next action for the consumer."""

    def refund(self, payment: Payment, refund: Refund) -> tuple[str, str]:
        """Refund `refund.amount` of `payment`; returns (status, provider reference)."""


def page_signer(page: str) -> Signer:
    """The signer of a pay page's links (`sandbox-pay`, `stripe-pay`)."""
    return _signer(current_app.config["SECRET_KEY"], page)


@functools.lru_cache(maxsize=8)
def _signer(secret_key: str, page: str) -> Signer:
    return Signer(secret_key, salt=page)  # built once per key: every payment uses it twice


def _signed(tenant_id: int, payment_id: int | str) -> bytes:
    return f"{tenant_id}.{payment_id}".encode()


def page_token(page: str, payment) -> str:
    return page_signer(page).get_signature(_signed(payment.tenant_id, payment.id)).decode()


def page_token_valid(page: str, payment_id: int, token: str) -> bool:
    """Whether `token` is a pay page's for this payment of the current shop (checked before
    anything is read): the signature of the shop's and the payment's ids, nothing else."""
    return page_signer(page).verify_signature(_signed(current_tenant_id(), payment_id), token)


class SandboxProvider:
    """The embedded default: a pay page where the consumer confirms or fails the payment."""

    name = "sandbox"

    def start(self, payment: Payment) -> dict:
        payment.provider_ref = f"sbx_{secrets.token_hex(12)}"
        return {"type": "redirect", "url": shop_url("sandbox_pay.page", payment_id=payment.id,
                                                    token=page_token("sandbox-pay", payment))}

    def refund(self, payment: Payment, refund: Refund) -> tuple[str, str]:
        return "succeeded", f"sbxr_{secrets.token_hex(12)}"


class StripeProvider:
    """PaymentIntents and refunds through the official SDK (api_base may point at localstripe)."""

    name = "stripe"

    def _client(self) -> stripe.StripeClient:
        """A client with the shop's own secret key (STRIPE_API_BASE may point at localstripe)."""
        key = secrets_of(STRIPE).get("secret_key")
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
        return {"type": "stripe_confirm", "client_secret": intent.client_secret, "payment_intent": intent.id,
                "publishable_key": public_settings(STRIPE).get("publishable_key", ""),
                "url": shop_url("payment_pages.stripe", payment_id=payment.id, token=page_token("stripe-pay", payment))}

    def client_secret(self, payment) -> str:
        """The PaymentIntent's client secret, for the card form of the Stripe pay page."""
        try:
            return self._client().v1.payment_intents.retrieve(payment.provider_ref).client_secret
        except stripe.StripeError:
            log.exception("Stripe did not answer for payment %s", payment.id)
            raise APIError("provider_unavailable") from None

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
    """A provider that exists in this deployment (422 `unknown_provider` otherwise); whether the
    shop offers it at checkout is `accounts.require_enabled`'s question."""
    if name not in provider_names():
        raise APIError("unknown_provider")
    return PROVIDERS.get(name) or EXTRA_PROVIDERS[name]

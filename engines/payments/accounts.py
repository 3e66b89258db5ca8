"""Each shop's payment accounts: which providers its checkout offers, their public settings and
their secrets (encrypted at rest with core.encryption).

- `sandbox` exists only in development (TESSERA_ENV=development). There a shop offers it until
  the merchant turns it off, so a new shop can be tried at once; in production it does not exist
  at all: no pay page, and `"provider": "sandbox"` is 422 `unknown_provider`.
- `stripe` is offered once the merchant has entered the account's secret key, publishable key
  and webhook signing secret and enabled it. Payments and refunds already started keep working
  with the stored keys when the merchant turns the provider off: money in flight is not stranded.

With no provider enabled, checkout refuses with 409 `payments_not_set_up`."""

from __future__ import annotations

import json
import re

from flask import current_app
from sqlalchemy import select

from core.cache import LRU, bump_after_commit, remembered
from core.db import add_unique, db
from core.encryption import decrypt, encrypt
from core.errors import APIError, register_codes
from core.tenancy import current_tenant_id, execute, of_tenant
from engines.payments.models import PaymentAccount

SANDBOX, STRIPE = "sandbox", "stripe"
ACCOUNTS_STAMP = "payment_accounts"  # bumped by every change of a shop's accounts (`_account`)

register_codes({
    "unknown_provider": (422, "This shop does not take payments with this provider."),
    "payments_not_set_up": (409, "This shop is not taking paid orders yet: it has no way to pay set up."),
})

STRIPE_SECRET = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$")
STRIPE_PUBLISHABLE = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{8,247}$")
STRIPE_WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{8,247}$")


# Providers other engines bring (the membership engine's stored balance), by name: each says
# itself whether the current shop offers it (`offered()`), and exists in every deployment.
EXTRA_PROVIDERS: dict[str, object] = {}


def register_provider(provider) -> None:
    """Add a provider another engine brings: an object with `name`, `offered()`, `start(payment)`
    and `refund(payment, refund)` (providers.Provider)."""
    EXTRA_PROVIDERS[provider.name] = provider


def provider_names() -> tuple[str, ...]:
    """The providers that exist in this deployment."""
    if current_app.config.get("TESSERA_ENV") == "production":
        return (STRIPE, *EXTRA_PROVIDERS)
    return (SANDBOX, STRIPE, *EXTRA_PROVIDERS)


def _accounts() -> dict[str, PaymentAccount]:
    return {account.provider: account for account in db.session.scalars(select(PaymentAccount))}


def _offered(name: str, account) -> bool:
    """Whether checkout offers `name`, given the shop's account with it (a row with `enabled` and
    `credentials`, or None)."""
    if name in EXTRA_PROVIDERS:
        return EXTRA_PROVIDERS[name].offered()
    if name == SANDBOX:
        return account is None or account.enabled  # development's default: on until turned off
    return account is not None and account.enabled and bool(account.credentials)


_offers = LRU(5_000)
_CHANGED = "tessera_payment_accounts_changed"


def enabled_providers() -> list[str]:
    """The providers the current shop's checkout offers, in a stable order. Every checkout asks:
    the accounts' switches are remembered per process until the shop's `payment_accounts` stamp
    moves, which every change bumps in every process (core.cache); no secret is kept, only
    whether one was entered. A session that changed an account reads them (its change may yet
    roll back)."""
    def read() -> dict:
        return {row.provider: row for row in execute(_OFFERS)}

    accounts = read() if db.session.info.get(_CHANGED) else remembered(
        _offers, current_tenant_id(), ACCOUNTS_STAMP, "offers", read)
    return [name for name in provider_names() if _offered(name, accounts.get(name))]


def require_enabled(name: str | None) -> str:
    """The provider a consumer chose, if the shop offers it (None: the first it offers): 422
    `unknown_provider` for a name this deployment has no such provider by (the sandbox in
    production) or the shop does not offer, 409 `payments_not_set_up` when it offers none."""
    if name is not None and name not in provider_names():
        raise APIError("unknown_provider", fields={"provider": [f"Use one of {', '.join(provider_names())}."]})
    offered = enabled_providers()
    if not offered:
        raise APIError("payments_not_set_up")
    if name is None:
        return offered[0]
    if name not in offered:
        raise APIError("unknown_provider", fields={"provider": [f"Use one of {', '.join(offered)}."]})
    return name


def require_any_enabled() -> None:
    """Checkout without a payment started: refused while the shop cannot take payments at all."""
    if not enabled_providers():
        raise APIError("payments_not_set_up")


def secrets_of(name: str) -> dict:
    """The decrypted secrets of the shop's account with a provider ({} when none were entered)."""
    account = db.session.scalar(select(PaymentAccount).where(PaymentAccount.provider == name))
    if account is None or not account.credentials:
        return {}
    return json.loads(decrypt(account.credentials))


def public_settings(name: str) -> dict:
    account = db.session.scalar(select(PaymentAccount).where(PaymentAccount.provider == name))
    return dict(account.public) if account is not None else {}


def _account(name: str) -> PaymentAccount:
    """The shop's account with a provider, locked for a change (made when there is none); checkout
    learns of the change once the transaction commits."""
    bump_after_commit(current_tenant_id(), ACCOUNTS_STAMP)
    db.session.info[_CHANGED] = True
    account = db.session.scalar(select(PaymentAccount).where(PaymentAccount.provider == name).with_for_update())
    if account is None:
        account = add_unique(PaymentAccount(provider=name, enabled=False, public={}, credentials=""),
                             APIError("conflict", "Someone else changed this payment account; try again."))
    return account


def set_sandbox(*, enabled: bool) -> PaymentAccount:
    """Offer the sandbox at checkout, or stop (development only)."""
    if SANDBOX not in provider_names():
        raise APIError("unknown_provider")
    account = _account(SANDBOX)
    account.enabled = enabled
    db.session.flush()
    return account


def _hint(secret: str) -> str:
    """What the back office shows of a secret: its kind and last four characters."""
    return f"{secret.rsplit('_', 1)[0]}_…{secret[-4:]}"


def configure_stripe(*, secret_key: str = "", publishable_key: str = "", webhook_secret: str = "",
                     enabled: bool) -> PaymentAccount:
    """Save the shop's Stripe account. A secret left blank keeps the stored one; enabling needs
    all three keys, of the same mode (test or live)."""
    secret_key, publishable_key, webhook_secret = (value.strip() for value in (secret_key, publishable_key,
                                                                                webhook_secret))
    errors: dict[str, list[str]] = {}
    if secret_key and not STRIPE_SECRET.match(secret_key):
        errors["secret_key"] = ["A Stripe secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_."]
    if publishable_key and not STRIPE_PUBLISHABLE.match(publishable_key):
        errors["publishable_key"] = ["A Stripe publishable key starts with pk_test_ or pk_live_."]
    if webhook_secret and not STRIPE_WEBHOOK_SECRET.match(webhook_secret):
        errors["webhook_secret"] = ["A webhook signing secret starts with whsec_."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    account = _account(STRIPE)
    stored = json.loads(decrypt(account.credentials)) if account.credentials else {}
    secrets = {"secret_key": secret_key or stored.get("secret_key", ""),
               "webhook_secret": webhook_secret or stored.get("webhook_secret", "")}
    public = {"publishable_key": publishable_key or account.public.get("publishable_key", "")}
    if enabled:
        missing = {name: ["Needed to take payments with Stripe."] for name, value in
                   (("secret_key", secrets["secret_key"]), ("publishable_key", public["publishable_key"]),
                    ("webhook_secret", secrets["webhook_secret"])) if not value}
        if missing:
            raise APIError("invalid_input", fields=missing)
        if ("_live_" in secrets["secret_key"]) != ("_live_" in public["publishable_key"]):
            raise APIError("invalid_input", fields={"publishable_key": [
                "The publishable key and the secret key belong to different modes (test and live)."]})
    public["secret_key_hint"] = _hint(secrets["secret_key"]) if secrets["secret_key"] else ""
    public["webhook_secret_hint"] = _hint(secrets["webhook_secret"]) if secrets["webhook_secret"] else ""
    account.public = public
    account.credentials = encrypt(json.dumps(secrets)) if any(secrets.values()) else ""
    account.enabled = enabled
    db.session.flush()
    return account


def accounts_overview() -> list[dict]:
    """Every provider of this deployment with the shop's settings, for the back office."""
    accounts = _accounts()
    return [{"provider": name, "offered": _offered(name, accounts.get(name)),
             "public": dict(accounts[name].public) if name in accounts else {},
             "configured": name in accounts and bool(accounts[name].credentials)} for name in provider_names()]


_accounts_table = PaymentAccount.__table__
_OFFERS = select(_accounts_table.c.provider, _accounts_table.c.enabled,
                 (_accounts_table.c.credentials != "").label("credentials")).where(of_tenant(_accounts_table))

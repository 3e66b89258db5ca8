"""The `stripe` billing provider: shops pay their plans to the platform's own Stripe account
(TESSERA_BILLING_STRIPE_SECRET_KEY — not a shop's own account, which its consumers pay into).

- Paying for a plan the first time is a Stripe Checkout Session in subscription mode for the
  shop's Stripe customer (made once, its id kept on the shop's `Subscription`). Each plan is a
  monthly Stripe Price found by its lookup key `tessera-plan-<id>-<amount>-<currency>`, made the
  first time it is sold: a new amount is a new Price, and subscriptions on the old one keep it.
- Changing a live subscription's plan updates its item at once, charged or credited pro rata
  (`always_invoice`); `pending_if_incomplete` leaves the old plan in force when the card needs
  confirming, and the merchant is sent to the invoice's page to confirm. Choosing a free plan
  cancels the subscription (prorated).
- The customer portal (card, invoices, cancelling) opens from the billing page, which also lists
  the latest invoices.
- Stripe's word comes by its webhook (`POST /api/billing/stripe/webhook`), signature-checked with
  TESSERA_BILLING_STRIPE_WEBHOOK_SECRET and each event applied once (`billing_events`):
  `invoice.paid` pays the shop's plan until the invoice's period end; `invoice.payment_failed`
  makes it due (the grace period starts); `checkout.session.completed` and
  `customer.subscription.deleted` keep the live subscription's id; `customer.subscription.updated`
  keeps when one cancelled in the portal ends (the billing page says it will not renew). Stripe
  renews by itself: the sweeper makes a shop due only when no payment came RENEWAL_WAIT after its
  period ended."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import urllib.parse

import stripe
from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import select

from core.db import db, utcnow
from core.errors import APIError
from core.plans import Plan
from core.resellers import brand
from core.tenancy import Tenant, platform_scope
from tenants.billing import (BillingStatus, Invoice, Step, Subscription, fall_due, record_payment,
                             register_provider, seen_before)

log = logging.getLogger(__name__)

STRIPE_API_VERSION = "2024-06-20"  # pinned: the calls below are contract-tested against it (tests/tenants)
_LOOKUP_KEY = re.compile(r"^tessera-plan-(\d+)-\d+-[a-z]{3}$")
_ENDED = ("canceled", "incomplete_expired")
SIGNATURE_TOLERANCE = 300  # seconds: an older signed event is a replay (Stripe's own default)
_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com", "https://invoice.stripe.com")

bp = Blueprint("billing_stripe", __name__, url_prefix="/api/billing/stripe")


def client() -> stripe.StripeClient:
    """The platform's line to Stripe (STRIPE_API_BASE may point elsewhere, e.g. localstripe)."""
    base = current_app.config.get("STRIPE_API_BASE")
    return stripe.StripeClient(current_app.config["BILLING_STRIPE_SECRET_KEY"], stripe_version=STRIPE_API_VERSION,
                               base_addresses={"api": base} if base else {}, max_network_retries=1,
                               http_client=current_app.extensions.get("billing_stripe_http"))


def lookup_key(plan: Plan) -> str:
    return f"tessera-plan-{plan.id}-{plan.price}-{plan.currency.lower()}"


class StripeBilling:
    name, renews_itself = "stripe", True

    def checkout(self, tenant: Tenant, plan: Plan, row: Subscription, *, email: str) -> Step:
        try:
            if row.provider_subscription:
                live = client().v1.subscriptions.retrieve(row.provider_subscription).to_dict()
                if live["status"] not in _ENDED:
                    return self._change(tenant, plan, row, live)
                row.provider_subscription = None
            return self._checkout(tenant, plan, row, email)
        except stripe.StripeError:
            log.exception("Stripe refused a plan checkout for shop %s", tenant.id)
            raise APIError("billing_provider_failed") from None

    def _checkout(self, tenant: Tenant, plan: Plan, row: Subscription, email: str) -> Step:
        if row.customer_ref is None:
            # the key makes a retry (after a failure below rolled this back) find the same customer
            customer = client().v1.customers.create(
                {"email": email, "name": tenant.name, "metadata": {"tenant_id": str(tenant.id), "shop": tenant.slug}},
                options={"idempotency_key": f"tessera-customer-{tenant.id}"})
            row.customer_ref = customer.id
            db.session.add(row)
        back = url_for("billing.page", _external=True)
        session = client().v1.checkout.sessions.create({
            "mode": "subscription", "customer": row.customer_ref, "client_reference_id": str(tenant.id),
            "line_items": [{"price": self._price(plan), "quantity": 1}],
            "subscription_data": {"metadata": {"tenant_id": str(tenant.id)}},
            "success_url": f"{back}?paid=1", "cancel_url": back})
        return Step("pay", session.url)

    def _change(self, tenant: Tenant, plan: Plan, row: Subscription, live) -> Step:
        item = live["items"]["data"][0]
        if item["price"]["id"] == self._price(plan):
            # the plan it pays already: the merchant settles what is due, or changes the card, there
            return Step("pay", self.portal(row, url_for("billing.page", _external=True)))
        changed = client().v1.subscriptions.update(row.provider_subscription, {
            "items": [{"id": item["id"], "price": self._price(plan)}],
            "proration_behavior": "always_invoice", "payment_behavior": "pending_if_incomplete",
            "expand": ["latest_invoice"]}).to_dict()
        if changed.get("pending_update"):  # the card needs confirming: the old plan stays until it is
            return Step("pay", changed["latest_invoice"]["hosted_invoice_url"])
        return Step("applied")

    def _price(self, plan: Plan) -> str:
        key = lookup_key(plan)
        found = client().v1.prices.list({"lookup_keys": [key], "active": True, "limit": 1})
        if found.data:
            return found.data[0].id
        return client().v1.prices.create({
            "currency": plan.currency.lower(), "unit_amount": plan.price, "recurring": {"interval": "month"},
            "lookup_key": key, "transfer_lookup_key": True,
            "product_data": {"name": f"{brand().name} {plan.name}", "metadata": {"plan_id": str(plan.id)}}},
            options={"idempotency_key": key}).id

    def leave(self, row: Subscription) -> None:
        if not row.provider_subscription:
            return
        try:
            client().v1.subscriptions.cancel(row.provider_subscription, {"prorate": True})
        except stripe.InvalidRequestError as error:
            if error.http_status != 404:
                raise APIError("billing_provider_failed") from None
        except stripe.StripeError:
            log.exception("Stripe refused to cancel subscription %s", row.provider_subscription)
            raise APIError("billing_provider_failed") from None
        row.provider_subscription = None

    def portal(self, row: Subscription, return_url: str) -> str | None:
        if not row.customer_ref:
            return None
        try:
            return client().v1.billing_portal.sessions.create(
                {"customer": row.customer_ref, "return_url": return_url}).url
        except stripe.StripeError:
            log.exception("Stripe refused a portal session for %s", row.customer_ref)
            raise APIError("billing_provider_failed") from None

    def invoices(self, row: Subscription) -> list[Invoice]:
        if not row.customer_ref:
            return []
        try:
            found = client().v1.invoices.list({"customer": row.customer_ref, "limit": 12}).to_dict()["data"]
        except stripe.StripeError:
            log.warning("Stripe did not list the invoices of %s", row.customer_ref, exc_info=True)
            return []
        return [Invoice(number=invoice.get("number") or invoice["id"],
                        issued=dt.datetime.fromtimestamp(invoice["created"], dt.UTC), amount=invoice["total"],
                        currency=invoice["currency"].upper(), status=invoice.get("status") or "draft",
                        url=invoice.get("hosted_invoice_url")) for invoice in found]


    def pages(self) -> tuple[str, ...]:
        base = current_app.config.get("STRIPE_API_BASE")  # a Stripe elsewhere (a test's) hosts its pages there
        if not base:
            return _PAGES
        where = urllib.parse.urlsplit(base)
        return (*_PAGES, f"{where.scheme}://{where.netloc}")


register_provider(StripeBilling())


# -- the webhook --------------------------------------------------------------------------------

@bp.post("/webhook")
def webhook():
    """Stripe's events for the platform's account: signed, each applied once, in one transaction
    with the record that it was (a failure leaves neither, and Stripe sends it again)."""
    if current_app.config["BILLING_PROVIDER"] != "stripe":
        raise APIError("not_found")
    payload = request.get_data()
    try:
        stripe.WebhookSignature.verify_header(payload.decode(), request.headers.get("Stripe-Signature", ""),
                                              current_app.config["BILLING_STRIPE_WEBHOOK_SECRET"],
                                              tolerance=SIGNATURE_TOLERANCE)
        event = json.loads(payload)
        handler, about = _HANDLERS.get(event["type"]), event["data"]["object"]
    except (ValueError, KeyError, TypeError, stripe.SignatureVerificationError):
        raise APIError("bad_request", "The webhook signature does not match.") from None
    if handler is None:
        return jsonify(received=True, applied=False)
    with platform_scope():
        if seen_before("stripe", str(event["id"]), event["type"]):
            return jsonify(received=True, applied=False)
        applied = handler(about)
        db.session.commit()
    return jsonify(received=True, applied=applied)


def _shop_of(customer: str | None) -> tuple[Subscription, Tenant] | None:
    """The shop whose Stripe customer this is (we made every one), its row locked."""
    if not customer:
        return None
    found = db.session.execute(
        select(Subscription, Tenant).join(Tenant, Tenant.id == Subscription.tenant_id)
        .where(Subscription.customer_ref == customer).with_for_update(of=Subscription)).first()
    if found is None:
        log.warning("A Stripe event for customer %s, who is no shop's", customer)
    return found


def _checkout_completed(session) -> bool:
    found = _shop_of(session.get("customer"))
    if found is None or session.get("mode") != "subscription" or not session.get("subscription"):
        return False
    row, _tenant = found
    if row.provider_subscription and row.provider_subscription != session["subscription"]:
        # paid twice (two checkouts at once): the newer one stands, the older is cancelled pro rata
        try:
            client().v1.subscriptions.cancel(row.provider_subscription, {"prorate": True})
        except stripe.InvalidRequestError:
            log.warning("Stripe did not cancel the replaced subscription %s", row.provider_subscription)
    row.provider_subscription = session["subscription"]
    return True


def _invoice_paid(invoice) -> bool:
    found = _shop_of(invoice.get("customer"))
    paid_for = _plan_line(invoice)
    if found is None or paid_for is None:
        return False
    row, tenant = found
    plan, period_end = paid_for
    if invoice.get("subscription"):
        row.provider_subscription = invoice["subscription"]
    record_payment(tenant, plan, payment=invoice["id"], payment_method=f"stripe:{invoice.get('subscription') or ''}",
                   paid_until=period_end, amount=invoice.get("amount_paid"))
    return True


def _plan_line(invoice) -> tuple[Plan, dt.datetime] | None:
    """The plan an invoice pays for and until when: its line of one of our Prices that is not a
    credit and ends last (a change of plan's invoice credits the old plan and charges the new)."""
    best = None
    for line in invoice.get("lines", {}).get("data", []):
        price = line.get("price") or {}
        matched = _LOOKUP_KEY.match(price.get("lookup_key") or "")
        if matched and line.get("amount", 0) >= 0 and (best is None or line["period"]["end"] > best[1]):
            best = (int(matched.group(1)), line["period"]["end"])
    if best is None:
        log.warning("Stripe invoice %s pays for none of our plans", invoice.get("id"))
        return None
    plan = db.session.get(Plan, best[0])
    return (plan, dt.datetime.fromtimestamp(best[1], dt.UTC)) if plan is not None else None


def _payment_failed(invoice) -> bool:
    found = _shop_of(invoice.get("customer"))
    if found is None:
        return False
    row, tenant = found
    if row.status != BillingStatus.ACTIVE or row.paid_until is None:
        return False  # already due (Stripe retries, and tells each time), trialing, or on a free plan
    fall_due(row, tenant, since=utcnow())
    return True


def _subscription_deleted(subscription) -> bool:
    found = _shop_of(subscription.get("customer"))
    if found is None or found[0].provider_subscription != subscription.get("id"):
        return False
    found[0].provider_subscription = found[0].ends_at = None  # what is paid runs out; then it is due as any
    return True


def _subscription_updated(subscription) -> bool:
    """Cancelled in the portal (at the period's end, or on a date), or taken back: the billing
    page says whether it renews."""
    found = _shop_of(subscription.get("customer"))
    if found is None or found[0].provider_subscription != subscription.get("id"):
        return False
    ends = subscription.get("cancel_at") or (
        subscription.get("current_period_end") if subscription.get("cancel_at_period_end") else None)
    found[0].ends_at = dt.datetime.fromtimestamp(ends, dt.UTC) if ends else None
    return True


_HANDLERS = {"checkout.session.completed": _checkout_completed, "invoice.paid": _invoice_paid,
             "invoice.payment_failed": _payment_failed, "customer.subscription.deleted": _subscription_deleted,
             "customer.subscription.updated": _subscription_updated}

"""The `stripe` billing provider.

localstripe has no Checkout, customer portal or Prices, so those calls are contract-tested: the
app's Stripe client goes through `tests.fake_stripe` (answering as Stripe does and recording
each request), and the tests check the method, path and form parameters Stripe's
API reference gives for the pinned version. The webhook is tested with events signed as Stripe
signs them; listing invoices is tested against localstripe."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import time

import pytest
import stripe
from sqlalchemy import func, select

from core.config import ConfigError, load_config
from core.tenancy import Tenant
from tenants.billing import GRACE_DAYS, RENEWAL_WAIT, BillingEvent, BillingStatus, sweep_billing
from tenants.billing_stripe import STRIPE_API_VERSION, lookup_key
from tests.conftest import csrf_token_of, dispose_app, make_app
from tests.fake_stripe import FakeStripe, FakeStripeClient, signed_event
from tests.localstripe import API_KEY
from tests.tenants.test_billing import actions, subscription
from tests.tenants.test_signup import mails_to

WEBHOOK_SECRET = "whsec_billing_1234567890"
WEBHOOK = "/api/billing/stripe/webhook"


@pytest.fixture(scope="module")
def app(database_url, tmp_path_factory):
    """Overrides the suite's `app`: the platform bills through Stripe."""
    application = make_app(database_url, tmp_path_factory.mktemp("instance"), BILLING_PROVIDER="stripe",
                           BILLING_STRIPE_SECRET_KEY=API_KEY, BILLING_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    yield application
    dispose_app(application)


@pytest.fixture
def fake_stripe(app):
    fake = FakeStripe()
    app.extensions["billing_stripe_http"] = FakeStripeClient(fake)
    yield fake
    app.extensions.pop("billing_stripe_http", None)


@pytest.fixture
def plans(db_session):
    from tenants.plans import create_plan

    made = (create_plan(slug="free", name="Free", price=0, limits={"items": 5}, position=1),
            create_plan(slug="pro", name="Pro", price=29900, limits={}, position=2, trial_days=14),
            create_plan(slug="max", name="Max", price=59900, limits={}, position=3))
    db_session.commit()
    return made


@pytest.fixture
def trialing(app, db_session, tenant_a, plans):
    from tenants.billing import start_trial
    from tenants.plans import assign_plan

    shop = db_session.get(Tenant, tenant_a.id)
    with app.test_request_context():
        assign_plan(shop, plans[1])
        start_trial(shop, plans[1])
    db_session.commit()
    return shop


def choose(client, plan_id: int):
    page = client.get("/merchant/billing/").get_data(as_text=True)
    return client.post(f"/merchant/billing/choose/{plan_id}", data={"csrf_token": csrf_token_of(page)})


def on_stripe(db_session, shop, *, customer="cus_live", live="sub_live"):
    row = subscription(db_session, shop)
    row.customer_ref, row.provider_subscription = customer, live
    db_session.commit()
    return row


def deliver(client, event_type: str, data: dict, *, event_id: str | None = None, secret: str = WEBHOOK_SECRET):
    payload, signature = signed_event(event_type, data, secret, event_id)
    return client.post(WEBHOOK, data=payload, content_type="application/json", headers={"Stripe-Signature": signature})


def paid_invoice(plan, *, customer="cus_live", ends: dt.datetime, amount: int | None = None, lines=None) -> dict:
    """An `invoice.paid` invoice of the pinned API version for a month of `plan`."""
    start = ends - dt.timedelta(days=30)
    return {"id": f"in_{secrets.token_hex(6)}", "object": "invoice", "customer": customer,
            "subscription": "sub_live", "status": "paid",
            "amount_paid": plan.price if amount is None else amount, "currency": plan.currency.lower(),
            "lines": {"object": "list", "data": lines or [
                {"id": "il_1", "object": "line_item", "amount": plan.price, "proration": False,
                 "period": {"start": int(start.timestamp()), "end": int(ends.timestamp())},
                 "price": {"id": "price_x", "object": "price", "lookup_key": lookup_key(plan)}}]}}


def test_choosing_a_paid_plan_opens_stripe_checkout_for_the_shops_own_customer(client, db_session, enter, trialing,
                                                                              plans, fake_stripe):
    owner = enter("owner")
    sent = choose(client, plans[1].id)
    assert sent.status_code == 302 and sent.headers["Location"].startswith("https://checkout.stripe.com/c/")
    key = f"tessera-plan-{plans[1].id}-29900-{plans[1].currency.lower()}"
    assert [(verb, path) for verb, path, _params, _key in fake_stripe.calls] == [
        ("POST", "/v1/customers"), ("GET", "/v1/prices"), ("POST", "/v1/prices"), ("POST", "/v1/checkout/sessions")]
    customer = fake_stripe.calls[0]
    assert customer[2] == {"email": owner.email, "name": trialing.name, "metadata[tenant_id]": str(trialing.id),
                           "metadata[shop]": trialing.slug}
    assert customer[3] == f"tessera-customer-{trialing.id}"  # a retry finds the same customer
    assert fake_stripe.made("GET", "/v1/prices") == [{"lookup_keys[0]": key, "active": "true", "limit": "1"}]
    price = fake_stripe.made("POST", "/v1/prices")[0]
    assert price == {"currency": plans[1].currency.lower(), "unit_amount": "29900", "recurring[interval]": "month", "lookup_key": key,
                     "transfer_lookup_key": "true", "product_data[name]": "Tessera Pro",
                     "product_data[metadata][plan_id]": str(plans[1].id)}
    session = fake_stripe.made("POST", "/v1/checkout/sessions")[0]
    assert session == {"mode": "subscription", "customer": "cus_1", "client_reference_id": str(trialing.id),
                       "line_items[0][price]": "price_3", "line_items[0][quantity]": "1",
                       "subscription_data[metadata][tenant_id]": str(trialing.id),
                       "success_url": "http://localhost/merchant/billing/?paid=1",
                       "cancel_url": "http://localhost/merchant/billing/"}
    row = subscription(db_session, trialing)
    assert (row.customer_ref, row.status, db_session.get(Tenant, trialing.id).plan_id) == (
        "cus_1", BillingStatus.TRIALING, plans[1].id)  # nothing paid yet

    fake_stripe.calls.clear()
    assert choose(client, plans[1].id).status_code == 302  # again: the same customer, the Price found
    assert [(verb, path) for verb, path, _params, _key in fake_stripe.calls if path != "/v1/invoices"] == [
        ("GET", "/v1/prices"), ("POST", "/v1/checkout/sessions")]
    assert 'data-billing="paying"' in client.get("/merchant/billing/?paid=1").get_data(as_text=True)


def test_stripe_refusing_is_a_message_and_changes_nothing(client, db_session, enter, trialing, plans, fake_stripe):
    enter("owner")
    fake_stripe.refuse = "/v1/checkout/sessions"
    refused = choose(client, plans[2].id)
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/merchant/billing/")
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert "The payment provider did not answer; nothing was changed." in page
    row = subscription(db_session, trialing)
    assert (row.customer_ref, db_session.get(Tenant, trialing.id).plan_id) == (None, plans[1].id)


def test_paid_webhooks_pay_the_plan_until_the_invoices_period_end_once(client, db_session, enter, trialing, plans,
                                                                     fake_stripe):
    on_stripe(db_session, trialing, live=None)
    completed = deliver(client, "checkout.session.completed", {
        "id": "cs_1", "object": "checkout.session", "mode": "subscription", "customer": "cus_live",
        "subscription": "sub_live", "payment_status": "paid"})
    assert completed.status_code == 200 and completed.json == {"received": True, "applied": True}
    assert subscription(db_session, trialing).provider_subscription == "sub_live"

    ends = dt.datetime(2027, 1, 3, 8, 0, tzinfo=dt.UTC)
    invoice = paid_invoice(plans[2], ends=ends)
    assert deliver(client, "invoice.paid", invoice, event_id="evt_paid").json == {"received": True, "applied": True}
    row = subscription(db_session, trialing)
    assert (row.status, row.paid_until, row.last_paid, row.last_payment, row.payment_method) == (
        BillingStatus.ACTIVE, ends, 59900, invoice["id"], "stripe:sub_live")
    assert db_session.get(Tenant, trialing.id).plan_id == plans[2].id
    again = deliver(client, "invoice.paid", invoice, event_id="evt_paid")
    assert again.status_code == 200 and again.json["applied"] is False
    assert actions(db_session, trialing).count("billing.paid") == 1
    assert db_session.scalar(select(func.count()).select_from(BillingEvent)) == 3  # two events, one payment

    older = paid_invoice(plans[2], ends=ends - dt.timedelta(days=30))  # told late: it moves nothing back
    assert deliver(client, "invoice.paid", older).json["applied"] is True
    assert subscription(db_session, trialing).paid_until == ends


def test_a_change_of_plans_invoice_pays_for_the_new_plan(client, db_session, trialing, plans, fake_stripe):
    on_stripe(db_session, trialing)
    ends = dt.datetime(2027, 1, 3, 8, 0, tzinfo=dt.UTC)
    period = {"start": int((ends - dt.timedelta(days=12)).timestamp()), "end": int(ends.timestamp())}
    lines = [{"id": "il_old", "amount": -11960, "proration": True, "period": period,
              "price": {"id": "price_p", "lookup_key": lookup_key(plans[1])}},
             {"id": "il_new", "amount": 23960, "proration": True, "period": period,
              "price": {"id": "price_m", "lookup_key": lookup_key(plans[2])}}]
    deliver(client, "invoice.paid", paid_invoice(plans[2], ends=ends, amount=12000, lines=lines))
    row = subscription(db_session, trialing)
    assert (db_session.get(Tenant, trialing.id).plan_id, row.last_paid, row.paid_until) == (plans[2].id, 12000, ends)


def test_forged_unknown_and_foreign_events_change_nothing(client, db_session, trialing, plans, fake_stripe):
    on_stripe(db_session, trialing)
    ends = dt.datetime(2027, 1, 3, tzinfo=dt.UTC)
    forged = deliver(client, "invoice.paid", paid_invoice(plans[2], ends=ends), secret="whsec_someone_else")
    assert forged.status_code == 400 and forged.json["error"]["code"] == "bad_request"
    unsigned = client.post(WEBHOOK, json={"type": "invoice.paid"})
    assert unsigned.status_code == 400
    payload = json.dumps({"id": "evt_old", "type": "invoice.paid", "data": {"object": paid_invoice(plans[2], ends=ends)}})
    replayed = client.post(WEBHOOK, data=payload, content_type="application/json", headers={
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
            payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)})  # signed an hour ago: replayed
    assert replayed.status_code == 400
    stranger = deliver(client, "invoice.paid", paid_invoice(plans[2], ends=ends, customer="cus_not_ours"))
    assert stranger.status_code == 200 and stranger.json["applied"] is False
    not_ours = paid_invoice(plans[2], ends=ends, lines=[{"id": "il", "amount": 500, "period": {"start": 1, "end": 2},
                                                         "price": {"id": "p", "lookup_key": "someone-elses"}}])
    assert deliver(client, "invoice.paid", not_ours).json["applied"] is False
    assert deliver(client, "customer.created", {"id": "cus_live"}).json["applied"] is False
    row = subscription(db_session, trialing)
    assert (row.status, db_session.get(Tenant, trialing.id).plan_id) == (BillingStatus.TRIALING, plans[1].id)


def test_a_failed_renewal_starts_the_grace_period_and_the_sweeper_waits_for_stripe(app, client, db_session, enter,
                                                                                  trialing, plans, fake_stripe):
    owner = enter("owner")
    on_stripe(db_session, trialing)
    ends = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
    deliver(client, "invoice.paid", paid_invoice(plans[1], ends=ends))
    with app.test_request_context():
        assert sweep_billing(ends + dt.timedelta(hours=2)) == 0  # Stripe renews: its word may come later
        assert sweep_billing(ends + RENEWAL_WAIT - dt.timedelta(seconds=1)) == 0
    failed = deliver(client, "invoice.payment_failed", {"id": "in_failed", "object": "invoice",
                                                         "customer": "cus_live", "subscription": "sub_live"})
    assert failed.json["applied"] is True
    row = subscription(db_session, trialing)
    assert row.status == BillingStatus.PAST_DUE
    assert dt.timedelta(days=GRACE_DAYS) - dt.timedelta(minutes=1) < row.grace_ends_at - dt.datetime.now(dt.UTC)
    assert mails_to(app, owner.email)[-1]["Subject"] == "Your shop's plan is due"
    assert deliver(client, "invoice.payment_failed", {"id": "in_failed", "customer": "cus_live"}).json[
        "applied"] is False  # Stripe's retries fail again: due already, told once
    deliver(client, "invoice.paid", paid_invoice(plans[1], ends=ends + dt.timedelta(days=30)))  # the card worked
    row = subscription(db_session, trialing)
    assert (row.status, row.paid_until, row.grace_ends_at) == (BillingStatus.ACTIVE, ends + dt.timedelta(days=30),
                                                               None)
    with app.test_request_context():  # no word from Stripe a day after the period: due as any other
        assert sweep_billing(row.paid_until + RENEWAL_WAIT) == 1
    assert subscription(db_session, trialing).status == BillingStatus.PAST_DUE


def test_a_live_subscription_changes_plan_pro_rata_and_a_free_plan_cancels_it(client, db_session, enter, trialing,
                                                                             plans, fake_stripe):
    enter("owner")
    on_stripe(db_session, trialing)
    fake_stripe.prices[lookup_key(plans[2])] = {"id": "price_max", "object": "price"}
    changed = choose(client, plans[2].id)
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/merchant/billing/")
    assert fake_stripe.made("POST", "/v1/subscriptions/sub_live") == [{
        "items[0][id]": "si_live", "items[0][price]": "price_max", "proration_behavior": "always_invoice",
        "payment_behavior": "pending_if_incomplete", "expand[0]": "latest_invoice"}]
    assert db_session.get(Tenant, trialing.id).plan_id == plans[2].id
    assert actions(db_session, trialing)[-1] == "tenant.plan"

    fake_stripe.needs_confirming = True  # back to Pro, but the card must be confirmed first
    fake_stripe.prices[lookup_key(plans[1])] = {"id": "price_pro", "object": "price"}
    pending = choose(client, plans[1].id)
    assert pending.headers["Location"] == "https://invoice.stripe.com/i/in_change"
    assert db_session.get(Tenant, trialing.id).plan_id == plans[2].id  # until Stripe says it is paid

    fake_stripe.subscription["items"]["data"][0]["price"]["id"] = "price_max"
    same = choose(client, plans[2].id)  # the plan it pays: settle or change the card in the portal
    assert same.headers["Location"].startswith("https://checkout.stripe.com/p/session/")

    freed = choose(client, plans[0].id)
    assert freed.status_code == 302
    assert fake_stripe.made("DELETE", "/v1/subscriptions/sub_live") == [{"prorate": "true"}]
    row = subscription(db_session, trialing)
    assert (row.provider_subscription, row.status, row.paid_until) == (None, BillingStatus.ACTIVE, None)
    assert db_session.get(Tenant, trialing.id).plan_id == plans[0].id
    ended = deliver(client, "customer.subscription.deleted", {"id": "sub_live", "customer": "cus_live"})
    assert ended.json["applied"] is False  # it was ours to end: nothing left to do


def test_the_portal_and_the_invoices_are_the_owners(client, db_session, enter, trialing, plans, fake_stripe):
    on_stripe(db_session, trialing)
    enter("clerk")
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert "TESS-0001" in page and "data-portal" not in page
    assert client.post("/merchant/billing/portal").status_code in (400, 403)
    assert fake_stripe.made("POST", "/v1/billing_portal/sessions") == []
    enter("owner")
    answer = client.get("/merchant/billing/")
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com https://invoice.stripe.com;" in (
        answer.headers["Content-Security-Policy"])  # the browser follows the forms' redirects to Stripe
    page = answer.get_data(as_text=True)
    assert re.search(r'href="https://invoice.stripe.com/i/in_1"[^>]*>TESS-0001', page)
    opened = client.post("/merchant/billing/portal", data={"csrf_token": csrf_token_of(page)})
    assert opened.status_code == 302 and opened.headers["Location"].startswith("https://checkout.stripe.com/p/session/")
    assert fake_stripe.made("POST", "/v1/billing_portal/sessions") == [
        {"customer": "cus_live", "return_url": "http://localhost/merchant/billing/"}]


def test_a_subscription_cancelled_in_the_portal_says_it_does_not_renew(client, db_session, enter, trialing, plans,
                                                                       fake_stripe):
    enter("owner")
    on_stripe(db_session, trialing)
    ends = dt.datetime(2027, 1, 3, 8, 0, tzinfo=dt.UTC)
    deliver(client, "invoice.paid", paid_invoice(plans[1], ends=ends))
    assert 'data-billing="active"' in client.get("/merchant/billing/").get_data(as_text=True)
    cancelled = {"id": "sub_live", "object": "subscription", "customer": "cus_live", "status": "active",
                 "cancel_at_period_end": True, "cancel_at": None, "current_period_end": int(ends.timestamp())}
    assert deliver(client, "customer.subscription.updated", cancelled).json["applied"] is True
    assert subscription(db_session, trialing).ends_at == ends
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert 'data-billing="ending"' in page and "it does not renew" in page and 'data-choose="pro"' in page
    other = deliver(client, "customer.subscription.updated", {**cancelled, "id": "sub_someone_elses"})
    assert other.json["applied"] is False
    deliver(client, "customer.subscription.updated", {**cancelled, "cancel_at_period_end": False})  # taken back
    assert subscription(db_session, trialing).ends_at is None
    assert 'data-billing="active"' in client.get("/merchant/billing/").get_data(as_text=True)


def test_a_cancelled_subscription_is_forgotten_and_the_next_choice_checks_out_anew(client, db_session, enter,
                                                                                 trialing, plans, fake_stripe):
    enter("owner")
    on_stripe(db_session, trialing)
    ended = deliver(client, "customer.subscription.deleted", {"id": "sub_live", "customer": "cus_live"})
    assert ended.json["applied"] is True and subscription(db_session, trialing).provider_subscription is None
    assert choose(client, plans[2].id).headers["Location"].startswith("https://checkout.stripe.com/")
    assert fake_stripe.made("POST", "/v1/customers") == []  # the shop's customer stays
    assert fake_stripe.made("POST", "/v1/checkout/sessions")[0]["customer"] == "cus_live"


def test_stripe_billing_needs_its_keys_and_the_webhook_is_404_without_it(tmp_path):
    with pytest.raises(ConfigError, match="TESSERA_BILLING_STRIPE_SECRET_KEY"):
        load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_BILLING_PROVIDER": "stripe",
                     "TESSERA_BILLING_STRIPE_SECRET_KEY": "sk_live_x"})
    loaded = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_BILLING_PROVIDER": "stripe",
                          "TESSERA_BILLING_STRIPE_SECRET_KEY": "sk_live_x",
                          "TESSERA_BILLING_STRIPE_WEBHOOK_SECRET": "whsec_x"})
    assert loaded["BILLING_PROVIDER"] == "stripe"


def test_invoices_are_listed_from_stripe(app, client, db_session, enter, trialing, localstripe, monkeypatch):
    """Against localstripe: the shop's customer, a subscription paid by card, its invoice listed."""
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe)
    at_stripe = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe}, stripe_version=STRIPE_API_VERSION,
                                    max_network_retries=0)
    customer = at_stripe.v1.customers.create({"email": "owner@example.com", "payment_method": "pm_card_visa"})
    card = at_stripe.v1.payment_methods.list({"customer": customer.id, "type": "card"}).data[0].id
    at_stripe.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card}})
    plan = at_stripe.v1.plans.create({"amount": 29900, "currency": "usd", "interval": "month",
                                      "product": {"name": "Pro"}})
    at_stripe.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan.id}]})
    on_stripe(db_session, trialing, customer=customer.id)
    enter("owner")
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert 'id="invoices"' in page and "$299.00" in page and ">Paid<" in page

"""The Stripe provider against localstripe (a fake, stateful Stripe server run once per module):
paying starts a PaymentIntent, a signed `payment_intent.succeeded` webhook pays the order exactly
once, a forged one is refused, and an approved after-sale is refunded at Stripe."""

from __future__ import annotations

import json
import secrets
import time

import pytest
import stripe
from sqlalchemy import func, select

from core.db import db
from core.tenancy import tenant_scope
from engines.orders.after_sales import approve, find_after_sale
from engines.payments.accounts import configure_stripe
from engines.payments.models import Payment, ProviderEvent, Refund
from engines.payments.providers import STRIPE_API_VERSION
from tests.conftest import dispose_app, make_app
from tests.engines.orders.conftest import make_shop
from tests.engines.orders.test_orders import as_shop, get_order, place
from tests.localstripe import API_KEY

PUBLISHABLE_KEY, WEBHOOK_SECRET = "pk_test_1234567890", "whsec_test1234567890"
WEBHOOK = "/api/v1/payments/stripe/webhook"


@pytest.fixture(scope="module")
def stripe_client(localstripe) -> stripe.StripeClient:
    """The test's own line to localstripe (what Stripe.js and the dashboard would do)."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe}, stripe_version=STRIPE_API_VERSION,
                               max_network_retries=0)


@pytest.fixture(scope="module")
def app(database_url, localstripe, tmp_path_factory):
    """Overrides the suite's `app` (so `db_session` and `client` use it): Stripe at localstripe."""
    application = make_app(database_url, tmp_path_factory.mktemp("instance"), STRIPE_API_BASE=localstripe)
    yield application
    dispose_app(application)


@pytest.fixture
def shop(db_session, tenant_a, create_consumer):
    """A shop whose owner entered its Stripe account in the back office."""
    made = make_shop(tenant_a, create_consumer)
    with tenant_scope(tenant_a):
        configure_stripe(secret_key=API_KEY, publishable_key=PUBLISHABLE_KEY, webhook_secret=WEBHOOK_SECRET,
                         enabled=True)
    db_session.commit()
    return made


def pickup(shop) -> dict:
    return {"type": "pickup", "store_id": shop["store"]}


def start_stripe_payment(client, shop, order) -> dict:
    started = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "stripe"},
                          headers=shop["headers"])
    assert started.status_code == 201, started.json
    return started.json


def webhook(client, shop, event_type: str, intent: dict, *, event_id: str | None = None,
            secret: str = WEBHOOK_SECRET):
    """Deliver an event the way Stripe signs it: Stripe-Signature t=…,v1=HMAC-SHA256(secret, "t.payload")."""
    payload = json.dumps({"id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event", "type": event_type,
                          "api_version": STRIPE_API_VERSION, "created": int(time.time()), "livemode": False,
                          "data": {"object": intent}})
    signature = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return client.post(WEBHOOK, data=payload, content_type="application/json",
                       headers={"Stripe-Signature": signature, "X-Tenant": shop["tenant"].slug})


def pay_at_stripe(client, shop, stripe_client, order) -> tuple[dict, dict]:
    """Start a Stripe payment and confirm it with a card at Stripe, as Stripe.js would (localstripe
    confirms only an intent that has its payment method already); answers (API answer, intent)."""
    started = start_stripe_payment(client, shop, order)
    intent_id = started["next_action"]["payment_intent"]
    stripe_client.v1.payment_intents.update(intent_id, {"payment_method": "pm_card_visa"})
    intent = stripe_client.v1.payment_intents.confirm(intent_id)
    assert intent.status == "succeeded"
    return started, intent.to_dict()  # the intent is the event's data.object


def payment_row(shop, payment_id) -> Payment:
    with tenant_scope(shop["tenant"]):
        return db.session.get(Payment, (shop["tenant"].id, int(payment_id)))


def test_paying_with_stripe_starts_a_payment_intent(client, shop, stripe_client):
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], pickup(shop))
    started = start_stripe_payment(client, shop, order)
    action = started["next_action"]
    assert action["type"] == "stripe_confirm"
    assert action["client_secret"].startswith(f"{action['payment_intent']}_secret_")
    payment = payment_row(shop, started["payment"]["id"])
    assert payment.provider == "stripe" and payment.provider_ref == action["payment_intent"]
    assert payment.provider_ref.startswith("pi_") and started["payment"]["status"] == "pending"
    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_ref)
    assert (intent.amount, intent.currency, intent.status) == (2500, order["total"]["currency"].lower(),
                                                               "requires_payment_method")
    assert intent.metadata["payment_id"] == started["payment"]["id"] and intent.metadata["order_id"] == order["id"]
    assert get_order(client, shop, order["id"])["status"] == "pending_payment"


def test_checkout_and_pay_in_one_call_with_stripe(client, shop, stripe_client):
    answer = client.post("/api/v1/checkout/pay", headers=shop["headers"], json={
        "lines": [{"sku_id": shop["tea"], "quantity": 2}], "fulfillment": pickup(shop), "provider": "stripe"})
    assert answer.status_code == 201, answer.json
    order, action = answer.json["order"], answer.json["next_action"]
    assert action["type"] == "stripe_confirm"
    payment = payment_row(shop, answer.json["payment"]["id"])
    assert payment.provider_ref == action["payment_intent"] and payment.order_id == int(order["id"])
    intent = stripe_client.v1.payment_intents.retrieve(action["payment_intent"])
    assert (intent.amount, intent.metadata["order_id"]) == (2500, order["id"])
    stripe_client.v1.payment_intents.update(intent.id, {"payment_method": "pm_card_visa"})
    confirmed = stripe_client.v1.payment_intents.confirm(intent.id)
    paid = webhook(client, shop, "payment_intent.succeeded", confirmed.to_dict())
    assert paid.json == {"received": True, "applied": True, "outcome": "paid"}
    assert get_order(client, shop, order["id"])["status"] == "paid"
    # refused (out of stock): the intent started for it is left unconfirmed, no payment is written
    refused = client.post("/api/v1/checkout/pay", headers=shop["headers"], json={
        "lines": [{"sku_id": shop["tea"], "quantity": 9}], "fulfillment": pickup(shop), "provider": "stripe"})
    assert refused.status_code == 409
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_signed_webhook_pays_the_order_once(client, shop, stripe_client):
    order = place(client, shop, [{"sku_id": shop["cake"]}], pickup(shop))
    started, intent = pay_at_stripe(client, shop, stripe_client, order)
    event_id = f"evt_{secrets.token_hex(12)}"
    first = webhook(client, shop, "payment_intent.succeeded", intent, event_id=event_id)
    assert first.status_code == 200 and first.json == {"received": True, "applied": True, "outcome": "paid"}
    paid = get_order(client, shop, order["id"])
    assert paid["status"] == "paid" and paid["paid_at"]
    settled = payment_row(shop, started["payment"]["id"])
    before = (settled.status.value, settled.settled_at, settled.details)
    assert before[0] == "succeeded" and before[2] == {"event": event_id}
    # Stripe retries deliveries: the same event again is acknowledged and changes nothing
    again = webhook(client, shop, "payment_intent.succeeded", intent, event_id=event_id)
    assert again.status_code == 200 and again.json == {"received": True, "applied": False}
    after = payment_row(shop, started["payment"]["id"])
    assert (after.status.value, after.settled_at, after.details) == before
    assert get_order(client, shop, order["id"]) == paid
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 1
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_webhook_with_a_bad_signature_is_refused(client, shop, stripe_client):
    order = place(client, shop, [{"sku_id": shop["cake"]}], pickup(shop))
    started, intent = pay_at_stripe(client, shop, stripe_client, order)
    forged = webhook(client, shop, "payment_intent.succeeded", intent, secret="whsec_someone_else")
    assert forged.status_code == 400 and forged.json["error"]["code"] == "bad_request"
    unsigned = client.post(WEBHOOK, json={"id": "evt_x", "object": "event"}, headers={"X-Tenant": shop["tenant"].slug})
    assert unsigned.status_code == 400 and unsigned.json["error"]["code"] == "bad_request"
    assert payment_row(shop, started["payment"]["id"]).status.value == "pending"
    assert get_order(client, shop, order["id"])["status"] == "pending_payment"


def test_an_after_sale_is_refunded_at_stripe(client, shop, stripe_client):
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], pickup(shop))
    started, intent = pay_at_stripe(client, shop, stripe_client, order)
    paid = webhook(client, shop, "payment_intent.succeeded", intent)
    assert paid.json == {"received": True, "applied": True, "outcome": "paid"}
    line = order["lines"][0]["id"]
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": line, "quantity": 1}]})
    assert asked.status_code == 201 and asked.json["amount"]["amount"] == 1250, asked.json
    as_shop(shop, lambda: approve(find_after_sale(int(asked.json["id"]))))
    with tenant_scope(shop["tenant"]):
        refund = db.session.scalars(select(Refund)).one()
        assert (refund.reason, refund.amount, refund.status) == ("after_sale", 1250, "succeeded")
        assert refund.provider_ref.startswith("re_")
    assert payment_row(shop, started["payment"]["id"]).refunded == 1250
    at_stripe = stripe_client.v1.refunds.retrieve(refund.provider_ref)
    assert (at_stripe.payment_intent, at_stripe.amount, at_stripe.status) == (intent["id"], 1250, "succeeded")
    refunded = get_order(client, shop, order["id"])
    assert refunded["after_sales"][0]["status"] == "refunded" and refunded["refunded"]["amount"] == 1250


def test_the_stripe_pay_page_shows_the_card_form_for_its_payment_only(client, shop, stripe_client):
    order = place(client, shop, [{"sku_id": shop["cake"]}], pickup(shop))
    started = start_stripe_payment(client, shop, order)
    action = started["next_action"]
    assert action["publishable_key"] == PUBLISHABLE_KEY
    path = action["url"].split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}&return_to=/s/{shop['tenant'].slug}/orders/{order['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'data-publishable-key="{PUBLISHABLE_KEY}"' in html
    assert f'data-client-secret="{action["client_secret"]}"' in html
    assert f'data-return-to="/s/{shop["tenant"].slug}/orders/{order["id"]}"' in html
    assert "script-src 'self' https://js.stripe.com" in page.headers["Content-Security-Policy"]
    assert client.get(f"/{path[:-2]}xx").status_code == 404  # a tampered token
    elsewhere = client.get(f"/{path}&return_to=//evil.example/")
    assert 'data-return-to=""' in elsewhere.get_data(as_text=True)


def test_a_webhook_signed_with_another_shops_secret_is_refused(client, shop, stripe_client, tenant_b, create_consumer,
                                                              db_session):
    other = make_shop(tenant_b, create_consumer)
    with tenant_scope(tenant_b):
        configure_stripe(secret_key=API_KEY, publishable_key=PUBLISHABLE_KEY, webhook_secret="whsec_othershop123456",
                         enabled=True)
    db_session.commit()
    order = place(client, shop, [{"sku_id": shop["cake"]}], pickup(shop))
    started, intent = pay_at_stripe(client, shop, stripe_client, order)
    crossed = webhook(client, shop, "payment_intent.succeeded", intent, secret="whsec_othershop123456")
    assert crossed.status_code == 400
    assert payment_row(shop, started["payment"]["id"]).status.value == "pending"
    at_the_other = webhook(client, other, "payment_intent.succeeded", intent, secret="whsec_othershop123456")
    assert at_the_other.json == {"received": True, "applied": False}  # not a payment of that shop
    assert get_order(client, shop, order["id"])["status"] == "pending_payment"

"""Paying for a plan through Stripe as a merchant meets it, at 1280 px: Tessera runs with the
`stripe` billing provider against a fake Stripe (tests.fake_stripe: its Checkout page's button
sends the signed webhooks Stripe would, then returns to the billing page); the merchant chooses
Pro, subscribes, comes back to the plan paid and its invoice listed, and opens the customer
portal and returns."""

from __future__ import annotations

import pytest

from tests.browser import Server, accessible, looks_right, sign_in_console, sign_in_merchant, watched_page
from tests.browser import browser  # noqa: F401  the fixture of the browser tests
from tests.fake_stripe import FakeStripeServer
from tests.tenants.test_billing_browser import make_plan

SECRET = "whsec_browser_1234567890"


@pytest.fixture(scope="module")
def stripe_server(tmp_path_factory):
    """A fake Stripe, and Tessera billing through it."""
    fake = FakeStripeServer(webhook_url="", secret=SECRET)
    server = Server(tmp_path_factory.mktemp("browser-instance"), env={
        "TESSERA_BILLING_PROVIDER": "stripe", "TESSERA_BILLING_STRIPE_SECRET_KEY": "sk_test_browser",
        "TESSERA_BILLING_STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_API_BASE": fake.url})
    fake.webhook_url = server.url + "/api/billing/stripe/webhook"
    yield server, fake
    server.stop()
    fake.stop()


@pytest.mark.live
def test_a_merchant_subscribes_through_stripe_checkout(stripe_server, browser):  # noqa: F811
    server, fake = stripe_server
    admin, _problems = watched_page(browser, 1280)
    sign_in_console(admin, server)
    make_plan(admin, server.url, "Pro", "299", "0")
    admin.context.close()

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/billing/")
    looks_right(page, problems, "¥299.00 a month", "Payments go through Stripe", name="billing-stripe-1-plans")
    page.click("[data-choose=pro]")
    page.wait_for_url(fake.url + "/c/*")
    page.get_by_text("Subscribe: 299.00 CNY a month").wait_for()
    page.click("#pay")
    page.wait_for_url("**/merchant/billing/?paid=1")
    assert fake.delivered == [("checkout.session.completed", 200), ("invoice.paid", 200)]
    looks_right(page, problems, "Paid: your shop is on the Pro plan.", "Your plan: Pro", "Paid until", "Invoices",
                "TESS-0001", "¥299.00", "Card and invoices", name="billing-stripe-2-paid")
    assert page.locator("[data-choose=pro]").count() == 0  # Stripe renews it: nothing to pay here
    accessible(page, "billing-stripe-2-paid")
    page.click("[data-portal]")
    page.wait_for_url(fake.url + "/p/session/*")
    page.click("#back")
    page.wait_for_url("**/merchant/billing/")
    page.context.close()

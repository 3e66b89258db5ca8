"""Stored value as a shopper meets it at 375 px on `tessera run`'s e-commerce demo, once its manager
has turned stored value on, put the recharge plans on a page of their own ("My balance", through
the designer's own API) and offers two plans: signed out, the card asks them to sign in; signed in,
it shows a balance of nothing and the plans; a plan bought is paid on the sandbox's pay page and
the balance shows the credit, the statement the recharge; at checkout the balance is a way to pay
("Balance (¥220.00 available)") that pays the order at once; the next order is more than is left,
so the balance cannot be chosen, a message says so with a link to recharge, and the sandbox pays
it. Beside it: a balance spent elsewhere meanwhile — at checkout and on an order's page — is
refused, said so, and the order is paid another way; a long statement comes a page at a time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import accessible, looks_right, only_the_refusal, sign_in_buyer, sign_in_merchant, watched_page
from tests.browser import browser, server  # noqa: F401  fixtures of the browser tests
from tests.builder.test_experience_browser import publish_draft
from tests.engines.membership.test_member_browser import SHIRT, SLUG, _checkout_one_shirt, in_the_shop
from tests.templates_library.test_template_browser import manager_of

pytestmark = pytest.mark.live

# No other test of this module signs in with these (codes are limited per phone).
PHONE, CHECKOUT_RACE_PHONE, ORDER_RACE_PHONE, LONG_PHONE = "13500135101", "13500135102", "13500135103", "13500135104"
SHOTS = Path("/tmp/wallet_shots")

PLANS = """
from app import create_app
from core.db import db
from core.tenancy import find_tenant, tenant_scope
from engines.membership.wallet import create_recharge_plan
app = create_app()
with app.app_context():
    with tenant_scope(find_tenant("{slug}")):
        create_recharge_plan(pay=20000, bonus=2000)
        create_recharge_plan(pay=50000, bonus=8000)
    db.session.commit()
"""
GIVE = """
from sqlalchemy import select
from app import create_app
from core.consumers import Consumer
from core.db import db
from core.tenancy import find_tenant, tenant_scope
from engines.membership.wallet import move
app = create_app()
with app.app_context():
    with tenant_scope(find_tenant("{slug}")):
        consumer = db.session.scalars(select(Consumer).where(Consumer.phone == "{phone}")).one()
        for n in range(1, {count} + 1):
            move(consumer.id, {amount}, 0, "adjustment", note=f"Gift {{n}}")
    db.session.commit()
"""
# Another tab of the same shopper buys a shirt and pays it from the balance.
SPEND = """async ([slug, sku, store]) => {
    const headers = {'Content-Type': 'application/json', Accept: 'application/json', 'X-Tenant': slug,
                     Authorization: 'Bearer ' + localStorage.getItem('tessera.token.' + slug)};
    const placed = await (await fetch('/s/' + slug + '/api/v1/checkout/pay', {method: 'POST', headers,
        body: JSON.stringify({lines: [{sku_id: sku, quantity: 1}], fulfillment: {type: 'pickup', store_id: store},
                              provider: 'balance'})})).json();
    const paid = await fetch('/s/' + slug + '/api/v1/payments/' + placed.payment.id + '/balance', {method: 'POST', headers});
    return paid.status; }"""


def snap(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def shop(server, browser):  # noqa: F811
    """The demo shop with stored value on, two recharge plans (pay ¥200.00 get ¥220.00, pay
    ¥500.00 get ¥580.00) and a page "My balance" holding the recharge plans — published by its
    manager."""
    in_the_shop(server, PLANS)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_merchant(page, server, manager_of(server, SLUG), "password123")
    page.goto(server.url + "/merchant/designer/")
    page.wait_for_selector("#designer")

    def with_the_wallet(document: dict) -> None:
        document["pages"]["wallet"] = {"title": "My balance", "order": ["plans"], "sections": {
            "plans": {"type": "recharge_plans", "settings": {"title": "Stored value"}}}}
        document["app"]["settings"] = {**document["app"].get("settings", {}), "membership": {"stored_value": True}}

    publish_draft(page, with_the_wallet, "Stored value")
    context.close()
    return server.url + f"/s/{SLUG}"


def _signed_in_on_my_balance(page, shop: str, phone: str) -> None:
    page.goto(shop + "/p/wallet")
    page.click("[data-wallet-join]")  # to the sign-in page, then back here
    sign_in_buyer(page, phone)
    page.wait_for_url(re.compile(r"/p/wallet$"))
    page.wait_for_selector("[data-balance]")


def _choose_the_balance(page, available: str) -> None:
    from playwright.sync_api import expect

    option = page.locator("[data-providers] [data-provider=balance]")
    expect(option).to_have_text(f"Balance ({available} available)")
    page.check("[data-provider=balance] input")


def test_recharge_then_pay_from_the_balance_and_a_larger_order_another_way(shop, browser):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    page.goto(shop + "/p/wallet")
    page.wait_for_selector("[data-wallet=signed-out]")
    looks_right(page, problems, "Sign in or register to see your balance", "Sign in / Register", name="wallet-signed-out")
    snap(page, "1-signed-out")

    _signed_in_on_my_balance(page, shop, PHONE)
    expect(page.locator("[data-balance]")).to_have_text("¥0.00")
    tiles = page.locator("[data-plan]")
    expect(tiles).to_have_count(2)
    expect(tiles.first).to_have_text("Pay ¥200.00 get ¥220.00")
    expect(tiles.last).to_have_text("Pay ¥500.00 get ¥580.00")
    expect(page.locator("[data-wallet-none]")).to_be_visible()
    looks_right(page, problems, "Stored value", "Balance", "Paid in", "Bonus", "Pay ¥200.00", "get ¥580.00", "Statement",
                name="wallet-empty")
    accessible(page, "wallet-empty")
    snap(page, "2-balance-empty")

    tiles.first.click()  # ordered, then to the sandbox's pay page, as any order
    page.wait_for_selector("#sandbox-pay")
    assert "¥200.00" in page.inner_text("[data-amount]")
    page.click("button[value=succeeded]")
    page.wait_for_url(re.compile(r"/p/wallet$"))  # back where the recharge began, the order's id said once
    expect(page.locator("[data-message]")).to_have_text("Thank you: your recharge is paid.")
    expect(page.locator("[data-balance]")).to_have_text("¥220.00")
    expect(page.locator("[data-principal] strong")).to_have_text("¥200.00")
    expect(page.locator("[data-bonus] strong")).to_have_text("¥20.00")
    entry = page.locator("[data-wallet-entry]")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Recharge")
    expect(entry).to_contain_text("Recharge ¥200.00, get ¥220.00")  # the plan, as the order names it
    expect(entry.locator("[data-amount]")).to_have_text("+¥200.00")
    expect(entry.locator("[data-bonus]")).to_have_text("Bonus +¥20.00")
    expect(page.locator("[data-wallet-more]")).to_be_hidden()
    looks_right(page, problems, "Thank you: your recharge is paid.", "¥220.00", "+¥200.00", "Bonus +¥20.00",
                name="wallet-recharged")
    accessible(page, "wallet-recharged")
    snap(page, "3-recharged")

    _checkout_one_shirt(page, shop)
    _choose_the_balance(page, "¥220.00")
    expect(page.locator("[data-balance-short]")).to_be_hidden()
    looks_right(page, problems, "Pay with", "Balance (¥220.00 available)", name="checkout-balance")
    accessible(page, "checkout-balance")
    snap(page, "4-checkout-balance")
    page.click("[data-place-order]")  # paid here: no pay page
    page.wait_for_url(re.compile(r"/orders/\d+\?paid=1$"))
    expect(page.locator("[data-message]")).to_have_text("Thank you: your order is paid.")
    expect(page.locator("[data-lines] [data-amount]")).to_contain_text("¥169.00")
    assert page.get_attribute("[data-status]", "data-status") != "pending_payment"
    expect(page.locator("[data-pay]")).to_have_count(0)
    number = re.search(r"\d{11}", page.inner_text("#main")).group(0)
    looks_right(page, problems, "Thank you: your order is paid.", name="order-paid-from-balance")
    snap(page, "5-order-paid-from-balance")

    page.goto(shop + "/p/wallet")
    expect(page.locator("[data-balance]")).to_have_text("¥51.00")  # what they paid in first, then the bonus
    expect(page.locator("[data-principal] strong")).to_have_text("¥31.00")
    expect(page.locator("[data-bonus] strong")).to_have_text("¥20.00")
    spent = page.locator("[data-wallet-entry]").first
    expect(spent).to_contain_text("Paid an order")
    expect(spent).to_contain_text(f"Order {number}")
    expect(spent.locator("[data-amount]")).to_have_text("-¥169.00")
    expect(page.locator("[data-wallet-entry]")).to_have_count(2)
    looks_right(page, problems, "¥51.00", "Paid an order", name="wallet-after-order")
    snap(page, "6-balance-after-order")

    _checkout_one_shirt(page, shop)  # more than is left
    balance = page.locator("[data-provider=balance] input")
    expect(balance).to_be_disabled()
    expect(page.locator("[data-provider=sandbox] input")).to_be_checked()
    short = page.locator("[data-balance-short]")
    expect(short).to_contain_text("Your balance (¥51.00) does not cover this order (¥169.00).")
    expect(page.locator("[data-recharge]")).to_have_attribute("href", f"/s/{SLUG}/p/wallet")
    expect(page.locator("[data-place-order]")).to_be_enabled()
    looks_right(page, problems, "Balance (¥51.00 available)", "does not cover this order", "Recharge",
                name="checkout-balance-short")
    accessible(page, "checkout-balance-short")
    snap(page, "7-checkout-balance-short")
    page.click("[data-place-order]")
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-amount]")
    expect(page.locator("[data-lines] [data-amount]")).to_contain_text("¥169.00")
    assert page.get_attribute("[data-status]", "data-status") != "pending_payment"

    page.goto(shop + "/p/wallet")
    expect(page.locator("[data-balance]")).to_have_text("¥51.00")  # untouched
    expect(page.locator("[data-wallet-entry]")).to_have_count(2)
    assert problems == []


def test_a_balance_spent_meanwhile_at_checkout_leaves_the_order_to_pay_another_way(shop, browser, server):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    _signed_in_on_my_balance(page, shop, CHECKOUT_RACE_PHONE)
    in_the_shop(server, GIVE, phone=CHECKOUT_RACE_PHONE, count=1, amount=SHIRT + 10000)  # ¥269.00
    _checkout_one_shirt(page, shop)
    _choose_the_balance(page, "¥269.00")
    sku = re.search(r"sku=(\d+)", page.url).group(1)
    store = page.get_attribute("input[name=store]:checked", "value")
    assert page.evaluate(SPEND, [SLUG, sku, store]) == 200  # ¥100.00 left

    page.click("[data-place-order]")  # placed, but the balance no longer covers it: the order waits on its page
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "pending_payment")
    short = page.locator("[data-balance-short]")
    expect(short).to_contain_text("Your balance (¥100.00) does not cover this order (¥169.00).")
    expect(page.locator("[data-recharge]")).to_be_visible()
    expect(page.locator("[data-provider=balance] input")).to_be_disabled()
    expect(page.locator("[data-provider=sandbox] input")).to_be_checked()
    only_the_refusal(problems, "409")
    looks_right(page, problems, "Balance (¥100.00 available)", "does not cover this order", name="order-balance-short")
    accessible(page, "order-balance-short")
    snap(page, "8-order-balance-short")

    page.click("[data-pay]")
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-amount]")
    assert page.get_attribute("[data-status]", "data-status") != "pending_payment"
    expect(page.locator("[data-pay]")).to_have_count(0)
    assert problems == []


def test_a_balance_spent_meanwhile_on_the_orders_page_is_refused_and_said(shop, browser, server):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    _signed_in_on_my_balance(page, shop, ORDER_RACE_PHONE)
    in_the_shop(server, GIVE, phone=ORDER_RACE_PHONE, count=1, amount=SHIRT + 10000)
    _checkout_one_shirt(page, shop)
    page.click("[data-place-order]")  # the sandbox, the first way: then not paid
    page.click("button[value=failed]")
    page.wait_for_selector("[data-pay]")
    _choose_the_balance(page, "¥269.00")
    snap(page, "9-order-to-pay")
    sku = page.evaluate("""async (slug) => {
        const answer = await fetch('/s/' + slug + '/api/v1/orders/' + location.pathname.match(/\\/orders\\/(\\d+)/)[1],
          {headers: {Accept: 'application/json', 'X-Tenant': slug,
                     Authorization: 'Bearer ' + localStorage.getItem('tessera.token.' + slug)}});
        return (await answer.json()).order.lines[0].sku_id; }""", SLUG)
    store = page.evaluate("""async (slug) => {
        const answer = await fetch('/s/' + slug + '/api/v1/stores', {headers: {Accept: 'application/json', 'X-Tenant': slug}});
        return (await answer.json()).stores[0].id; }""", SLUG)
    assert page.evaluate(SPEND, [SLUG, sku, store]) == 200

    page.click("[data-pay]")
    short = page.locator("[data-balance-short]")
    expect(short).to_contain_text("Your balance (¥100.00) does not cover this order (¥169.00).")
    expect(page.locator("[data-provider=balance]")).to_have_text("Balance (¥100.00 available)")
    expect(page.locator("[data-provider=balance] input")).to_be_disabled()
    expect(page.locator("[data-provider=sandbox] input")).to_be_checked()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "pending_payment")
    only_the_refusal(problems, "409")
    looks_right(page, problems, "does not cover this order", name="order-balance-refused")
    snap(page, "10-order-balance-refused")

    page.click("[data-pay]")
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-amount]")
    assert page.get_attribute("[data-status]", "data-status") != "pending_payment"
    assert problems == []


def test_a_long_statement_comes_a_page_at_a_time(shop, browser, server):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    _signed_in_on_my_balance(page, shop, LONG_PHONE)
    in_the_shop(server, GIVE, phone=LONG_PHONE, count=24, amount=100)  # 24 gifts of ¥1.00
    page.goto(shop + "/p/wallet")
    entries = page.locator("[data-wallet-entry]")
    expect(entries).to_have_count(20)
    expect(page.locator("[data-balance]")).to_have_text("¥24.00")
    expect(entries.first).to_contain_text("From the shop")
    expect(entries.first).to_contain_text("Gift 24")
    expect(entries.first.locator("[data-amount]")).to_have_text("+¥1.00")
    looks_right(page, problems, "Load more", name="wallet-statement-long")
    snap(page, "11-statement-first-page")
    page.click("[data-wallet-more]")
    expect(entries).to_have_count(24)
    expect(entries.last).to_contain_text("Gift 1")
    expect(page.locator("[data-wallet-more]")).to_be_hidden()
    assert problems == []

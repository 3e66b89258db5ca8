"""Membership as a shopper meets it at 375 px on `tessera run`'s e-commerce demo, once its manager
has put a member card on the "Me" page (through the designer's own API) and the shop has tiers:
signed out, the card asks them to sign in or register; signed in, it shows their tier and the
growth to the next; the daily sign-in gives points and says "day 1 in a row"; My points lists it;
at checkout the points switch takes the points off the total, the order is paid and the ledger
shows them spent. Beside it: points spent elsewhere meanwhile are refused at checkout, which says
so, turns the switch off and places the order without them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import accessible, looks_right, only_the_refusal, sign_in_buyer, sign_in_merchant, watched_page
from tests.browser import browser, server  # noqa: F401  fixtures of the browser tests
from tests.builder.test_experience_browser import publish_draft
from tests.templates_library.test_template_browser import manager_of

pytestmark = pytest.mark.live

SLUG = "tpl-ecommerce"
# No other test signs in with these (codes are limited per phone): one shopper per test.
PHONE, RACE_PHONE, LONG_PHONE = "13500135091", "13500135092", "13500135093"
SHIRT = 16900
SIGN_IN_POINTS = 200  # worth ¥2.00 at the default 100 points to ¥1
SHOTS = Path("/tmp/membership_shots")

TIERS = """
from app import create_app
from core.db import db
from core.tenancy import find_tenant, tenant_scope
from engines.membership.tiers import create_tier
app = create_app()
with app.app_context():
    with tenant_scope(find_tenant("{slug}")):
        create_tier(name="Silver", threshold=0)
        create_tier(name="Gold", threshold=100)
    db.session.commit()
"""
GIFTS = """
from sqlalchemy import select
from app import create_app
from core.consumers import Consumer
from core.db import db
from core.tenancy import find_tenant, tenant_scope
from engines.membership.ledger import credit
from engines.membership.models import PointsKind
app = create_app()
with app.app_context():
    with tenant_scope(find_tenant("{slug}")):
        consumer = db.session.scalars(select(Consumer).where(Consumer.phone == "{phone}")).one()
        for n in range(1, {count} + 1):
            credit(consumer.id, n, PointsKind.ADJUSTMENT, note=f"Gift {{n}}")
    db.session.commit()
"""


def in_the_shop(running, script: str, **values) -> None:
    """Run a script on the shop's database with the services staff use (tiers, points given), as
    manager_of does for staff. The server has not read the shop's tiers yet when they are made
    here, so its own caches need no word of it; ledgers are read fresh."""
    subprocess.run([sys.executable, "-c", script.format(slug=SLUG, **values)], check=True, capture_output=True,
                   env={"TESSERA_INSTANCE_PATH": str(running.instance), "PATH": "/usr/bin:/bin"})


def snap(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def shop(server, browser):  # noqa: F811
    """The demo shop with tiers (Silver from 0, Gold from 100 growth), a member card at the top of
    its "Me" page, and a sign-in worth 200 points and 20 growth, points lasting 10 days —
    published by its manager."""
    in_the_shop(server, TIERS)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_merchant(page, server, manager_of(server, SLUG), "password123")
    page.goto(server.url + "/merchant/designer/")
    page.wait_for_selector("#designer")

    def with_the_card(document: dict) -> None:
        me = next(key for key, p in document["pages"].items() if p.get("kind") == "member")
        document["pages"][me]["sections"]["member_card"] = {"type": "member_card"}
        document["pages"][me]["order"].insert(0, "member_card")
        document["app"]["settings"] = {**document["app"].get("settings", {}),
                                       "membership": {"sign_in_points": SIGN_IN_POINTS, "sign_in_growth": 20,
                                                      "points_expiry": "days", "points_expiry_days": 10}}

    publish_draft(page, with_the_card, "Member card")
    context.close()
    return server.url + f"/s/{SLUG}"


def _signed_in_on_the_me_page(page, shop: str, phone: str) -> None:
    page.goto(shop + "/me")
    page.click("[data-member-join]")  # to the sign-in page, then back here
    sign_in_buyer(page, phone)
    page.wait_for_url(re.compile(r"/me$"))
    page.wait_for_selector("[data-member-sign-in]")


def _checkout_one_shirt(page, shop: str) -> None:
    page.goto(shop + "/")
    page.click("text=Linen shirt")
    page.wait_for_selector("[data-dimension=Size]")
    page.click("[data-buy-now]")
    page.wait_for_selector("input[name=fulfillment]")
    page.check("input[name=fulfillment][value=pickup]")
    page.wait_for_selector(f"[data-total='{SHIRT}']")


def test_sign_in_for_points_see_them_and_spend_them_at_checkout(shop, browser):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    page.goto(shop + "/me")
    page.wait_for_selector("[data-member-card=signed-out]")
    looks_right(page, problems, "Sign in or register to collect points", "Sign in / Register", name="member-signed-out")
    snap(page, "1-card-signed-out")

    _signed_in_on_the_me_page(page, shop, PHONE)
    card = page.locator("[data-member-card]")
    expect(card.locator("[data-tier]")).to_have_text("Silver")
    expect(card.locator("[data-growth-needed]")).to_have_text("100 more to Gold")
    expect(card.locator("[data-points-available] strong")).to_have_text("0")
    looks_right(page, problems, "Silver", "100 more to Gold", "Sign in today", name="member-card")
    accessible(page, "member-card")
    snap(page, "2-card-signed-in")

    page.click("[data-member-sign-in]")
    expect(card.locator("[data-signed-in]")).to_contain_text("Signed in · day 1 in a row")
    expect(card.locator("[data-earned]")).to_have_text("+200 points")
    expect(card.locator("[data-points-available] strong")).to_have_text("200")
    expect(card.locator("[data-growth-needed]")).to_have_text("80 more to Gold")
    expect(card.locator("[data-points-expiring]")).to_have_text(re.compile(r"^200 expire on \S+"))  # within 30 days
    assert page.get_attribute("[data-member-card] progress", "value") == "20"
    expect(page.locator("[data-member-sign-in]")).to_have_count(0)
    looks_right(page, problems, "Signed in · day 1 in a row", "+200 points", "200 expire on",
                name="member-card-signed-in-today")
    snap(page, "3-card-after-sign-in")
    page.reload()  # the next visit: signed in today already, no button
    expect(card.locator("[data-signed-in]")).to_contain_text("day 1 in a row")
    expect(page.locator("[data-member-sign-in]")).to_have_count(0)

    page.click("text=My points")  # the member centre's link to the engine's page
    page.wait_for_url(re.compile(r"/my/points_history$"))
    entry = page.locator("[data-points-entry]")
    expect(entry).to_have_count(1)
    expect(entry.locator("[data-amount]")).to_have_text("+200")
    expect(entry).to_contain_text("Daily sign-in")
    expect(entry).not_to_contain_text("Signed in")  # the engine's English note is the back office's
    expect(entry).to_contain_text("Balance 200")
    expect(page.locator("[data-points-more]")).to_be_hidden()  # one page holds it all
    looks_right(page, problems, "200 points available", "Daily sign-in", name="points-history")
    accessible(page, "points-history")
    snap(page, "4-points-history")

    _checkout_one_shirt(page, shop)
    row = page.locator("[data-points]")
    expect(row).to_contain_text("Use points (200 available)")
    snap(page, "5-checkout-points-off")
    page.check("[data-use-points]")
    page.wait_for_selector(f"[data-total='{SHIRT - SIGN_IN_POINTS}']")  # ¥169.00 − ¥2.00
    expect(page.locator("[data-step=points]")).to_have_text(re.compile(r"Points\s*-¥2\.00 \(200 points\)"))
    looks_right(page, problems, "Use points (200 available)", "-¥2.00 (200 points)", "¥167.00", name="checkout-points")
    accessible(page, "checkout-points")
    snap(page, "6-checkout-points-on")
    page.click("[data-place-order]")
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-step=points]")
    expect(page.locator("[data-lines] [data-step=points]")).to_contain_text("-¥2.00 (200 points)")
    expect(page.locator("[data-lines] [data-amount]")).to_contain_text("¥167.00")
    number = re.search(r"\d{11}", page.inner_text("#main")).group(0)
    looks_right(page, problems, "-¥2.00 (200 points)", name="order-with-points")
    snap(page, "7-order-paid")

    page.goto(shop + "/my/points_history")
    spent = page.locator("[data-points-entry]").first
    expect(spent.locator("[data-amount]")).to_have_text("−200")
    expect(spent).to_contain_text("Spent on an order")
    expect(spent).to_contain_text(f"Order {number}")
    expect(spent).to_contain_text("Balance 0")
    expect(page.locator("[data-points-entry]")).to_have_count(2)
    looks_right(page, problems, "0 points available", "Spent on an order", name="points-history-spent")
    snap(page, "8-points-history-spent")

    page.goto(shop + "/me")
    expect(page.locator("[data-member-card] [data-points-available] strong")).to_have_text("0")
    looks_right(page, problems, "day 1 in a row", name="member-card-after-order")
    snap(page, "9-card-after-order")
    assert problems == []


def test_points_spent_elsewhere_meanwhile_are_refused_and_the_order_goes_without_them(shop, browser):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    _signed_in_on_the_me_page(page, shop, RACE_PHONE)
    page.click("[data-member-sign-in]")
    page.wait_for_selector("[data-signed-in]")
    _checkout_one_shirt(page, shop)
    page.check("[data-use-points]")
    page.wait_for_selector(f"[data-total='{SHIRT - SIGN_IN_POINTS}']")

    # another tab of the same shopper spends the points on another order
    sku = re.search(r"sku=(\d+)", page.url).group(1)
    store = page.get_attribute("input[name=store]:checked", "value")
    status = page.evaluate("""async ([slug, sku, store]) => {
        const answer = await fetch('/s/' + slug + '/api/v1/checkout', {method: 'POST', headers: {
            'Content-Type': 'application/json', Accept: 'application/json', 'X-Tenant': slug,
            Authorization: 'Bearer ' + localStorage.getItem('tessera.token.' + slug)},
          body: JSON.stringify({lines: [{sku_id: sku, quantity: 1}], fulfillment: {type: 'pickup', store_id: store},
                                points: 200})});
        return answer.status; }""", [SLUG, sku, store])
    assert status == 201

    page.click("[data-place-order]")
    row = page.locator("[data-points]")
    expect(row.locator("[data-message]")).to_have_text("You have 0 points available; this needs 200.")
    expect(page.locator("[data-use-points]")).not_to_be_checked()
    expect(page.locator("[data-use-points]")).to_be_disabled()
    expect(row).to_contain_text("Use points (0 available)")
    page.wait_for_selector(f"[data-total='{SHIRT}']")  # priced again without them
    expect(page.locator("[data-step=points]")).to_have_count(0)
    only_the_refusal(problems, "409")
    looks_right(page, problems, "You have 0 points available", name="checkout-points-refused")
    snap(page, "10-checkout-points-refused")

    page.click("[data-place-order]")  # placed again, without the points: a new request, not a replay
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-amount]")
    expect(page.locator("[data-lines] [data-amount]")).to_contain_text("¥169.00")
    expect(page.locator("[data-lines] [data-step=points]")).to_have_count(0)
    assert problems == []


def test_a_long_ledger_comes_a_page_at_a_time(shop, browser, server):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    _signed_in_on_the_me_page(page, shop, LONG_PHONE)
    in_the_shop(server, GIFTS, phone=LONG_PHONE, count=24)  # 24 gifts of 1 to 24 points
    page.goto(shop + "/my/points_history")
    entries = page.locator("[data-points-entry]")
    expect(entries).to_have_count(20)
    expect(entries.first.locator("[data-amount]")).to_have_text("+24")
    expect(entries.first).to_contain_text("From the shop")
    expect(entries.first).to_contain_text("Gift 24")
    expect(entries.first).to_contain_text("Balance 300")
    looks_right(page, problems, "300 points available", "Load more", name="points-history-long")
    snap(page, "11-points-history-first-page")
    page.click("[data-points-more]")
    expect(entries).to_have_count(24)
    expect(entries.last.locator("[data-amount]")).to_have_text("+1")
    expect(entries.last).to_contain_text("Balance 1")
    expect(page.locator("[data-points-more]")).to_be_hidden()
    assert problems == []

"""A merchant at 1280 px opens "Stored value" from the navigation, is told the shop keeps no
balances yet and where to turn that on, puts a recharge plan on sale — pay 100.00, 10.00 bonus —
told what is wrong first, finds it listed in words, turns stored value on in the designer as the
page says, and reads a customer's balances and statement on their member page."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.browser import only_the_refusal, sign_in_merchant, watched_page
from tests.builder.test_designer_browser import saved, status, until
from tests.engines.membership.test_automations_admin_browser import a_customer_registers, fits
from tests.engines.membership.test_membership_admin_browser import seen  # what a person sees, in SHOTS

WALLET = """
from sqlalchemy import select
from app import create_app
from core.consumers import Consumer
from core.db import db
from core.tenancy import find_tenant, tenant_scope
from engines.membership.wallet import create_recharge_plan, move, plan_label
from engines.orders.services import place_purchase
app = create_app()
with app.app_context():
    with tenant_scope(find_tenant("{slug}")):
        consumer = db.session.scalars(select(Consumer).where(Consumer.email == "{email}")).one()
        plan = create_recharge_plan(pay=20000, bonus=3000, active=False)
        order, _ = place_purchase(consumer_id=consumer.id, kind="recharge", ref_id=plan.id, name=plan_label(plan),
                                  amount=plan.pay)
        move(consumer.id, 20000, 3000, "recharge", source=("order", order.id), note=plan_label(plan))
        move(consumer.id, -3300, 0, "payment", note="Lunch")
        move(consumer.id, 500, 0, "adjustment", note="Sorry for the cold soup")
    db.session.commit()
"""


def with_a_wallet(running, email: str) -> None:
    """Three movements of the customer's stored value, with the services the shop uses: a
    recharge of a plan now off sale (its order's number shown), a payment and a gift."""
    subprocess.run([sys.executable, "-c", WALLET.format(slug=running.logins["tenant"], email=email)], check=True,
                   capture_output=True, env={"TESSERA_INSTANCE_PATH": str(running.instance), "PATH": "/usr/bin:/bin"})


@pytest.mark.live
def test_a_merchant_puts_a_recharge_plan_on_sale_and_reads_a_members_wallet(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    email = a_customer_registers(server)
    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)

    # from the navigation; stored value is off, and the page says where to turn it on
    page.locator(".console-nav .nav-link-title").get_by_text("Stored value", exact=True).click()
    expect(page.locator("#stored-value-status")).to_contain_text("Stored value is off.")
    expect(page.locator("#recharge-plans")).to_contain_text("No recharge plans yet")
    seen(page, problems, "Stored value is off.", "Theme → Membership", name="wallet-plans-empty")

    # nothing paid is refused, what was typed stays; then saved
    page.click("text=New recharge plan")
    page.fill("input[name=pay]", "0")
    page.fill("input[name=bonus]", "10.00")
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="More than zero.").wait_for()
    assert page.input_value("input[name=bonus]") == "10.00"
    only_the_refusal(problems)
    seen(page, problems, "More than zero.", "Bonus added", name="wallet-plan-refused")
    page.fill("input[name=pay]", "100")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Recharge plan saved: pay ¥100.00, get ¥110.00.").wait_for()
    row = page.locator("#recharge-plans tbody tr", has_text="Recharge ¥100.00, get ¥110.00")
    for text in ("¥100.00", "¥10.00", "¥110.00", "On sale", "Take off sale"):
        expect(row).to_contain_text(text)
    fits(page, "#recharge-plans")
    seen(page, problems, "Recharge ¥100.00, get ¥110.00", name="wallet-plans")

    # turned on where the page says: the designer's Theme, Membership, then Publish
    page.click("text=Open the designer")
    page.frame_locator("[data-frame]").locator("[data-section]").first.wait_for()  # the designer is drawn
    page.click('[data-tab="theme"]')
    switch = page.locator('[data-engine-settings="membership"] [data-path="app.settings.membership.stored_value"]')
    expect(switch).to_contain_text("Stored value: members recharge and pay from their balance")
    expect(switch).to_be_visible()
    switch.locator("input").check()
    saved(page)
    page.click('[data-open="publish"]')
    page.fill("#dz-note", "Stored value on")
    page.click("[data-publish-confirm]")
    until(lambda: "Published version" in status(page))
    page.goto(server.url + "/merchant/membership/recharge-plans")
    expect(page.locator("#stored-value-status")).to_contain_text("Stored value is on")
    seen(page, problems, "Stored value is on", name="wallet-plans-on")

    # the customer's balances and last movements on their page, the statement a click away
    with_a_wallet(server, email)
    page.goto(f"{server.url}/merchant/membership/members?q={email}")
    card = page.locator("#member-wallet")
    expect(card.locator("#wallet-total")).to_have_text("¥202.00")
    expect(card.locator("#wallet-principal")).to_have_text("¥172.00")
    expect(card.locator("#wallet-bonus")).to_have_text("¥30.00")
    latest = card.locator("#wallet-entries tbody tr").first
    for text in ("Adjusted by staff", "+¥5.00", "¥202.00", "Sorry for the cold soup"):
        expect(latest).to_contain_text(text)
    fits(page, "#wallet-entries")
    seen(page, problems, "Sorry for the cold soup", "Paid an order", name="wallet-member")
    card.get_by_role("link", name="Full statement").click()
    expect(page.locator("#wallet-entries tbody tr")).to_have_count(3)
    fits(page, "#wallet-entries")
    expect(page.locator("#wallet-entries tbody tr").last).to_contain_text("Order ")
    seen(page, problems, "Stored value of", "Recharge ¥200.00, get ¥230.00", name="wallet-statement")
    assert problems == []
    page.context.close()

"""A reseller as people meet it, at 1280 px (and its sign-up page at 375 px): the platform admin
makes a plan and a reseller (told what is wrong first) and prices the plan for it; the reseller's
owner, at the reseller's own domain, sets the brand (colour, logo, support address), opens a shop
from a template, suspends and reopens it, and sees what it owes; the shop's merchant signs in at
that domain and sees the reseller's brand in the back office and the designer — never the
platform's name. Chromium maps the reseller's domain to the test server."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser import (CHROMIUM, CHROMIUM_ARGS, accessible, browser_or_skip, looks_right, only_the_refusal,
                           sign_in_console, watched_page)
from tests.browser import server  # noqa: F401  the fixture of the browser tests

DOMAIN = "shops.acme.test"


@pytest.fixture(scope="module")
def browser():
    """Chromium resolving the reseller's domain to this machine."""
    playwright, launched = browser_or_skip()
    launched.close()
    mapped = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"])
    yield mapped
    mapped.close()
    playwright.stop()


def no_platform_name(page) -> None:
    assert "Tessera" not in page.title() and "Tessera" not in page.inner_text("body"), page.url


@pytest.mark.live
def test_a_reseller_sells_a_shop_under_its_own_brand(server, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    admin, problems = watched_page(browser, 1280)
    sign_in_console(admin, server)
    admin.goto(server.url + "/console/plans/new")
    admin.fill("#name", "Basic")
    admin.fill("#slug", "basic")
    admin.fill("#price", "129")
    admin.click("#plan-form button[type=submit]")
    admin.get_by_text("Plan Basic saved.").wait_for()

    admin.locator(".console-nav .nav-link-title").get_by_text("Resellers", exact=True).click()
    looks_right(admin, problems, "No resellers yet", name="resellers-1-none")
    admin.click("text=New reseller")
    admin.fill("#name", "Acme Shops")
    admin.fill("#slug", "acme")
    admin.fill("#domain", "localhost")
    admin.fill("#quota", "2")
    admin.fill("#owner_email", "boss@acme.example")
    admin.fill("#owner_password", "acme-password")
    admin.click("button:has-text('Create reseller')")
    admin.locator(".invalid-feedback").first.wait_for()
    only_the_refusal(problems)
    looks_right(admin, problems, "Enter a host name such as shops.example.com.", name="resellers-2-refused")
    admin.fill("#domain", DOMAIN)
    admin.fill("#owner_password", "acme-password")
    admin.click("button:has-text('Create reseller')")
    admin.get_by_text("Acme Shops is a reseller").wait_for()
    admin.fill("#wholesale tr[data-plan=basic] input", "49")
    admin.click("button:has-text('Save prices')")
    admin.get_by_text("The wholesale prices are saved.").wait_for()
    looks_right(admin, problems, "0 of 2 shops", "Plans it sells", name="resellers-3-reseller")
    accessible(admin, "resellers-3-reseller")

    base = f"http://{DOMAIN}:{server.port}"
    partner, partner_problems = watched_page(browser, 1280)
    partner.goto(base + "/reseller/login")
    no_platform_name(partner)
    partner.fill("input[name=email]", "boss@acme.example")
    partner.fill("input[name=password]", "acme-password")
    partner.click("button[type=submit]")
    partner.wait_for_url("**/reseller/")
    partner.locator(".console-nav .nav-link-title").get_by_text("Brand", exact=True).click()
    partner.fill("#name", "Acme Cloud Shops")
    partner.fill("#colour", "#0f766e")
    partner.fill("#support_email", "help@acme.example")
    logo = tmp_path / "logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (96, 28), (15, 118, 110)).save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())
    partner.set_input_files("#logo", str(logo))
    partner.click("button:has-text('Save the brand')")
    partner.get_by_text("Your brand is saved").wait_for()
    expect(partner.locator(".console-brand img.brand-logo")).to_be_visible()
    assert partner.evaluate("getComputedStyle(document.querySelector('.btn-primary')).backgroundColor") == "rgb(15, 118, 110)"
    looks_right(partner, partner_problems, "Acme Cloud Shops", "Partner console", "help@acme.example",
                name="resellers-4-brand")
    no_platform_name(partner)

    partner.locator(".console-nav .nav-link-title").get_by_text("Shops", exact=True).click()
    partner.click("[data-new-shop]")
    partner.fill("#name", "Noodle Bar")
    partner.fill("#slug", "noodle-bar")
    partner.select_option("#template", "ordering")
    partner.fill("#owner_email", "chef@noodle.example")
    partner.fill("#owner_password", "noodle-password")
    partner.click("button:has-text('Open the shop')")
    partner.get_by_text("Noodle Bar is open").wait_for()
    partner.fill("#reason", "Unpaid invoice")
    partner.click("[data-suspend]")
    expect(partner.locator("[data-state]")).to_have_text("Suspended")
    partner.click("[data-resume]")
    expect(partner.locator("[data-state]")).to_have_text("Open")
    looks_right(partner, partner_problems, "Recent changes", "tenant.resume", name="resellers-5-shop")
    partner.locator(".console-nav .nav-link-title").get_by_text("Shops", exact=True).click()
    expect(partner.locator("[data-quota]")).to_have_text("1 / 2")
    looks_right(partner, partner_problems, "You owe the platform ¥49.00 a month", "Noodle Bar", name="resellers-6-shops")
    accessible(partner, "resellers-6-shops")
    no_platform_name(partner)

    merchant, merchant_problems = watched_page(browser, 1280)
    merchant.goto(base + "/merchant/login")
    no_platform_name(merchant)
    merchant.fill("input[name=email]", "chef@noodle.example")
    merchant.fill("input[name=password]", "noodle-password")
    merchant.click("button[type=submit]")
    merchant.wait_for_url("**/merchant/")
    looks_right(merchant, merchant_problems, "Noodle Bar", "help@acme.example", name="resellers-7-merchant")
    no_platform_name(merchant)
    merchant.goto(base + "/merchant/billing/")
    looks_right(merchant, merchant_problems, "Acme Cloud Shops bills your shop", name="resellers-8-billing")
    merchant.goto(base + "/merchant/designer/")
    merchant.wait_for_load_state("load")
    assert "Acme Cloud Shops" in merchant.title()
    no_platform_name(merchant)

    visitor, visitor_problems = watched_page(browser, 375)
    visitor.goto(base + "/signup")
    looks_right(visitor, visitor_problems, "Acme Cloud Shops", name="resellers-9-signup-375")
    no_platform_name(visitor)

"""A merchant at 1280 px puts a paid member card on sale — a year's Gold card at 199.00, 99.00 the
first time, 10% off, free delivery and ×2 points — is told what is wrong first, finds it listed in
words, and makes three activation codes on its page, shown with their CSV to download."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.browser import only_the_refusal, sign_in_merchant, watched_page
from tests.engines.membership.test_automations_admin_browser import fits
from tests.engines.membership.test_membership_admin_browser import seen  # what a person sees, in SHOTS


@pytest.mark.live
def test_a_merchant_puts_a_member_card_on_sale_and_makes_codes(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    name = f"Gold {secrets.token_hex(2)}"

    page.locator(".console-nav .nav-link-title").get_by_text("Member cards", exact=True).click()
    page.click("text=New member card")

    # typed as a person would, the first-purchase price above the price: told, nothing lost
    page.fill("input[name=name]", name)
    page.select_option("select[name=period]", "year")
    page.fill("input[name=price]", "199")
    page.fill("input[name=first_price]", "299")
    page.fill("input[name=discount]", "10")
    page.check("input[name=free_shipping]")
    page.fill("input[name=multiplier]", "2")
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="at most the list price").wait_for()
    assert page.input_value("input[name=discount]") == "10"
    only_the_refusal(problems)
    seen(page, problems, "at most the list price", "What its members get", name="cards-refused")
    page.fill("input[name=first_price]", "99")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text(f"Member card {name} saved.").wait_for()

    row = page.locator("#card-plans tbody tr", has_text=name)
    for text in ("1 year", "¥199.00", "¥99.00", "10% off, free delivery, ×2 points", "On sale", "Take off sale"):
        expect(row).to_contain_text(text)
    fits(page, "#card-plans")
    seen(page, problems, name, "10% off, free delivery, ×2 points", name="cards-list")

    # three codes on its page, shown with their CSV
    row.get_by_role("link", name=name).click()
    page.fill("input[name=count]", "3")
    page.fill("input[name=batch]", "Spring fair")
    page.click("button:has-text('Make codes')")
    page.get_by_text("3 codes made in batch Spring fair.").wait_for()
    expect(page.locator("#made-codes [data-code]")).to_have_count(3)
    expect(page.locator("#code-batches tr[data-batch='Spring fair']")).to_contain_text("3")
    with page.expect_download() as download:
        page.click("#made-codes a:has-text('Download CSV')")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,batch" and len(lines) == 4 and all(line.endswith(",Spring fair") for line in lines[1:])
    fits(page, "#code-batches")
    seen(page, problems, "Activation codes", "Spring fair", name="cards-codes")
    assert problems == []
    page.context.close()

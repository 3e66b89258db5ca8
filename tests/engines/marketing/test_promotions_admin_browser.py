"""A merchant at 1280 px makes a two-tier spend promotion (满减) through the back-office form — one
tier row at first, "Add a tier" for the next, the column heads following the kind — is told what
is wrong, saves it, pauses it and finds it in the list, its tiers in words."""

from __future__ import annotations

import pytest

from tests.browser import accessible, looks_right, only_the_refusal, sign_in_merchant, watched_page


@pytest.mark.live
def test_a_merchant_makes_a_two_tier_spend_promotion_and_finds_it_listed(server, browser):
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/marketing/promotions")
    page.click("text=New promotion")
    page.wait_for_selector("[data-promotion-form]")

    # one tier row to begin with, by spend, on everything
    tiers = page.locator("#tiers [data-tier]")
    expect(tiers.nth(0)).to_be_visible()
    expect(tiers.nth(1)).to_be_hidden()
    expect(page.get_by_text("Spend of at least, in CNY")).to_be_visible()
    expect(page.get_by_text("Items, at least")).to_be_hidden()
    expect(page.locator("select[name=scope_items]")).to_be_hidden()
    # by number of items the head says so; back to spend
    page.select_option("select[name=kind]", "quantity")
    expect(page.get_by_text("Items, at least")).to_be_visible()
    expect(page.get_by_text("Spend of at least, in CNY")).to_be_hidden()
    page.select_option("select[name=kind]", "spend")

    page.fill("input[name=name]", "Summer tiers, two steps")
    page.fill("input[name=threshold_1]", "50")
    page.fill("input[name=amount_off_1]", "10")
    page.click("text=Add a tier")
    expect(page.locator("input[name=threshold_2]")).to_be_focused()
    page.fill("input[name=threshold_2]", "100")
    page.fill("input[name=amount_off_2]", "25")
    page.fill("input[name=budget]", "500")
    looks_right(page, problems, "What it takes off", "Add a tier", "Days are the shop's",
                name="promotions-admin-form")
    accessible(page, "promotions-admin-form")

    # saved without a last day: the form says so, and keeps both tiers
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="Give the last day of the promotion.").wait_for()
    assert page.input_value("input[name=amount_off_2]") == "25"
    expect(page.locator("input[name=threshold_2]")).to_be_visible()
    expect(page.locator("input[name=threshold_3]")).to_be_hidden()
    only_the_refusal(problems)
    looks_right(page, problems, "Give the last day of the promotion.", name="promotions-admin-form-refused")
    accessible(page, "promotions-admin-form-refused")

    page.fill("input[name=ends_on]", "2030-06-30")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Promotion saved.").wait_for()
    looks_right(page, problems, "¥10.00 off a spend of ¥50.00", "¥25.00 off a spend of ¥100.00", "2030-06-30",
                "¥0.00 of ¥500.00 given", name="promotions-admin-promotion")
    accessible(page, "promotions-admin-promotion")

    page.click("#promotion-status button[value=pause]")
    page.get_by_text("Promotion paused").wait_for()
    expect(page.locator("#promotion-state")).to_have_text("Paused")

    page.click("text=All promotions")
    row = page.locator("#promotions tbody tr", has_text="Summer tiers, two steps")
    expect(row).to_contain_text("¥10.00 off a spend of ¥50.00; ¥25.00 off a spend of ¥100.00")
    expect(row).to_contain_text("Paused")
    expect(row).to_contain_text("¥0.00 / ¥500.00")
    looks_right(page, problems, "Summer tiers, two steps", name="promotions-admin-list")
    accessible(page, "promotions-admin-list")
    assert problems == []
    page.context.close()

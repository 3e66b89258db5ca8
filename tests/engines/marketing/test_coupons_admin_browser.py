"""A merchant at 1280 px makes a threshold coupon (满减) on an item through the back-office form
— the fields follow the kind and scope chosen — is told what is missing, saves it, sends it to
people who are not customers (each refused with the reason) and finds it in the list, in words."""

from __future__ import annotations

import pytest

from tests.browser import accessible, looks_right, only_the_refusal, sign_in_merchant, watched_page


@pytest.mark.live
def test_a_merchant_makes_a_threshold_coupon_and_finds_it_listed(server, browser):
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/marketing/coupons")
    page.click("text=New coupon")
    page.wait_for_selector("[data-coupon-form]")

    # an amount coupon on everything: no percentage, no lists to choose from
    expect(page.locator("input[name=amount]")).to_be_visible()
    expect(page.locator("input[name=percent]")).to_be_hidden()
    expect(page.locator("select[name=scope_categories]")).to_be_hidden()
    # a threshold coupon on one item
    page.fill("input[name=name]", "Spend 50, save 10")
    page.select_option("select[name=kind]", "threshold")
    page.select_option("select[name=scope]", "items")
    expect(page.locator("select[name=scope_items]")).to_be_visible()
    expect(page.locator("select[name=scope_categories]")).to_be_hidden()
    expect(page.locator("select[name=excluded_items]")).to_be_hidden()
    page.select_option("select[name=scope_items]", label="Oolong tea")
    page.fill("input[name=amount]", "10")
    page.fill("input[name=minimum]", "50")
    looks_right(page, problems, "What it takes off", "Days are the shop's", name="coupons-admin-form")
    accessible(page, "coupons-admin-form")

    # saved without a last day: the form says so, and keeps what was typed
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="Give the last day it can be used").wait_for()
    assert page.input_value("input[name=amount]") == "10"
    only_the_refusal(problems)
    expect(page.locator("input[name=percent]")).to_be_hidden()
    looks_right(page, problems, "Give the last day it can be used", name="coupons-admin-form-refused")
    accessible(page, "coupons-admin-form-refused")

    page.fill("input[name=ends_on]", "2030-06-30")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Coupon saved.").wait_for()
    looks_right(page, problems, "¥10.00 off a spend of ¥50.00", "2030-06-30", "1 chosen item(s)",
                name="coupons-admin-coupon")
    accessible(page, "coupons-admin-coupon")

    # sent to people who are not customers of the shop: each is named with the reason
    page.fill("textarea[name=recipients]", "13500135999\nsomeone.unknown@example.com")
    page.click("#send button[type=submit]")
    page.wait_for_selector("#refused")
    looks_right(page, problems, "0 customer(s) got a copy.", "someone.unknown@example.com",
                "No customer with this phone number or email", name="coupons-admin-sent")
    accessible(page, "coupons-admin-sent")

    page.click("text=All coupons")
    row = page.locator("#coupons tbody tr", has_text="Spend 50, save 10")
    expect(row).to_contain_text("¥10.00 off a spend of ¥50.00")
    expect(row).to_contain_text("Running")
    expect(row).to_contain_text("0 / ∞")
    looks_right(page, problems, "Spend 50, save 10", name="coupons-admin-list")
    accessible(page, "coupons-admin-list")
    assert problems == []
    page.context.close()

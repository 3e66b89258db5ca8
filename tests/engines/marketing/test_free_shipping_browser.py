"""A merchant at 1280 px makes a free-delivery rule (包邮) for the demo shop — orders of ¥50 or more,
never to Xinjiang or Tibet — is told what is missing, saves it and finds it listed in words; then a
shopper at 375 px buys one Oolong tea (¥68) by express to Shanghai and checkout shows the ¥10
delivery fee waived, and the paid order keeps it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import accessible, add_address, looks_right, only_the_refusal, sign_in_buyer, sign_in_merchant, watched_page


@pytest.mark.live
def test_a_merchant_makes_a_free_delivery_rule_and_a_shopper_gets_it(server, browser):
    from playwright.sync_api import expect

    merchant, problems = watched_page(browser, 1280)
    sign_in_merchant(merchant, server)
    merchant.goto(server.url + "/merchant/marketing/free-shipping")
    looks_right(merchant, problems, "No free-delivery rules yet", name="free-shipping-admin-empty")
    merchant.click("text=New rule")
    merchant.wait_for_selector("[data-free-shipping-form]")
    merchant.fill("input[name=name]", "Summer over ¥50")
    merchant.fill("input[name=minimum]", "50")
    merchant.fill("input[name=excluded_regions]", "Xinjiang, Tibet")
    looks_right(merchant, problems, "Which orders", "Never to these regions", "Days are the shop's",
                name="free-shipping-admin-form")
    accessible(merchant, "free-shipping-admin-form")

    # saved without a last day: the form says so and keeps what was typed
    merchant.click("button[type=submit]:has-text('Save')")
    merchant.locator(".invalid-feedback", has_text="Give the last day of the rule.").wait_for()
    assert merchant.input_value("input[name=excluded_regions]") == "Xinjiang, Tibet"
    only_the_refusal(problems)
    looks_right(merchant, problems, "Give the last day of the rule.", name="free-shipping-admin-form-refused")
    accessible(merchant, "free-shipping-admin-form-refused")

    last_day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    merchant.fill("input[name=ends_on]", last_day)
    merchant.click("button[type=submit]:has-text('Save')")
    merchant.get_by_text("Free-delivery rule saved.").wait_for()
    looks_right(merchant, problems, "¥50.00", "Xinjiang, Tibet", last_day, name="free-shipping-admin-rule")
    accessible(merchant, "free-shipping-admin-rule")
    merchant.click("text=All free-delivery rules")
    row = merchant.locator("#free-shipping-rules tbody tr", has_text="Summer over ¥50")
    expect(row).to_contain_text("Orders of ¥50.00 or more · never to Xinjiang, Tibet")
    expect(row).to_contain_text("Running")
    looks_right(merchant, problems, "Summer over ¥50", name="free-shipping-admin-list")
    accessible(merchant, "free-shipping-admin-list")
    assert problems == []
    merchant.context.close()

    buyer, problems = watched_page(browser, 375)
    buyer.goto(server.url + "/s/demo/")
    buyer.click("text=Oolong tea")
    buyer.wait_for_selector("[data-buy]")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, "13900139034")
    buyer.wait_for_selector("input[name=fulfillment]")
    buyer.check("input[name=fulfillment][value=express]")
    add_address(buyer, name="Han Mei", phone="13900139034", region="Shanghai Xuhui", line="8 Tianyaoqiao Road")
    buyer.wait_for_selector("[data-step=free_shipping_rules]")
    assert buyer.get_attribute("[data-total]", "data-total") == "6800"  # ¥68.00: the ¥10.00 fee waived
    expect(buyer.locator("[data-step=shipping]")).to_contain_text("¥10.00")
    expect(buyer.locator("[data-step=free_shipping_rules]")).to_contain_text("-¥10.00")
    looks_right(buyer, problems, "Summer over ¥50 (free delivery)", name="free-shipping-checkout")
    accessible(buyer, "free-shipping-checkout")
    buyer.click("[data-place-order]")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-lines] [data-step=free_shipping_rules]")
    looks_right(buyer, problems, "Summer over ¥50 (free delivery)", name="free-shipping-order")
    assert problems == []

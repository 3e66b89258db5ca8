"""A merchant at 1280 px makes a timed discount (限时折扣) through the back-office form — the field
follows the kind of discount chosen — is told what is missing, saves it and finds it in the list;
then sends a coupon to a shopper who pays with it, and reads the coupon's figures in the list."""

from __future__ import annotations

import pytest

from tests.browser import accessible, looks_right, only_the_refusal, sign_in_buyer, sign_in_merchant, watched_page

PHONE = "13600136777"  # this module's shopper (codes are limited per phone)


@pytest.mark.live
def test_a_merchant_makes_a_timed_discount_and_finds_it_listed(server, browser):
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/marketing/discounts")
    looks_right(page, problems, "No timed discounts yet", name="discounts-admin-empty")
    page.click("text=New timed discount")
    page.wait_for_selector("[data-discount-form]")

    # a percentage off to begin with; an amount off each shows its own field instead
    expect(page.locator("input[name=percent]")).to_be_visible()
    expect(page.locator("input[name=amount_off]")).to_be_hidden()
    page.select_option("select[name=off]", "amount")
    expect(page.locator("input[name=amount_off]")).to_be_visible()
    expect(page.locator("input[name=percent]")).to_be_hidden()
    page.select_option("select[name=off]", "percent")

    page.fill("input[name=name]", "Tea weekend, fifteen off")
    page.select_option("select[name=items]", label="Oolong tea")
    page.fill("input[name=percent]", "15")
    page.fill("input[name=starts_at]", "2030-06-01T10:00")
    looks_right(page, problems, "What it takes off", "Times are the shop's", name="discounts-admin-form")
    accessible(page, "discounts-admin-form")

    # saved without an end: the form says so, and keeps what was typed
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="Give when it ends.").wait_for()
    assert page.input_value("input[name=percent]") == "15"
    only_the_refusal(problems)
    expect(page.locator("input[name=amount_off]")).to_be_hidden()
    looks_right(page, problems, "Give when it ends.", name="discounts-admin-form-refused")
    accessible(page, "discounts-admin-form-refused")

    page.fill("input[name=ends_at]", "2030-06-03T22:00")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Timed discount saved.").wait_for()
    looks_right(page, problems, "15% off", "2030-06-01 10:00 – 2030-06-03 22:00", "Oolong tea", "Scheduled",
                name="discounts-admin-discount")
    accessible(page, "discounts-admin-discount")

    page.click("text=All timed discounts")
    row = page.locator("#discounts tbody tr", has_text="Tea weekend, fifteen off")
    expect(row).to_contain_text("1 item")
    expect(row).to_contain_text("15% off")
    expect(row).to_contain_text("Scheduled")
    expect(row.locator("[data-figure=cost]")).to_have_text("¥0.00")
    looks_right(page, problems, "Tea weekend, fifteen off", name="discounts-admin-list")
    accessible(page, "discounts-admin-list")
    assert problems == []
    page.context.close()


@pytest.mark.live
def test_a_coupon_paid_with_shows_its_figures_in_the_list(server, browser):
    from playwright.sync_api import expect

    # a shopper signs in on the storefront, on the way to buy two Oolong teas
    buyer, buyer_problems = watched_page(browser, 375)
    buyer.goto(server.url + "/s/demo/")
    buyer.click("text=Oolong tea")
    buyer.wait_for_selector("[data-buy]")
    buyer.fill("input[name=qty]", "2")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, PHONE)
    buyer.wait_for_selector("input[name=fulfillment]")

    # the merchant makes a ¥5 coupon sent only, and sends the shopper a copy
    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/marketing/coupons/new")
    page.fill("input[name=name]", "Five for a friend")
    page.fill("input[name=amount]", "5")
    page.fill("input[name=ends_on]", "2030-06-30")
    page.uncheck("input[name=public]")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Coupon saved.").wait_for()
    page.fill("textarea[name=recipients]", PHONE)
    page.click("#send button[type=submit]")
    page.get_by_text("1 customer(s) got a copy.").wait_for()

    # the shopper's checkout takes it, and they pay
    buyer.reload()
    buyer.wait_for_selector("[data-coupons] input[name=coupon]:checked")
    buyer.check("input[name=fulfillment][value=pickup]")
    buyer.wait_for_selector("[data-step=coupon]")
    assert buyer.get_attribute("[data-total]", "data-total") == str(2 * 6800 - 500)
    buyer.click("[data-place-order]")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-lines] [data-step=coupon]")
    assert buyer_problems == []
    buyer.context.close()

    # the coupons list counts the copy sent and used, the paid order, what it came to and what it cost
    page.goto(server.url + "/merchant/marketing/coupons")
    row = page.locator("#coupons tbody tr", has_text="Five for a friend")
    expect(row).to_contain_text("Sent only")
    expect(row).to_contain_text("1 / ∞")
    for figure, shown in (("used", "1"), ("orders", "1"), ("gmv", "¥131.00"), ("cost", "¥5.00")):
        expect(row.locator(f"[data-figure={figure}]")).to_have_text(shown)
    looks_right(page, problems, "Five for a friend", "Sales", name="coupons-admin-list-figures")
    accessible(page, "coupons-admin-list-figures")
    page.click("text=Five for a friend")
    looks_right(page, problems, "Paid orders", "¥131.00", name="coupons-admin-coupon-figures")
    accessible(page, "coupons-admin-coupon-figures")
    assert problems == []
    page.context.close()

"""A merchant at 1280 px, in English and in Chinese, prices a cart in the simulator: a shopper of
the demo shop (signed in on the storefront, with an address) is sent a ¥10 coupon; the merchant
builds a cart of two items (one more row from "Add an item"), names the shopper, picks the coupon
once it is offered, drafts a ¥15-off-¥150 promotion and sees both columns side by side with the
right totals."""

from __future__ import annotations

import pytest

from tests.browser import accessible, looks_right, sign_in_buyer, sign_in_merchant, watched_page

PHONES = {"en": "13700137100", "zh": "13700137101"}  # one each: codes are limited per phone
LOCALES = {"en": "en-US", "zh": "zh-CN"}
TOTAL = {"en": "Total", "zh": "合计"}  # a word the page says in each language


def shopper_with_an_address(browser, server, phone: str) -> None:
    page, problems = watched_page(browser, 375)
    page.goto(server.url + "/s/demo/me")
    page.click("[data-sign-in-link]")
    sign_in_buyer(page, phone)
    page.wait_for_selector(".t-member__orders")
    page.goto(server.url + "/s/demo/addresses")
    for field, value in {"name": "Zhou Min", "phone": phone, "region": "Shanghai Jing'an",
                         "line": "5 Yanping Road"}.items():
        page.fill(f"input[name={field}]", value)
    page.click("[data-save-address]")
    page.wait_for_selector("[data-address-id]")
    assert problems == []
    page.context.close()


def coupon_sent_to(page, server, phone: str, name: str) -> None:
    page.goto(server.url + "/merchant/marketing/coupons/new")
    page.fill("input[name=name]", name)
    page.fill("input[name=amount]", "10")
    page.fill("input[name=ends_on]", "2099-12-31")
    page.click("[data-coupon-form] button[type=submit]")
    page.wait_for_selector("textarea[name=recipients]")
    page.fill("textarea[name=recipients]", phone)
    page.click("#send button[type=submit]")
    page.wait_for_selector("#send")


@pytest.mark.live
@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_cart_with_a_coupon_and_a_draft_tier_priced_both_ways(server, browser, language):
    from playwright.sync_api import expect

    phone, coupon = PHONES[language], f"Sim ten off {language}"
    shopper_with_an_address(browser, server, phone)
    page, problems = watched_page(browser, 1280, locale=LOCALES[language])
    sign_in_merchant(page, server)
    coupon_sent_to(page, server, phone, coupon)

    page.goto(server.url + "/merchant/marketing/simulator")
    page.wait_for_selector("#simulator")
    rows = page.locator("[data-cart-row]")
    expect(rows.nth(0)).to_be_visible()
    expect(rows.nth(1)).to_be_hidden()
    page.select_option("select[name=sku_1]", label="Oolong tea — ¥68.00")
    page.fill("input[name=quantity_1]", "2")
    page.click("[data-add-row]")
    expect(page.locator("select[name=sku_2]")).to_be_focused()
    page.select_option("select[name=sku_2]", label="Tea cup · White — ¥29.00")
    page.fill("input[name=customer]", phone)
    page.click("[data-price]")

    # the shopper's coupon is offered now, and their address chosen; the cart priced without a coupon
    page.wait_for_selector("[data-column=live] [data-total]")
    assert page.get_attribute("[data-column=live] [data-total]", "data-total") == "16500"
    expect(page.locator("select[name=fulfillment] option:checked")).to_contain_text("Shanghai Jing'an")
    option = page.locator("select[name=coupon] option", has_text=coupon)
    page.select_option("select[name=coupon]", option.get_attribute("value"))
    page.fill("input[name=name]", f"Spend 150 {language}")
    page.fill("input[name=threshold_1]", "150")
    page.fill("input[name=amount_off_1]", "15")
    page.fill("input[name=ends_on]", "2099-12-31")
    page.click("[data-price]")

    # ¥165.00 of items (free delivery above ¥99): the coupon alone, or the draft first and then the coupon
    page.wait_for_selector("[data-column=with-draft] [data-total]")
    assert page.get_attribute("[data-column=live] [data-total]", "data-total") == "15500"
    assert page.get_attribute("[data-column=with-draft] [data-total]", "data-total") == "14000"
    live_box, draft_box = page.evaluate("""() => ['live', 'with-draft'].map(key => {
        const box = document.querySelector(`[data-column=${key}]`).getBoundingClientRect();
        return {x: box.x, y: box.y, width: box.width};
    })""")
    assert abs(live_box["y"] - draft_box["y"]) < 1 and draft_box["x"] >= live_box["x"] + live_box["width"]  # side by side
    expect(page.locator("[data-column=live] [data-step=coupon]")).to_contain_text("-¥10.00")
    expect(page.locator("[data-column=with-draft] [data-draft-step]")).to_contain_text("-¥15.00")
    expect(page.locator("[data-column=with-draft] [data-step=coupon] [data-funded-by=merchant]")).to_be_visible()
    expect(page.locator("#difference")).to_contain_text("¥15.00")
    assert page.input_value("select[name=coupon]") == option.get_attribute("value")  # the form keeps the cart
    looks_right(page, problems, TOTAL[language], coupon, f"Spend 150 {language}", name=f"simulator-{language}")
    accessible(page, f"simulator-{language}")
    page.context.close()

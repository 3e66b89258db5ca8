"""A shopper at 375 px on the e-commerce demo shop claims the home page's coupon, sees checkout
choose it, pays, and finds it used in their coupons."""

from __future__ import annotations

from tests.browser import accessible, looks_right, sign_in_buyer, watched_page


def test_claim_on_the_home_page_then_checkout_uses_it(server, browser):
    page, problems = watched_page(browser, 375)
    home = server.url + "/s/tpl-ecommerce/"
    page.goto(home)
    strip = page.locator('[data-app="coupon_strip"]')
    strip.locator("[data-claim]").first.wait_for()
    looks_right(page, problems, "¥30 off ¥299", name="coupons-home-strip")
    ticket = strip.locator("[data-coupon]", has_text="¥30 off ¥299")
    ticket.locator("[data-claim]").click()  # signed out: sign in first, then back here
    sign_in_buyer(page, "13500135000")
    page.wait_for_url(home)
    ticket.locator("[data-claim]").click()
    page.wait_for_selector("[data-claim][disabled]")

    page.click("text=Linen shirt")
    page.wait_for_selector("[data-dimension=Size]")
    page.fill("input[name=qty]", "2")
    page.click("[data-buy-now]")
    page.wait_for_selector("[data-coupons] input[name=coupon]:checked")
    page.check("input[name=fulfillment][value=pickup]")
    page.wait_for_selector("[data-step=coupon]")
    # the demo's spend promotion (¥20 off ¥299) first, then the coupon (¥30 off ¥299 of what is left)
    page.wait_for_selector("[data-step=order_promotions]")
    assert page.get_attribute("[data-total]", "data-total") == str(2 * 16900 - 2000 - 3000)
    looks_right(page, problems, "¥30 off ¥299", name="coupons-checkout")
    accessible(page, "coupons-checkout")
    page.click("[data-place-order]")
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-step=coupon]")

    page.goto(server.url + "/s/tpl-ecommerce/me")
    page.click("text=My coupons")
    page.click("[data-tab=used]")
    page.wait_for_selector("[data-held-coupon]")
    looks_right(page, problems, "¥30 off ¥299", name="coupons-wallet-used")
    assert problems == []

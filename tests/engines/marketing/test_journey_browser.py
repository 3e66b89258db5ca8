"""The coupon journey as a shopper walks it at 375 px on `tessera run`'s e-commerce demo: sign in,
an empty wallet, the home page's coupon claimed, two shirts put in the cart, checkout choosing the
coupon (after the demo's spend promotion), paid in the sandbox; one of the two shirts asked back;
a manager approves the refund in the back office at 1280 px; the shopper sees it refunded and the
coupon under Used in their wallet. Beside it: used coupons stay readable, and checkout shows the total of
the coupon chosen even when an earlier quote answers last."""

from __future__ import annotations

import json
import re


from tests.browser import accessible, looks_right, shot, sign_in_buyer, sign_in_merchant, watched_page
from tests.templates_library.test_template_browser import manager_of

# No other test signs in with these (codes are limited per phone): one shopper per test.
PHONE, CONTRAST_PHONE, RACE_PHONE = "13500135077", "13500135078", "13500135079"
SHIRT = 16900
PROMOTION, COUPON = 2000, 3000  # the demo's ¥20 off ¥299 spend promotion, then its ¥30 off ¥299 coupon
WITH_COUPON = 2 * SHIRT - PROMOTION - COUPON


def _signed_in_at_the_wallet(page, shop: str, phone: str) -> None:
    page.goto(shop + "/my/coupons")
    sign_in_buyer(page, phone)  # the wallet asks who you are first, then comes back
    page.wait_for_url(re.compile(r"/my/coupons"))
    page.wait_for_selector(".t-empty")


def _wallet(page, shop: str, status: str) -> None:
    page.goto(f"{shop}/my/coupons?status={status}")
    page.wait_for_selector(f"[data-tab={status}][aria-current=page]")
    page.wait_for_selector("[data-held-coupon], .t-empty")


def _claim_on_the_home_page(page, shop: str) -> None:
    page.goto(shop + "/")
    ticket = page.locator('[data-app="coupon_strip"] [data-coupon]', has_text="¥30 off ¥299")
    ticket.locator("[data-claim]").click()
    ticket.locator("[data-claim][disabled]").wait_for()


def _two_shirts_in_the_cart(page, shop: str) -> None:
    from playwright.sync_api import expect

    page.goto(shop + "/")
    page.click("text=Linen shirt")
    page.wait_for_selector("[data-dimension=Size]")
    page.fill("input[name=qty]", "2")
    page.click("[data-add-to-cart]")
    expect(page.locator("[data-buy-message]")).to_have_text("Added to the cart.")


def _checkout_with_the_coupon(page, shop: str) -> None:
    """The cart's checkout, the coupon it chose, for pickup. The way is chosen again once the
    page has settled: an earlier quote answering late can show a stale total (see
    test_checkout_shows_the_total_of_the_coupon_it_chose)."""
    page.goto(shop + "/checkout")
    page.wait_for_selector("[data-coupons] input[name=coupon]:checked")
    page.wait_for_load_state("networkidle")
    page.check("input[name=fulfillment][value=express]")  # no address yet: nothing to price
    page.wait_for_selector("[data-needs-address]")
    page.check("input[name=fulfillment][value=pickup]")
    page.wait_for_selector(f"[data-total='{WITH_COUPON}']")


def _paid(page) -> str:
    """Place the order, pay on the sandbox page; the order's number."""
    page.click("[data-place-order]")
    page.click("button[value=succeeded]")
    page.wait_for_selector("[data-lines] [data-step=coupon]")
    return re.search(r"\d{11}", page.inner_text("#main")).group(0)


def _approve_in_the_back_office(browser, server, number: str) -> None:
    clerk, problems = watched_page(browser, 1280)
    sign_in_merchant(clerk, server, manager_of(server, "tpl-ecommerce"), "password123")
    clerk.goto(server.url + f"/merchant/orders/?q={number}")
    clerk.click(f"text={number}")
    request = clerk.locator("[data-after-sale]")
    assert "Refund only" in request.inner_text() and "¥144.00" in request.inner_text()
    request.locator("button", has_text="Approve").click()
    clerk.wait_for_selector("text=After-sales request updated.")
    looks_right(clerk, problems, "refunded", name="journey-5-back-office-refunded")
    clerk.close()


def test_claim_checkout_with_the_coupon_pay_and_get_one_item_refunded(server, browser):
    page, problems = watched_page(browser, 375)
    shop = server.url + "/s/tpl-ecommerce"

    # signed in, the wallet is empty; the home page's coupon claimed, it is there
    _signed_in_at_the_wallet(page, shop, PHONE)
    looks_right(page, problems, "No coupons here.", name="journey-1-empty-wallet")
    _claim_on_the_home_page(page, shop)
    _wallet(page, shop, "available")
    looks_right(page, problems, "¥30 off ¥299", name="journey-2-wallet-claimed")

    # two shirts from the cart: checkout takes the promotion, then the coupon it chose
    _two_shirts_in_the_cart(page, shop)
    _checkout_with_the_coupon(page, shop)
    assert page.is_checked("[data-coupons] [data-coupon] input")
    assert page.is_visible("[data-summary] [data-step=coupon]")
    looks_right(page, problems, "¥30 off ¥299", name="journey-3-checkout")
    accessible(page, "journey-3-checkout")
    number = _paid(page)

    # one shirt of two asked back: the form offers both, the shopper keeps one
    page.click("[data-open-after-sale]")
    page.fill("[data-after-sale-form] input[data-line-id]", "1")
    page.fill("[data-after-sale-form] input.weui-input", "One is enough")
    page.click("[data-request-refund]")
    page.wait_for_selector("[data-after-sale=requested]")
    # the shirt's paid share: (338.00 − 20.00 − 30.00) / 2
    assert "¥144.00" in page.inner_text("[data-after-sale=requested]")
    shot(page, "journey-4-refund-asked")

    _approve_in_the_back_office(browser, server, number)

    # refunded: the order says so; the coupon stays used (the shop's default)
    page.reload()
    page.wait_for_selector("[data-after-sale=refunded]")
    looks_right(page, problems, "¥144.00", name="journey-6-order-refunded")
    accessible(page, "journey-6-order-refunded")
    assert "(−1)" in page.inner_text("[data-lines]")
    _wallet(page, shop, "used")
    looks_right(page, problems, "¥30 off ¥299", name="journey-7-wallet-used")
    assert page.locator("[data-held-coupon].is-spent").count() == 1
    _wallet(page, shop, "available")
    assert page.locator("[data-held-coupon]").count() == 0
    assert problems == []


def test_the_wallets_used_coupons_are_readable(server, browser):
    page, problems = watched_page(browser, 375)
    shop = server.url + "/s/tpl-ecommerce"
    _signed_in_at_the_wallet(page, shop, CONTRAST_PHONE)
    _claim_on_the_home_page(page, shop)
    _two_shirts_in_the_cart(page, shop)
    _checkout_with_the_coupon(page, shop)
    _paid(page)
    _wallet(page, shop, "used")
    looks_right(page, problems, "¥30 off ¥299", name="journey-8-wallet-used")
    accessible(page, "journey-8-wallet-used")


def _answering_the_first_quote_last(page) -> None:
    """Hold checkout's first quote (asked before the coupons are offered, without one) until the
    next quote has been answered, as a slow server or network would."""
    held = []

    def quote(route):
        response = route.fetch()
        if not json.loads(route.request.post_data or "{}").get("coupon_ids"):
            held.append((route, response))
            return
        route.fulfill(response=response)
        while held:
            late, answer = held.pop()
            late.fulfill(response=answer)

    page.route("**/api/v1/checkout/quote", quote)


def test_checkout_shows_the_total_of_the_coupon_it_chose(server, browser):
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 375)
    shop = server.url + "/s/tpl-ecommerce"
    _signed_in_at_the_wallet(page, shop, RACE_PHONE)
    _claim_on_the_home_page(page, shop)
    _two_shirts_in_the_cart(page, shop)
    _answering_the_first_quote_last(page)
    page.goto(shop + "/checkout")
    page.wait_for_selector("[data-coupons] input[name=coupon]:checked")
    page.wait_for_load_state("networkidle")
    shot(page, "journey-9-checkout-late-quote")
    expect(page.locator("[data-total]")).to_have_attribute("data-total", str(WITH_COUPON), timeout=3000)
    assert page.is_visible("[data-summary] [data-step=coupon]") and problems == []

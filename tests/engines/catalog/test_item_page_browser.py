"""The item page as a shopper at 375 px uses it, on the e-commerce demo shop (`/s/tpl-ecommerce/`):
choosing by Size and Colour picks the SKU and shows its price and stock, a sold-out combination
cannot be chosen, the buy bar stays in reach, and a choice made signed out lands in the cart
after sign-in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import looks_right, sign_in_buyer, watched_page


SAID = {"en": {"left": "4 left", "added": "Added to the cart.", "add": "Add to cart", "buy": "Buy now",
               "check_out": "Check out"},
        "zh": {"left": "剩余 4 件", "added": "已加入购物车。", "add": "加入购物车", "buy": "立即购买",
               "check_out": "去结算"}}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_choosing_by_dimension_and_adding_to_the_cart_through_sign_in(server, browser, language):
    said = SAID[language]
    buyer, problems = watched_page(browser, 375, locale={"en": "en-US", "zh": "zh-CN"}[language])
    buyer.goto(server.url + "/s/tpl-ecommerce/")
    buyer.click("text=Linen shirt")
    buyer.wait_for_selector("[data-dimension=Size]")
    # the per-combination list gives way to one choice per dimension, starting on one in stock
    assert not buyer.is_visible("[data-sku-list]")
    assert buyer.is_checked("[data-dimension=Size] input[value=S]")
    assert buyer.is_checked("[data-dimension=Colour] input[value=White]")
    # XL comes in Sand and Sage, but not in White (sold out): with White chosen, XL is disabled
    assert buyer.is_disabled("[data-dimension=Size] input[value=XL]")
    buyer.check("[data-dimension=Colour] input[value=Sage]")
    assert buyer.is_enabled("[data-dimension=Size] input[value=XL]")
    assert buyer.is_disabled("[data-dimension=Size] input[value=L]")  # Sage L is sold out
    assert buyer.inner_text("[data-stock-left]") == said["left"]  # S / Sage has 4
    assert buyer.inner_text("[data-price]") == "¥169.00"
    # a square photo is shown whole, not cropped to a banner's shape
    assert buyer.eval_on_selector("[data-item-photo]", "img => getComputedStyle(img).objectFit") == "contain"
    box = buyer.locator("[data-item-photo]").bounding_box()
    assert abs(box["width"] - box["height"]) <= 1, box
    expect(buyer.locator("[data-add-to-cart]")).to_be_in_viewport()  # the buy bar stays in reach
    looks_right(buyer, problems, "Linen shirt", said["add"], said["buy"], name=f"item-page-dimensions-{language}")

    buyer.click("[data-add-to-cart]")  # signed out: the choice is kept through sign-in
    sign_in_buyer(buyer, {"en": "13700137000", "zh": "13700137001"}[language])  # codes are limited per phone
    buyer.wait_for_selector(f"text={said['added']}")
    assert buyer.is_visible("[data-item]")  # back on the item page
    buyer.goto(server.url + "/s/tpl-ecommerce/cart")
    buyer.wait_for_selector("[data-cart-line]")
    line = buyer.inner_text("[data-cart-line]")
    assert "Linen shirt" in line and "S" in line and "Sage" in line, line
    looks_right(buyer, problems, "Linen shirt", said["check_out"], name=f"cart-after-sign-in-{language}")

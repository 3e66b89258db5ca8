"""The whole purchase in a real browser on `tessera run`'s demo shop: item page, buy now, sign in
with a code, checkout with a new address, the sandbox pay page, the order; then the clerk ships
it in the back office and the buyer confirms receipt."""

from __future__ import annotations

import re

import pytest


from tests.browser import (accessible, add_address, looks_right, watched_page, first_table_code, ship_in_back_office, shot, sign_in_buyer,
                           sign_in_merchant, verify_at_counter)
from tests.builder.test_designer_browser import until


PURCHASE = {"en": {"place": "Place order and pay", "express": "Express delivery", "shipped": "Shipped",
                   "phone": "13800138000"},
            "zh": {"place": "提交订单并支付", "express": "快递发货", "shipped": "已发货", "phone": "13800138001"}}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_buy_pay_ship_and_confirm_in_the_browser(server, browser, language):
    said = PURCHASE[language]
    buyer, problems = watched_page(browser, 375, locale={"en": "en-US", "zh": "zh-CN"}[language])
    buyer.goto(server.url + "/s/demo/")
    buyer.click("text=Oolong tea")
    buyer.wait_for_selector("[data-buy]")
    shot(buyer, "purchase-1-item")
    buyer.fill("input[name=qty]", "2")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, said["phone"])  # not signed in yet: the sign-in page (codes are limited per phone)
    buyer.wait_for_selector("input[name=fulfillment]")  # back at checkout, with no address yet
    buyer.check("input[name=fulfillment][value=express]")  # delivery: the address form appears
    buyer.wait_for_selector("[data-needs-address]")  # it asks for an address, no error before one is given
    assert not buyer.is_visible("[data-message]")
    buyer.check("input[name=fulfillment][value=pickup]")  # pickup names the store: where, and when it is open
    stores = buyer.inner_text("[data-stores]")
    assert "Demo store" in stores and "Zhongshan Road" in stores, stores
    buyer.check("input[name=fulfillment][value=express]")
    add_address(buyer, name="Li Lei", phone="13800138000", region="Shanghai Huangpu", line="2 Nanjing Road")
    buyer.wait_for_selector("[data-total]")
    assert buyer.get_attribute("[data-total]", "data-total") == "13600"  # 2 × 68.00, free shipping above 99
    looks_right(buyer, problems, "Li Lei", said["place"], name=f"purchase-2-checkout-{language}")
    accessible(buyer, f"purchase-2-checkout-{language}")
    buyer.click("[data-place-order]")
    buyer.wait_for_selector("#sandbox-pay")
    assert "¥136.00" in buyer.inner_text("[data-amount]")
    shot(buyer, "purchase-3-pay")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-status]")
    assert buyer.get_attribute("[data-status]", "data-status") == "awaiting_shipment"
    number = re.search(r"\d{11}", buyer.inner_text("#main")).group(0)
    looks_right(buyer, problems, number, said["express"], name=f"purchase-4-order-{language}")
    accessible(buyer, f"purchase-4-order-{language}")

    clerk = browser.new_page()
    sign_in_merchant(clerk, server)
    ship_in_back_office(clerk, server, number, carrier="SF Express", tracking_number="SF1234567")
    shot(clerk, "purchase-5-shipped")

    buyer.reload()
    buyer.wait_for_selector("[data-confirm]")
    # the shipped order says how it comes: the carrier and tracking number, the address
    receiving = buyer.inner_text("[data-receiving]")
    assert "SF Express SF1234567" in receiving and "Li Lei" in receiving, receiving
    assert buyer.inner_text("[data-status]") == said["shipped"]  # a status as people read it
    assert not buyer.is_visible("[data-after-sale-form]")  # the refund form waits behind its button
    assert buyer.is_visible("[data-lines] [data-step=shipping]")  # the delivery fee is a line of the total
    buyer.click("[data-confirm]")
    buyer.wait_for_selector("[data-status=completed]")
    buyer.goto(server.url + "/s/demo/")
    shot(buyer, "purchase-6-home")
    buyer.click(".t-navbar__links a[href$='/me']")  # the storefront's way to the member centre
    buyer.click(".t-member__orders a >> nth=0")  # all orders
    buyer.wait_for_selector("[data-order]")
    assert number in buyer.inner_text("#main")
    assert problems == []


# What the dine-in test reads on the page, in each language it is walked in.
SAID = {"en": {"dine_in": "Dine in", "table": "Table", "counter": "counter"},
        "zh": {"dine_in": "堂食", "table": "桌", "counter": "柜台"}}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_dine_in_from_a_table_qr_with_a_dishs_options_then_the_clerk_verifies(server, browser, language):
    said = SAID[language]
    clerk = browser.new_page()
    sign_in_merchant(clerk, server)
    table_code = first_table_code(clerk, server, "Demo store")

    locale = {"en": "en-US", "zh": "zh-CN"}[language]  # one visitor, several tabs, in their language
    visit = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale,
                                extra_http_headers={"Accept-Language": locale})
    problems: list[str] = []

    def tab():
        page = visit.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 else None)
        return page

    first_tab = tab()
    first_tab.goto(server.url + f"/s/demo/?table={table_code}")  # what the table's QR code opens
    first_tab.close()
    buyer = tab()  # a new tab of the same visit still knows the table
    buyer.goto(server.url + "/s/demo/")
    buyer.click("text=Milk tea")
    buyer.check("[data-choice-group=Sweetness] input[value=Half]")
    buyer.check("[data-choice-group=Toppings] input[value=Pearls]")
    shot(buyer, "dine-in-1-options")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, {"en": "13900139000", "zh": "13900139001"}[language])  # codes are limited per phone
    buyer.wait_for_selector("[data-total]")
    assert buyer.is_checked("input[name=fulfillment][value=dine_in]")
    assert not buyer.is_visible("[data-address]")  # no address for a table
    assert buyer.get_attribute("[data-total]", "data-total") == "1700"  # 15.00 + pearls 2.00
    assert "Half" in buyer.inner_text("[data-summary]")
    assert "Demo store" in buyer.inner_text("[data-table]")  # the table is named, and can be left
    assert buyer.is_visible("[data-leave-table]")
    looks_right(buyer, problems, said["dine_in"], name=f"dine-in-checkout-{language}")
    accessible(buyer, f"dine-in-checkout-{language}")
    buyer.click("[data-place-order]")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-code]")
    code = buyer.inner_text("[data-code]").replace(" ", "")
    assert re.fullmatch(r"\d{12}", code)
    # the QR image loads (polled from Python: the storefront's CSP forbids the eval wait_for_function needs
    # whenever the first look finds it not yet loaded)
    until(lambda: buyer.evaluate("document.querySelector('.t-code__qr').naturalWidth > 0"))
    assert said["table"] in buyer.inner_text("[data-receiving]")  # the order names its table
    assert said["counter"] not in buyer.inner_text("#main")  # served at the table, not called at a counter
    looks_right(buyer, problems, said["dine_in"], name=f"dine-in-2-code-{language}")
    accessible(buyer, f"dine-in-order-{language}")

    verify_at_counter(clerk, server, code)
    buyer.reload()
    buyer.wait_for_selector("[data-status=completed]")
    assert problems == []

"""The shopper's account pages at 375 px, in English and Chinese: signed out the member centre
offers sign-in; signed in it shows the order tabs, the address book adds and removes an address,
and signing out forgets the token."""

from __future__ import annotations

import pytest

from tests.browser import accessible, looks_right, sign_in_buyer, watched_page

SAID = {"en": {"sign_in": "Sign in", "addresses": "My addresses", "to_pay": "To pay"},
        "zh": {"sign_in": "登录", "addresses": "收货地址", "to_pay": "待付款"}}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_member_centre_and_the_address_book(server, browser, language):
    said = SAID[language]
    page, problems = watched_page(browser, 375, locale={"en": "en-US", "zh": "zh-CN"}[language])
    page.goto(server.url + "/s/demo/me")
    page.wait_for_selector("[data-sign-in-link]")
    looks_right(page, problems, said["sign_in"], name=f"account-signed-out-{language}")
    page.click("[data-sign-in-link]")
    sign_in_buyer(page, {"en": "13600136000", "zh": "13600136001"}[language])  # one phone each: codes are limited per phone
    page.wait_for_selector(".t-member__orders")  # back in the member centre, signed in
    looks_right(page, problems, said["to_pay"], said["addresses"], name=f"account-member-centre-{language}")
    accessible(page, f"account-member-centre-{language}")

    page.click(f"text={said['addresses']}")
    page.wait_for_selector("[data-save-address]")
    for field, value in {"name": "Wang Fang", "phone": "13600136000", "region": "Beijing Chaoyang",
                         "line": "8 Jianguo Road"}.items():
        page.fill(f"input[name={field}]", value)
    page.click("[data-save-address]")
    page.wait_for_selector("[data-address-id]")
    looks_right(page, problems, "Wang Fang", name=f"account-addresses-{language}")
    accessible(page, f"account-addresses-{language}")
    page.click("[data-remove-address]")
    page.wait_for_selector("[data-address-id]", state="detached")

    page.goto(server.url + "/s/demo/me")
    page.click("[data-sign-out]")
    page.wait_for_url("**/s/demo/")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('tessera.token.'))") == []
    assert problems == []

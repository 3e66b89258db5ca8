"""What people see, and what a screen reader and a keyboard can use, on the pages people spend their
time on, in English and in Simplified Chinese, in a real browser against `tessera run`'s demo
shop: axe-core finds nothing serious, no text is cut off or spills out of its box, nothing is wider
than the screen, no errors. Screenshots and axe's results land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import accessible, browser, looks_right, server, sign_in_merchant, watched_page  # noqa: F401
from tests.conftest import http_json

pytestmark = pytest.mark.live

LANGUAGES = {"en": None, "zh": "zh-CN"}
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


def said(text: str, language: str) -> str:
    """`text` as the app says it in `language` (its own translations)."""
    if language == "en":
        return text
    from babel.support import Translations

    import core

    return Translations.load(str(Path(core.__file__).parent / "translations"), ["zh_Hans"]).gettext(text)


def seen_and_accessible(page, problems, language: str, *texts: str, name: str) -> None:
    """Both checks on the page as it is, each reported whatever the other found."""
    assert page.get_attribute("html", "lang") == HTML_LANG[language]
    failures = []
    for check in (lambda: accessible(page, name), lambda: looks_right(page, problems, *texts, name=name)):
        try:
            check()
        except AssertionError as failure:
            failures.append(str(failure))
    assert failures == [], "\n\n".join(failures)


@pytest.fixture(scope="module")
def signed_in(server, browser):  # noqa: F811
    """The demo owner's cookies, signed in once for the module (sign-ins are rate limited)."""
    page, _ = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    state = page.context.storage_state()
    page.close()
    return state


@pytest.fixture(scope="module")
def paid_order(server, browser) -> dict:  # noqa: F811
    """A paid pickup order of Oolong tea, bought over the API as a native client would and paid on
    the sandbox's pay page."""
    shop = {"X-Tenant": server.logins["tenant"]}
    phone = "13900000091"
    _, sent = http_json("POST", f"{server.url}/api/v1/auth/code", {"phone": phone}, shop)
    _, signed = http_json("POST", f"{server.url}/api/v1/auth/code/verify", {"phone": phone,
                                                                           "code": sent["sandbox_code"]}, shop)
    _, items = http_json("GET", f"{server.url}/api/v1/items", headers=shop)
    sku = next(item for item in items["items"] if item["name"] == "Oolong tea")["skus"][0]["id"]
    _, stores = http_json("GET", f"{server.url}/api/v1/stores", headers=shop)
    status, placed = http_json("POST", f"{server.url}/api/v1/checkout/pay", {
        "lines": [{"sku_id": sku, "quantity": 1}], "provider": "sandbox",
        "fulfillment": {"type": "pickup", "store_id": stores["stores"][0]["id"]}},
        {"Authorization": f"Bearer {signed['token']}"})
    assert status == 201, placed
    pay = browser.new_page()
    pay.goto(server.url + placed["next_action"]["url"].removeprefix(server.url))
    pay.click("button[value=succeeded]")
    assert pay.get_attribute("[data-outcome]", "data-outcome") == "paid"
    pay.close()
    return placed["order"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_item_form(server, browser, signed_in, language):  # noqa: F811
    page, problems = watched_page(browser, 1280, locale=LANGUAGES[language], storage_state=signed_in)
    page.goto(server.url + "/merchant/catalog/new")
    seen_and_accessible(page, problems, language, said("New item", language), name=f"a11y-item-form-{language}")
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_order_page_of_a_paid_order(server, browser, signed_in, paid_order, language):  # noqa: F811
    page, problems = watched_page(browser, 1280, locale=LANGUAGES[language], storage_state=signed_in)
    page.goto(server.url + f"/merchant/orders/{paid_order['id']}")
    seen_and_accessible(page, problems, language, paid_order["number"], "Oolong tea", name=f"a11y-order-{language}")
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_designer(server, browser, signed_in, language):  # noqa: F811
    page, problems = watched_page(browser, 1440, locale=LANGUAGES[language], storage_state=signed_in)
    page.goto(server.url + "/merchant/designer/")
    page.frame_locator("[data-frame]").locator("[data-section]").first.wait_for()
    seen_and_accessible(page, problems, language, said("Publish", language), name=f"a11y-designer-{language}")
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_storefront_home_on_a_phone(server, browser, language):  # noqa: F811
    page, problems = watched_page(browser, 375, locale=LANGUAGES[language])
    page.goto(server.url + f"/s/{server.logins['tenant']}/")
    seen_and_accessible(page, problems, language, "Demo Shop", "Oolong tea", name=f"a11y-storefront-home-{language}")
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_item_page_on_a_phone(server, browser, language):  # noqa: F811
    page, problems = watched_page(browser, 375, locale=LANGUAGES[language])
    page.goto(server.url + f"/s/{server.logins['tenant']}/")
    page.click("text=Oolong tea")
    page.wait_for_selector("[data-buy]")
    seen_and_accessible(page, problems, language, "Oolong tea", name=f"a11y-item-page-{language}")
    page.close()

"""Reviews in a real browser on `tessera run`'s demo shop. At 375 px a shopper whose pickup order
the counter has completed opens it, is told to choose stars before sending, writes a 4-star review
and sees it on the order; the item's page then shows it with the average. At 1280 px the manager
hides it on /merchant/orders/reviews, and the item's page says "No reviews yet."."""

from __future__ import annotations

import re
import secrets
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.browser import accessible, looks_right, sign_in_buyer, sign_in_merchant, verify_at_counter, watched_page
from tests.browser import browser, server  # noqa: F401  fixtures of the browser tests
from tests.conftest import http_json

pytestmark = pytest.mark.live

PHONE = "13500135301"  # no other test signs in with it (codes are limited per phone)
ITEM = "Oolong tea"
WORDS = "Fragrant, and it keeps its taste\nthrough a third brew."
SHOTS = Path("/tmp/reviews_shots")


def seen(page, problems: list[str], *texts: str, name: str) -> None:
    """What a person sees (tests.browser.looks_right, axe), and a screenshot to look at in SHOTS."""
    looks_right(page, problems, *texts, name=name)
    accessible(page, name)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _a_completed_pickup_order(buyer, server) -> str:  # noqa: F811
    """The shopper buys the item for pickup and pays; the counter verifies its code; the order's URL."""
    buyer.goto(server.url + "/s/demo/")
    buyer.click(f"text={ITEM}")
    buyer.wait_for_selector("[data-buy]")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, PHONE)
    buyer.wait_for_selector("input[name=fulfillment]")
    buyer.check("input[name=fulfillment][value=pickup]")
    buyer.wait_for_selector("[data-total]")
    buyer.click("[data-place-order]")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-code]")
    code = buyer.inner_text("[data-code]").replace(" ", "")
    counter = buyer.context.browser.new_page()
    sign_in_merchant(counter, server)
    verify_at_counter(counter, server, code)
    counter.close()
    return buyer.url.split("?")[0]


def test_a_shopper_reviews_a_line_the_item_shows_it_and_the_manager_hides_it(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    buyer, problems = watched_page(browser, 375)
    order_url = _a_completed_pickup_order(buyer, server)
    buyer.goto(order_url)
    buyer.wait_for_selector("[data-status=completed]")
    reviews = buyer.locator("[data-reviews]")
    expect(reviews).to_contain_text(ITEM)
    expect(reviews.locator("[data-review]")).to_have_count(0)
    seen(buyer, problems, "Reviews", "Write a review", name="reviews-1-order-completed")

    reviews.locator("[data-write-review]").click()
    form = reviews.locator("[data-review-form]")
    expect(form.get_by_role("radio")).to_have_count(5)
    for n, label in enumerate(("1 star", "2 stars", "3 stars", "4 stars", "5 stars"), start=1):
        expect(form.get_by_role("radio", name=label, exact=True)).to_have_attribute("value", str(n))
    expect(reviews.locator("[data-write-review]")).to_be_hidden()
    form.locator("[data-review-words]").fill(WORDS)
    form.locator("[data-submit-review]").click()  # no stars yet: it says so and sends nothing
    expect(form.locator("[data-message]")).to_have_text("Choose from 1 to 5 stars.")
    seen(buyer, problems, "Your rating", "Choose from 1 to 5 stars.", name="reviews-2-form-no-stars")
    form.get_by_label("4 stars", exact=True).check()
    expect(form.locator(".t-rate__star.is-on")).to_have_count(4)
    expect(form.locator("[data-message]")).to_have_count(0)  # chosen: the reminder goes
    seen(buyer, problems, "Your rating", name="reviews-2-form")

    elsewhere = browser.new_context(viewport={"width": 375, "height": 812}, storage_state=buyer.context.storage_state())
    other_tab = elsewhere.new_page()  # the same shopper's order open in another tab, its form open too
    other_tab.goto(order_url)
    other_tab.click("[data-write-review]")
    form.locator("[data-submit-review]").click()
    given = reviews.locator("[data-review]")
    expect(given).to_have_count(1)
    expect(form).to_have_count(0)
    expect(given.get_by_role("img")).to_have_attribute("aria-label", "4 stars")
    expect(given.locator(".t-review__words")).to_have_text(WORDS)
    expect(reviews.locator("[data-write-review]")).to_have_count(0)
    expect(reviews.locator("[data-message]")).to_have_text("Thank you for your review.")
    seen(buyer, problems, "Thank you for your review.", "through a third brew.", name="reviews-3-order-reviewed")
    other_tab.get_by_label("2 stars", exact=True).check()  # sent after the first tab's: refused, and it shows that one
    other_tab.click("[data-submit-review]")
    expect(other_tab.locator("[data-reviews] [data-message]")).to_have_text("You have reviewed this already.")
    expect(other_tab.locator("[data-reviews] [data-review] [role=img]")).to_have_attribute("aria-label", "4 stars")
    expect(other_tab.locator("[data-review-form], [data-write-review]")).to_have_count(0)
    other_tab.screenshot(path=str(SHOTS / "reviews-3-order-reviewed-elsewhere.png"), full_page=True)
    elsewhere.close()
    buyer.reload()  # the next visit: the review, no button
    buyer.wait_for_selector("[data-reviews] [data-review]")
    expect(reviews.locator("[data-write-review]")).to_have_count(0)
    expect(reviews.locator("[data-review] .t-review__words")).to_have_text(WORDS)

    buyer.goto(server.url + "/s/demo/")
    buyer.click(f"text={ITEM}")
    block = buyer.locator("[data-reviews]")
    expect(block.locator("[data-review]")).to_have_count(1)
    expect(block.locator("[data-average]")).to_have_text("4.0")
    expect(block.locator("[data-rating]")).to_contain_text("· 1 review")
    expect(block.locator("[data-rating] [role=img]")).to_have_attribute("aria-label", "4.0 out of 5 stars")
    entry = block.locator("[data-review]")
    expect(entry.get_by_role("img")).to_have_attribute("aria-label", "4 stars")
    expect(entry.locator(".t-reviews__words")).to_have_text(WORDS)
    expect(entry.locator(".t-reviews__author")).to_have_text(re.compile(r"^\S+\*+\S*$"))  # masked, never the phone
    assert PHONE not in block.inner_text()
    expect(block.locator("[data-reviews-more]")).to_be_hidden()  # one page holds it all
    seen(buyer, problems, "4.0", "1 review", "through a third brew.", name="reviews-4-item-page")
    buyer.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # as the shopper sees it, scrolled down:
    buyer.screenshot(path=str(SHOTS / "reviews-4-item-page-scrolled.png"))  # the full page's bars cover it there

    manager, office_problems = watched_page(browser, 1280)
    sign_in_merchant(manager, server)
    manager.goto(server.url + "/merchant/")
    manager.click(".console-nav >> text=Reviews")
    manager.wait_for_url(re.compile(r"/merchant/orders/reviews$"))
    row = manager.locator("#reviews tbody tr[data-review]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-cell=item]")).to_have_text(ITEM)
    expect(row.locator("[data-cell=rating] [role=img]")).to_have_attribute("aria-label", "4 stars")
    expect(row.locator("[data-cell=status]")).to_have_text("Shown")
    number = row.locator("[data-cell=order] a").inner_text()
    assert re.fullmatch(r"\d{11}", number)
    seen(manager, office_problems, ITEM, "Shown", name="reviews-5-back-office")
    row.get_by_role("button", name=re.compile(r"\bHide the review of Oolong tea")).click()
    manager.wait_for_selector("text=Review hidden: the item page no longer shows it.")
    expect(row.locator("[data-cell=status]")).to_have_text("Hidden")
    seen(manager, office_problems, "Review hidden: the item page no longer shows it.", "Show",
         name="reviews-6-back-office-hidden")
    manager.click(".card-header-tabs >> text=Hidden")
    expect(manager.locator("#reviews tbody tr[data-review]")).to_have_count(1)
    manager.click(".card-header-tabs >> text=Shown")
    expect(manager.locator("#reviews tbody tr[data-review]")).to_have_count(0)
    seen(manager, office_problems, "Nothing here.", name="reviews-7-back-office-shown-none")

    buyer.reload()
    expect(block.locator("[data-rating]")).to_have_text("No reviews yet.")
    expect(block.locator("[data-review]")).to_have_count(0)
    seen(buyer, problems, "No reviews yet.", name="reviews-8-item-page-none")
    assert problems == [] and office_problems == []


def _reviewed_by_someone(server, counter, name: str, item: dict, store: str, ratings: tuple[int, ...]) -> None:  # noqa: F811
    """A new customer (`name`) buys one of each of the item's SKUs for pickup through the API, pays in
    the sandbox, the counter verifies the code, and they review each line with `ratings`."""
    shop = {"X-Tenant": server.logins["tenant"]}
    status, made = http_json("POST", f"{server.url}/api/v1/auth/register", {
        "email": f"{name.lower()}.{secrets.token_hex(3)}@example.com", "password": "password123", "name": name}, shop)
    assert status == 201, made
    signed = {**shop, "Authorization": f"Bearer {made['token']}"}
    status, placed = http_json("POST", f"{server.url}/api/v1/checkout", {
        "lines": [{"sku_id": sku["id"]} for sku in item["skus"]], "fulfillment": {"type": "pickup", "store_id": store}},
        signed)
    assert status == 201, placed
    order = placed["order"]
    status, started = http_json("POST", f"{server.url}/api/v1/orders/{order['id']}/payments", {"provider": "sandbox"},
                                signed)
    assert status == 201, started
    paying = urllib.request.Request(urllib.parse.urljoin(server.url, started["next_action"]["url"]), method="POST",
                                    data=urllib.parse.urlencode({"outcome": "succeeded"}).encode())
    urllib.request.urlopen(paying, timeout=60).close()
    status, paid = http_json("GET", f"{server.url}/api/v1/orders/{order['id']}", None, signed)
    verify_at_counter(counter, server, paid["order"]["verification_code"])
    for line, rating in zip(order["lines"], ratings, strict=True):
        status, answer = http_json("POST", f"{server.url}/api/v1/orders/{order['id']}/reviews",
                                   {"line_id": line["id"], "rating": rating, "body": f"{name}: {line['name']} {rating}"},
                                   signed)
        assert status == 201, answer


def test_the_item_page_shows_the_newest_reviews_and_loads_more(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    status, found = http_json("GET", f"{server.url}/api/v1/items?q=Tea%20cup", None, {"X-Tenant": server.logins["tenant"]})
    (cup,) = found["items"]
    assert len(cup["skus"]) == 2, cup  # White and Celadon: two lines an order
    status, stores = http_json("GET", f"{server.url}/api/v1/stores", None, {"X-Tenant": server.logins["tenant"]})
    counter = browser.new_page()
    sign_in_merchant(counter, server)
    for name, ratings in (("Ann", (5, 4)), ("Bo", (3, 5)), ("Cai", (4, 5))):  # 26 stars in 6 reviews: 4.3
        _reviewed_by_someone(server, counter, name, cup, stores["stores"][0]["id"], ratings)
    counter.close()

    visitor, problems = watched_page(browser, 375)  # not signed in: reviews are public
    visitor.goto(server.url + "/s/demo/")
    visitor.click("text=Tea cup")
    block = visitor.locator("[data-reviews]")
    entries = block.locator("[data-review]")
    expect(entries).to_have_count(5)
    expect(block.locator("[data-average]")).to_have_text("4.3")
    expect(block.locator("[data-rating]")).to_contain_text("· 6 reviews")
    expect(entries.first.locator(".t-reviews__author")).to_have_text("C***")  # the newest first
    expect(entries.first.get_by_role("img")).to_have_attribute("aria-label", "5 stars")
    more = block.locator("[data-reviews-more]")
    expect(more).to_be_visible()
    seen(visitor, problems, "4.3", "6 reviews", "Load more", name="reviews-9-item-page-five")
    more.click()
    expect(entries).to_have_count(6)
    expect(entries.last.locator(".t-reviews__author")).to_have_text("A***")  # the oldest last
    expect(entries.last.get_by_role("img")).to_have_attribute("aria-label", "5 stars")
    expect(more).to_be_hidden()
    visitor.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    visitor.screenshot(path=str(SHOTS / "reviews-10-item-page-all-scrolled.png"))
    seen(visitor, problems, "Ann: Tea cup", name="reviews-10-item-page-all")
    assert problems == []

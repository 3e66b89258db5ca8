"""The merchant's dashboard in a real browser against `tessera run`'s demo shop: after two paid
orders the owner sees today's figures, the sales chart drawn (Chart.js under the back office's
strict CSP) and the top items, and switches the chart to 30 days."""

from __future__ import annotations

import pytest

from tests.browser import looks_right, shot, sign_in_merchant, watched_page
from tests.conftest import http_json

pytestmark = pytest.mark.live


def buy_and_pay(server, browser, token: str, quantity: int) -> dict:
    """A pickup order of Oolong tea placed over the API and paid on the sandbox's pay page."""
    shop = {"X-Tenant": server.logins["tenant"]}
    _, items = http_json("GET", f"{server.url}/api/v1/items", headers=shop)
    sku = next(item for item in items["items"] if item["name"] == "Oolong tea")["skus"][0]["id"]
    _, stores = http_json("GET", f"{server.url}/api/v1/stores", headers=shop)
    status, placed = http_json("POST", f"{server.url}/api/v1/checkout/pay", {
        "lines": [{"sku_id": sku, "quantity": quantity}], "provider": "sandbox",
        "fulfillment": {"type": "pickup", "store_id": stores["stores"][0]["id"]}},
        {"Authorization": f"Bearer {token}"})
    assert status == 201, placed
    pay = browser.new_page()
    pay.goto(server.url + placed["next_action"]["url"].removeprefix(server.url))
    pay.click("button[value=succeeded]")
    pay.wait_for_load_state()
    pay.close()
    return placed["order"]


def test_the_owner_sees_todays_sales_the_chart_and_the_top_items(server, browser):
    shop = {"X-Tenant": server.logins["tenant"]}
    phone = "13900000092"
    _, sent = http_json("POST", f"{server.url}/api/v1/auth/code", {"phone": phone}, shop)
    _, signed = http_json("POST", f"{server.url}/api/v1/auth/code/verify",
                          {"phone": phone, "code": sent["sandbox_code"]}, shop)
    for quantity in (1, 2):  # 68.00 and 136.00
        buy_and_pay(server, browser, signed["token"], quantity)

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/")
    page.wait_for_selector("canvas[data-chart][data-drawn=true]")
    looks_right(page, problems, "Sales today", "¥204.00", "Orders today", "Codes to verify", "Top items",
                "Oolong tea", "3 sold", name="dashboard-owner")
    figures = page.locator("#figures [data-figure]").all_inner_texts()
    assert figures[:3] == ["¥204.00", "2", "0"]  # sales and orders today, nothing to ship
    assert figures[3] == "2"  # two pickup codes to verify
    painted = page.evaluate("""() => {
        const canvas = document.querySelector('canvas[data-chart]');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let seen = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) seen++;
        return {seen, width: canvas.clientWidth, height: canvas.clientHeight,
                bars: Chart.getChart(canvas).data.datasets[0].data.length};
    }""")
    assert painted["width"] > 400 and painted["height"] > 150 and painted["seen"] > 1000, painted
    assert painted["bars"] == 7

    page.click("[data-period='30']")
    assert page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart]')).data.labels.length") == 30
    assert page.locator("[data-period-panel='30'] [data-period-total]").is_visible()
    assert not page.locator("[data-period-panel='7'] [data-period-total]").is_visible()
    shot(page, "dashboard-owner-30-days")

    page.click("#figures a:has-text('¥204.00')")  # the figure opens the orders it counts
    page.wait_for_selector("#orders")
    assert page.locator("#orders tbody tr").count() == 2
    assert page.is_checked("input[name=paid]")  # the list's form shows the filter the figure set
    looks_right(page, problems, "Paid orders", "Code to verify", name="dashboard-orders-today")
    page.close()

    phone, problems = watched_page(browser, 390)  # the back office on a phone: the cards stack
    sign_in_merchant(phone, server)
    phone.goto(server.url + "/merchant/")
    phone.wait_for_selector("canvas[data-chart][data-drawn=true]")
    looks_right(phone, problems, "Sales today", "¥204.00", "Oolong tea", name="dashboard-owner-phone")
    phone.close()

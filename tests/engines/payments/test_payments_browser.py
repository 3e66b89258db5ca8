"""How a merchant sets up payments and what a buyer sees when a shop cannot take them, in a real
browser against `tessera run` (the back office at 1280 px, the storefront at 375 px)."""

from __future__ import annotations

from tests.browser import looks_right, sign_in_buyer, sign_in_merchant, watched_page


def test_the_owner_turns_the_sandbox_off_and_the_buyer_is_told_the_shop_takes_no_orders(server, browser):
    office, office_problems = watched_page(browser, 1280)
    sign_in_merchant(office, server)
    office.goto(server.url + "/merchant/payments/")
    looks_right(office, office_problems, "Stripe", "Webhook address", "Sandbox", "Offered at checkout",
                name="payments-back-office")
    office.click("#sandbox-card button")
    office.wait_for_selector("#no-payments")
    looks_right(office, office_problems, "Sandbox payments are off.", "Your shop cannot take paid orders yet",
                name="payments-back-office-none")

    buyer, buyer_problems = watched_page(browser, 375)
    buyer.goto(server.url + f"/s/{server.logins['tenant']}/")
    buyer.click("text=Oolong tea")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, "13900000077")
    buyer.wait_for_selector("[data-no-payments]")
    looks_right(buyer, buyer_problems, "This shop is not taking orders yet", name="checkout-no-payments")
    assert buyer.locator("[data-place-order]").count() == 0

    office.click("#sandbox-card button")  # back on, for the other tests of this server
    office.wait_for_selector("text=Sandbox payments are on")
    office.close()
    buyer.close()


def _buy(server, phone: str) -> dict:
    """A paid order of the demo shop, bought over its API as a native client would."""
    from tests.conftest import http_json

    shop = {"X-Tenant": server.logins["tenant"]}
    _, sent = http_json("POST", f"{server.url}/api/v1/auth/code", {"phone": phone}, shop)
    _, signed = http_json("POST", f"{server.url}/api/v1/auth/code/verify", {"phone": phone,
                                                                           "code": sent["sandbox_code"]}, shop)
    buyer = {"Authorization": f"Bearer {signed['token']}"}
    _, items = http_json("GET", f"{server.url}/api/v1/items", headers=shop)
    sku = next(item for item in items["items"] if item["name"] == "Oolong tea")["skus"][0]["id"]
    _, stores = http_json("GET", f"{server.url}/api/v1/stores", headers=shop)
    status, placed = http_json("POST", f"{server.url}/api/v1/checkout/pay", {
        "lines": [{"sku_id": sku, "quantity": 1}], "provider": "sandbox",
        "fulfillment": {"type": "pickup", "store_id": stores["stores"][0]["id"]}}, buyer)
    assert status == 201, placed
    return placed["order"]


def test_staff_find_an_order_that_needs_attention_and_mark_it_handled(server, browser):
    import sqlite3

    order = _buy(server, "13900000078")
    with sqlite3.connect(server.instance / "tessera.db") as database:  # as a refund the provider refused leaves it
        database.execute("UPDATE orders SET attention = ?, attention_at = ? WHERE id = ?",
                         ("Refund of ¥68.00 failed: the payment provider refused it. Refund the buyer another way, "
                          "or ask for help.", "2026-11-30 08:00:00.000000+00:00", int(order["id"])))
    office, problems = watched_page(browser, 1280)
    sign_in_merchant(office, server)
    office.goto(server.url + "/merchant/orders/")
    office.check("input[name=attention]")
    office.click("text=Filter")
    office.wait_for_selector(f"text={order['number']}")
    looks_right(office, problems, "Needs attention", order["number"], name="orders-needing-attention")
    office.click(f"text={order['number']}")
    office.wait_for_selector("#attention")
    looks_right(office, problems, "Refund of ¥68.00 failed", "Mark as handled", name="order-needing-attention")
    office.click("#attention button")
    office.wait_for_selector("text=Marked as handled.")
    assert office.locator("#attention").count() == 0
    looks_right(office, problems, "Marked as handled.", name="order-handled")
    office.close()

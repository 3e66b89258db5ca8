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

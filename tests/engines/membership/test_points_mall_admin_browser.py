"""A merchant at 1280 px opens the points mall from the navigation, reads what it is, adds the
celadon tea cup for 800 points and cash — too much cash first, told so beside the field with
nothing lost — finds it listed in words, takes it off the mall and opens it again."""

from __future__ import annotations

import pytest

from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.browser import only_the_refusal, sign_in_merchant, watched_page
from tests.engines.membership.test_automations_admin_browser import fits
from tests.engines.membership.test_membership_admin_browser import seen  # what a person sees, in SHOTS


@pytest.mark.live
def test_a_merchant_adds_an_item_to_the_points_mall(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)

    page.locator(".console-nav .nav-link-title").get_by_text("Points mall", exact=True).click()
    expect(page.locator("#points-mall-about")).to_contain_text("given back if the order is cancelled or refunded")
    page.click("text=Add an item")

    # the cash part at the cup's whole price: told beside the field, what was typed kept
    page.select_option("select[name=sku_id]", label="Tea cup — Colour: Celadon (¥29.00)")
    page.fill("input[name=points]", "800")
    page.fill("input[name=cash]", "29")
    page.fill("input[name=per_member_limit]", "1")
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="Must be less than the item's price, ¥29.00").wait_for()
    assert page.input_value("input[name=points]") == "800" and page.input_value("input[name=per_member_limit]") == "1"
    expect(page.locator("select[name=sku_id] option:checked")).to_have_text("Tea cup — Colour: Celadon (¥29.00)")
    only_the_refusal(problems)
    seen(page, problems, "Must be less than the item's price, ¥29.00", "Who may redeem it", name="points-mall-refused")
    page.fill("input[name=cash]", "9.90")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Tea cup — Colour: Celadon is in the points mall.").wait_for()

    row = page.locator("#points-mall tbody tr", has_text="Celadon")
    for text in ("Tea cup", "Colour: Celadon", "800 points + ¥9.90", "¥29.00", "Everyone", "On the mall",
                 "Take off"):
        expect(row).to_contain_text(text)
    expect(row.locator("[data-cell=stock]")).to_have_text("40")
    expect(row.locator("[data-cell=limit]")).to_have_text("1")
    expect(row.locator("[data-cell=orders]")).to_have_text("0")
    fits(page, "#points-mall")
    seen(page, problems, "800 points + ¥9.90", "Everyone", name="points-mall-list")

    # taken off the mall, and said so
    row.get_by_role("button", name="Take off").click()
    page.get_by_text("Tea cup — Colour: Celadon is off the points mall").wait_for()
    expect(page.locator("#points-mall tbody tr", has_text="Celadon")).to_contain_text("Off the mall")
    seen(page, problems, "Off the mall", "Put back", name="points-mall-off")

    # its page shows the item it offers, not a choice of another
    page.locator("#points-mall tbody tr", has_text="Celadon").get_by_role("link", name="Tea cup").click()
    expect(page.locator("#offer-item")).to_contain_text("Price ¥29.00 · 40 in stock")
    assert page.input_value("input[name=cash]") == "9.90" and not page.is_checked("input[name=active]")
    seen(page, problems, "Colour: Celadon", "Back to the points mall", name="points-mall-edit")
    assert problems == []
    page.context.close()

"""Plans as people meet them, at 1280 px: the platform admin makes a plan in the console (told
what is wrong first), opens a new shop and puts it on the plan; the shop's owner adds the one item
the plan allows, is told the next one is beyond the plan with the way to the plan page, and sees
the usage there."""

from __future__ import annotations

import pytest

from tests.browser import (accessible, looks_right, new_tenant_in_console, only_the_refusal, sign_in_console,
                           sign_in_merchant, watched_page)
from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests


@pytest.mark.live
def test_a_plan_made_in_the_console_limits_a_shop_which_sees_why(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    admin, problems = watched_page(browser, 1280)
    sign_in_console(admin, server)
    admin.locator(".console-nav .nav-link-title").get_by_text("Plans", exact=True).click()
    looks_right(admin, problems, "No plans yet", name="plans-1-none")
    admin.click("text=New plan")
    admin.fill("#name", "Starter")
    admin.fill("#slug", "Starter plan")  # not a short name
    admin.fill("#price", "49")
    admin.fill("#items", "1")
    admin.click("#plan-form button[type=submit]")
    admin.locator(".invalid-feedback").first.wait_for()
    only_the_refusal(problems)
    looks_right(admin, problems, "Lowercase letters", "Limits", name="plans-2-refused")
    accessible(admin, "plans-2-refused")
    admin.fill("#slug", "starter")
    admin.click("#plan-form button[type=submit]")
    admin.get_by_text("Plan Starter saved.").wait_for()
    expect(admin.locator("#plans tr[data-plan=starter]")).to_contain_text("¥49.00")
    looks_right(admin, problems, "Starter", "No limit", name="plans-3-list")

    admin.locator(".console-nav .nav-link-title").get_by_text("Tenants", exact=True).click()
    new_tenant_in_console(admin, "Plan Shop", "plan-shop", "plans@example.com", "plan-password")
    admin.click("text=Skip")
    admin.wait_for_url("**/console/tenants/*")
    admin.select_option("#plan select[name=plan_id]", label="Starter")
    admin.click("[data-change-plan]")
    admin.get_by_text("Plan Shop is now on Starter.").wait_for()
    expect(admin.locator("#usage tr[data-limit=items]")).to_contain_text("0 / 1")
    looks_right(admin, problems, "Plan and usage", "Starter", name="plans-4-tenant")

    owner, owner_problems = watched_page(browser, 1280)
    sign_in_merchant(owner, server, "plans@example.com", "plan-password")
    for name in ("Green tea", "Black tea"):
        owner.goto(server.url + "/merchant/catalog/new")
        owner.fill("input[name=name]", name)
        owner.fill("input[name=price]", "12.00")
        owner.click("button[type=submit]:has-text('Save')")
        owner.wait_for_load_state()
    refusal = owner.locator("[data-plan-limit]")
    expect(refusal).to_contain_text("Items: the Starter plan allows 1.")
    only_the_refusal(owner_problems)
    looks_right(owner, owner_problems, "See your plan", name="plans-5-refused")
    refusal.get_by_role("link", name="See your plan").click()
    expect(owner.locator("#usage [data-limit=items] [data-used]")).to_have_text("1 / 1")
    looks_right(owner, owner_problems, "Your plan: Starter", "Full.", name="plans-6-usage")
    accessible(owner, "plans-6-usage")

    # the same page in Simplified Chinese
    chinese, chinese_problems = watched_page(browser, 1280, locale="zh-CN")
    sign_in_merchant(chinese, server, "plans@example.com", "plan-password")
    chinese.goto(server.url + "/merchant/plan")
    looks_right(chinese, chinese_problems, "套餐与用量", "您的套餐：Starter", "已满。", name="plans-7-usage-zh")

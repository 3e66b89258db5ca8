"""A merchant at 1280 px makes a member tier as they would say it (5 % off, points ×1.5) — told
what is wrong first — finds a customer by email, gives them points with a reason, is refused
taking more than they have, and sees the new balance and the ledger's line saying who and why."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.browser import accessible, looks_right, only_the_refusal, sign_in_merchant, watched_page
from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests

SHOTS = Path("/tmp/membership_shots")


def seen(page, problems: list[str], *texts: str, name: str) -> None:
    """What a person sees (tests.browser.looks_right, axe), and a screenshot to look at in SHOTS."""
    looks_right(page, problems, *texts, name=name)
    accessible(page, name)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def a_customer_with_points(running) -> str:
    """A customer of the demo shop who signed in once for points (a member since); their email."""
    from tests.conftest import http_json

    email = f"li.{secrets.token_hex(3)}@example.com"
    shop = {"X-Tenant": running.logins["tenant"]}
    status, made = http_json("POST", f"{running.url}/api/v1/auth/register",
                             {"email": email, "password": "password123", "name": "Li Lei"}, shop)
    assert status == 201, made
    signed = {**shop, "Authorization": f"Bearer {made['token']}"}
    status, answer = http_json("POST", f"{running.url}/api/v1/me/sign-in", None, signed)
    assert status == 201, answer
    assert answer["member"]["points"]["available"] == 5, answer
    return email


@pytest.mark.live
def test_a_merchant_makes_a_tier_and_gives_a_member_points_with_a_reason(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    email = a_customer_with_points(server)
    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)

    # a tier, reached from the navigation, typed as a person says it
    page.locator(".console-nav .nav-link-title").get_by_text("Member tiers", exact=True).click()
    page.click("text=New tier")
    page.fill("input[name=name]", "Gold")
    page.fill("input[name=threshold]", "1,000")
    page.fill("input[name=discount]", "95")
    page.fill("input[name=multiplier]", "1.5")
    page.fill("input[name=birthday_points]", "100")
    page.check("input[name=free_shipping]")
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="A percentage from 0 to 90, e.g. 5 or 7.5.").wait_for()
    assert page.input_value("input[name=multiplier]") == "1.5"
    only_the_refusal(problems)
    seen(page, problems, "A percentage from 0 to 90", "What its members get", name="membership-tier-refused")
    page.fill("input[name=discount]", "5")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Tier Gold saved.").wait_for()
    row = page.locator("#tiers tbody tr", has_text="Gold")
    expect(row).to_contain_text("1,000")
    expect(row).to_contain_text("5% off")
    expect(row).to_contain_text("×1.5")
    seen(page, problems, "Tiers never go down", name="membership-tiers")

    # the customer, found by email among the members
    page.locator(".console-nav .nav-link-title").get_by_text("Members", exact=True).click()
    expect(page.locator("#members tbody tr", has_text=email)).to_be_visible()
    seen(page, problems, email, name="membership-members")
    page.fill("input[name=q]", email.upper())
    page.click("#member-filters button[type=submit]")
    expect(page.locator("#points-available")).to_have_text("5")
    expect(page.locator("#next-tier")).to_contain_text("Gold at 1,000 growth: 1,000 more")

    # taking more than they have is refused, and nothing moves
    page.fill("input[name=points_amount]", "-50")
    page.fill("input[name=points_reason]", "Returned the mug")
    page.click("#adjust-points button[type=submit]")
    page.locator(".invalid-feedback", has_text="The member has 5 points available").wait_for()
    expect(page.locator("#points-available")).to_have_text("5")
    only_the_refusal(problems)
    seen(page, problems, "take at most that many", name="membership-member-refused")

    # given with a reason: the new balance, and the ledger's line says who and why
    page.fill("input[name=points_amount]", "120")
    page.fill("input[name=points_reason]", "Sorry for the late delivery")
    page.click("#adjust-points button[type=submit]")
    page.get_by_text("Points adjusted: 125 available now.").wait_for()
    expect(page.locator("#points-available")).to_have_text("125")
    line = page.locator("#points-ledger tbody tr").first
    for text in ("Adjusted by staff", "+120", "125", "Sorry for the late delivery", server.logins["owner"]["email"]):
        expect(line).to_contain_text(text)
    expect(page.locator("#points-ledger tbody tr").nth(1)).to_contain_text("Sign-in")
    seen(page, problems, "Points ledger", "Sorry for the late delivery", name="membership-member")
    assert problems == []
    page.context.close()


@pytest.mark.live
def test_a_merchant_tags_a_member_and_sends_a_coupon_to_a_segment(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    email = a_customer_with_points(server)
    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(f"{server.url}/merchant/membership/members?q={email}")
    page.fill("input[name=tags]", "tea lover, vip")
    page.click("#member-tags button[type=submit]")
    page.get_by_text("Tags saved.").wait_for()
    expect(page.locator("#tag-badges")).to_contain_text("tea lover")
    seen(page, problems, "Tags saved.", name="segments-member-tags")

    page.goto(f"{server.url}/merchant/membership/members")
    page.fill("input[name=tag]", "tea lover")
    page.press("input[name=tag]", "Enter")
    expect(page.locator("#members tbody tr")).to_have_count(1)
    expect(page.locator("#members tbody tr").first).to_contain_text(email)
    page.fill("input[name=segment_name]", "Tea lovers")
    page.click("#save-segment button[type=submit]")
    page.get_by_text("Segment Tea lovers saved.").wait_for()
    seen(page, problems, "Send a coupon to this segment", name="segments-applied")
    # one of the shop's active coupons, to everyone the segment keeps (the demo shop may have none)
    if page.locator("select[name=coupon_id] option").count():
        page.click("#send-coupon button[type=submit]")
        page.get_by_text("Sent to 1, 0 refused.").wait_for()
        seen(page, problems, "Sent to 1", name="segments-sent")
    else:
        expect(page.locator("#send-coupon")).to_contain_text("The shop has no active coupon to send.")
    assert problems == []
    page.context.close()

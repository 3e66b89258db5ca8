"""A merchant at 1280 px makes a "Welcome" automation — a new customer gets 50 points and a
message, never between 22:00 and 08:00 — sees only the fields its trigger uses, is told what is
wrong first, finds it in the list in words, and opens its log when a customer registers: the
customer, the occasion, and what it gave (or until when it waits); then pauses it."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.browser import only_the_refusal, sign_in_merchant, watched_page
from tests.engines.membership.test_membership_admin_browser import seen  # what a person sees, in SHOTS


def fits(page, table: str) -> None:
    """Every column of the table shows: its box does not scroll sideways at this width."""
    assert page.evaluate(f"(t => t.parentElement.scrollWidth <= t.parentElement.clientWidth)"
                         f"(document.querySelector('{table}'))"), f"{table} scrolls sideways"


def a_customer_registers(running) -> str:
    """A customer registers at the demo shop (through the consumer API); their email."""
    from tests.conftest import http_json

    email = f"li.{secrets.token_hex(3)}@example.com"
    status, made = http_json("POST", f"{running.url}/api/v1/auth/register",
                             {"email": email, "password": "password123", "name": "Li Lei"},
                             {"X-Tenant": running.logins["tenant"]})
    assert status == 201, made
    return email


@pytest.mark.live
def test_a_merchant_makes_a_welcome_automation_and_reads_its_log(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)

    # reached from the navigation; nothing yet
    page.locator(".console-nav .nav-link-title").get_by_text("Automations", exact=True).click()
    expect(page.locator("#automations")).to_contain_text("No automations yet")
    page.click("text=New automation")

    # only the fields the trigger uses show
    days, tier = page.locator("input[name=days]"), page.locator("select[name=tier_id]")
    expect(days).to_be_hidden()
    expect(tier).to_be_hidden()
    page.select_option("select[name=trigger]", "dormant")
    expect(days).to_be_visible()
    expect(tier).to_be_hidden()
    page.select_option("select[name=trigger]", "tier_change")
    expect(tier).to_be_visible()
    expect(days).to_be_hidden()
    page.select_option("select[name=trigger]", "registration")
    expect(tier).to_be_hidden()

    # typed as a person would, with quiet hours half given: told what is wrong, nothing lost
    page.fill("input[name=name]", "Welcome")
    page.fill("input[name=points]", "50")
    page.fill("input[name=message_title]", "Welcome!")
    page.fill("textarea[name=message_body]", "Here are 50 points for your first order.")
    page.select_option("select[name=quiet_start]", "22")
    page.click("button[type=submit]:has-text('Save')")
    page.locator(".invalid-feedback", has_text="Quiet hours are two different hours").wait_for()
    assert page.input_value("input[name=points]") == "50"
    assert page.input_value("select[name=quiet_start]") == "22"
    expect(page.locator("input[name=days]")).to_be_hidden()  # the script runs on the refused form too
    only_the_refusal(problems)
    seen(page, problems, "Quiet hours are two different hours", "What it gives", name="automation-refused")
    page.select_option("select[name=quiet_end]", "8")
    page.click("button[type=submit]:has-text('Save')")
    page.get_by_text("Automation Welcome saved.").wait_for()
    expect(page.locator("#runs")).to_contain_text("Nothing yet")
    seen(page, problems, "When a customer registers", "22:00–08:00", name="automation-new-log")

    # a customer registers: the list counts the run, in words
    email = a_customer_registers(server)
    page.locator(".console-nav .nav-link-title").get_by_text("Automations", exact=True).click()
    row = page.locator("#automations tbody tr", has_text="Welcome")
    for text in ("When a customer registers", "50 points", "Message: Welcome!", "22:00–08:00", "1 time per 30 days",
                 "Active"):
        expect(row).to_contain_text(text)
    expect(row.locator("[data-cell=done]")).to_have_text(re.compile(r"^[01]$"))
    fits(page, "#automations")
    seen(page, problems, "When a customer registers", name="automation-list")

    # its log: who, on what occasion, and what it gave — or, in quiet hours, until when it waits
    row.get_by_role("link", name="Welcome").click()
    run = page.locator("#runs tbody tr").first
    expect(run).to_contain_text("Li Lei")
    expect(run).to_contain_text(email)
    expect(run).to_contain_text("Registered")
    expect(run.locator("[data-cell=status]")).to_have_text(
        re.compile(r"^\s*(Done|Waiting\s*until \d{4}-\d\d-\d\d 08:00)\s*$"))
    if "Done" in run.locator("[data-cell=status]").inner_text():
        expect(run.locator("[data-cell=outcome]")).to_have_text("Gave 50 points, a message.")
    fits(page, "#runs")
    seen(page, problems, "Log", "Li Lei", "Registered", name="automation-log")
    run.get_by_role("link", name="Li Lei").click()
    expect(page.locator("#member-card")).to_be_visible()
    page.go_back()

    # paused from its page: the badge says so, and it can be resumed
    page.click("#automation-status button:has-text('Pause')")
    page.get_by_text("Automation paused").wait_for()
    expect(page.locator("#automation-state")).to_have_text("Paused")
    expect(page.locator("#automation-status button:has-text('Resume')")).to_be_visible()
    seen(page, problems, "Automation paused", name="automation-paused")
    assert problems == []
    page.context.close()

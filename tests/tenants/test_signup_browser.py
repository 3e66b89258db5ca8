"""A merchant alone, from the platform's front page to a published shop, as they see it: the
front page and the form at 375 px and 1280 px, the form's refusals, the address checked as it is
typed, the designer with the template's demo items and the banner asking to confirm the e-mail,
publishing refused until the mailed link is followed, then published and seen by a customer on a
phone — all in under five minutes of clicks."""

from __future__ import annotations

import email
import email.policy
import re
import time
import zipfile

import pytest

from tests.browser import accessible, looks_right, new_tenant_in_console, only_the_refusal, sign_in_console, watched_page
from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.builder.test_designer_browser import status, until


def mailed_link(running, address: str) -> str:
    for path in sorted((running.instance / "mail").glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            return re.search(r"(http://\S+/signup/confirm/\S+)", message.get_content()).group(1)
    raise AssertionError(f"no mail to {address}")


@pytest.mark.live
def test_the_front_page_and_the_form_on_a_phone(server, browser):  # noqa: F811
    page, problems = watched_page(browser, 375)
    page.goto(server.url + "/")
    looks_right(page, problems, "Your shop as a mini-program", "Start your free trial", name="signup-1-front-375")
    page.click("[data-start]")
    page.wait_for_url("**/signup")
    looks_right(page, problems, "Open your shop", "Start from", name="signup-2-form-375")
    accessible(page, "signup-2-form-375")
    page.context.close()


@pytest.mark.live
def test_a_merchant_signs_up_designs_confirms_and_publishes_in_minutes(server, browser):  # noqa: F811
    started = time.monotonic()
    page, problems = watched_page(browser, 1280)
    page.goto(server.url + "/")
    looks_right(page, problems, "Start from a template", name="signup-3-front-1280")
    page.click("[data-starter=homestay]")
    page.wait_for_url("**/signup?template=homestay")
    assert page.locator("input[name=template][value=homestay]").is_checked()

    page.fill("input[name=shop_name]", "Lakeside Rooms")
    page.locator("[data-slug-check]").get_by_text("This address is free.", exact=False).wait_for()
    assert page.input_value("input[name=slug]") == "lakeside-rooms"
    page.fill("input[name=slug]", "s")  # too short, said as it is typed
    page.locator("[data-slug-check].text-danger").wait_for()
    page.fill("input[name=slug]", "lakeside-rooms")
    page.fill("input[name=email]", "lake@rooms.example")
    page.fill("input[name=password]", "password1")
    page.click("[data-create]")
    page.locator(".invalid-feedback", has_text="too easy to guess").wait_for()
    only_the_refusal(problems)
    looks_right(page, problems, "too easy to guess", name="signup-4-refused-1280")

    page.fill("input[name=password]", "quiet-lake-morning-77")
    page.click("[data-create]")
    page.wait_for_url("**/merchant/designer/")
    page.locator("[data-awaiting-email]").wait_for()
    looks_right(page, problems, "Welcome!", "Confirm your e-mail", name="signup-5-designer-pending")
    page.click('[data-open="publish"]')
    page.click("[data-publish-confirm]")
    page.locator("[data-publish-warnings]", has_text="Confirm your e-mail address first").wait_for()
    only_the_refusal(problems, "403")

    page.goto(mailed_link(server, "lake@rooms.example"))
    page.click("[data-confirm-email]")
    page.wait_for_url("**/merchant/designer/")
    assert page.locator("[data-awaiting-email]").count() == 0
    page.click('[data-open="publish"]')
    page.fill("#dz-note", "Opening")
    page.click("[data-publish-confirm]")
    until(lambda: "Published version" in status(page))
    looks_right(page, problems, "your shop is open", name="signup-6-designer-published")
    page.context.close()

    phone, phone_problems = watched_page(browser, 375)
    phone.goto(server.url + "/s/lakeside-rooms/")
    looks_right(phone, phone_problems, "Our rooms", "Garden double room", name="signup-7-storefront-375")
    phone.context.close()
    assert time.monotonic() - started < 300


@pytest.mark.live
def test_support_opens_a_shops_back_office_under_a_banner_and_ends(server, browser):  # noqa: F811
    page, problems = watched_page(browser, 1280)
    sign_in_console(page, server)
    page.goto(server.url + "/console/?q=" + server.logins["tenant"])
    page.locator("tr", has_text=f"/s/{server.logins['tenant']}/").locator("td a").first.click()
    page.click("[data-support]")
    page.click("#support-form button[type=submit]")
    page.locator(".invalid-feedback", has_text="Say why").wait_for()
    only_the_refusal(problems)
    looks_right(page, problems, "What a support session does", name="support-1-reason")
    page.fill("textarea[name=reason]", "Ticket 4711: help with the coupon page")
    page.click("#support-form button[type=submit]")
    page.wait_for_url("**/merchant/")
    looks_right(page, problems, "Support session", "Ticket 4711", name="support-2-back-office")
    page.click("[data-end-support]")
    page.get_by_text("Support session ended.").wait_for()
    looks_right(page, problems, "Support session ended.", name="support-3-ended")
    with page.expect_download() as download:  # the shop's data, from the same page
        page.click("[data-export]")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "data.json" in archive.namelist() and any(name.startswith("media/") for name in archive.namelist())
    page.context.close()


@pytest.mark.live
def test_an_admin_schedules_a_shops_deletion_and_calls_it_off(server, browser):  # noqa: F811
    page, problems = watched_page(browser, 1280)
    sign_in_console(page, server)
    new_tenant_in_console(page, "Closing Shop", "closing-shop", "closing@example.com", "closing-password")
    page.click("text=Skip")
    page.click("[data-delete-shop]")
    page.fill("input[name=confirm]", "closing")
    page.fill("textarea[name=reason]", "The owner closed their account")
    page.click("[data-delete]")
    page.locator(".invalid-feedback", has_text="Type closing-shop to confirm").wait_for()
    only_the_refusal(problems)
    looks_right(page, problems, "What deleting does", name="delete-1-confirm")
    page.fill("input[name=confirm]", "closing-shop")
    page.click("[data-delete]")
    page.locator("[data-deletion-due]").wait_for()
    looks_right(page, problems, "will be deleted on", "Call off the deletion", name="delete-2-scheduled")
    page.click("[data-cancel-delete]")
    page.get_by_text("The deletion is called off").wait_for()
    assert page.locator("[data-deletion-due]").count() == 0
    page.context.close()

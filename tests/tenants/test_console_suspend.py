"""Suspending and resuming a shop in the console: never one click — a page says what it does and
asks why (suspend) or to confirm (resume), and the audit log keeps the reason. In a browser: the
admin's way through it, and the page the shop's customers then get, styled, at phone width."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.tenancy import TenantStatus
from tests.browser import browser, looks_right, new_tenant_in_console, server, sign_in_console, watched_page  # noqa: F401


def _admin(create_identity, sign_in):
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    return admin


def _audit(db_session, tenant, action):
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id,
                                                            AuditEntry.action == action)))


def test_no_page_suspends_a_shop_in_one_click(client, db_session, create_identity, sign_in, tenant_a):
    _admin(create_identity, sign_in)
    for page in ("/console/", f"/console/tenants/{tenant_a.id}"):
        html = client.get(page).get_data(as_text=True)
        # then the Suspend buttons are links to the page that asks why, not forms that post
        assert f'action="/console/tenants/{tenant_a.id}/suspend"' not in html
        assert f'href="/console/tenants/{tenant_a.id}/suspend' in html
    # and that page changes nothing by being opened
    asking = client.get(f"/console/tenants/{tenant_a.id}/suspend")
    assert asking.status_code == 200
    assert 'name="reason"' in asking.get_data(as_text=True)
    assert tenant_a.status == TenantStatus.ACTIVE


def test_suspending_without_a_reason_is_refused(client, db_session, create_identity, sign_in, form_post, tenant_a):
    _admin(create_identity, sign_in)
    page = f"/console/tenants/{tenant_a.id}/suspend"
    for reason in ("", "   "):
        response = form_post(page, {"reason": reason})
        assert response.status_code == 400
        assert "Say why the shop is suspended." in response.get_data(as_text=True)
    assert tenant_a.status == TenantStatus.ACTIVE
    assert _audit(db_session, tenant_a, "tenant.suspend") == []


def test_the_reason_is_kept_in_the_audit_log(client, db_session, create_identity, sign_in, form_post, tenant_a):
    admin = _admin(create_identity, sign_in)
    response = form_post(f"/console/tenants/{tenant_a.id}/suspend", {"reason": "  Unpaid invoice 2024-07  "})
    assert (response.status_code, response.headers["Location"]) == (302, f"/console/tenants/{tenant_a.id}")
    assert tenant_a.status == TenantStatus.SUSPENDED
    (entry,) = _audit(db_session, tenant_a, "tenant.suspend")
    assert (entry.details, entry.actor_email) == ({"reason": "Unpaid invoice 2024-07", "by": "admin"}, admin.email)
    assert "Reason: Unpaid invoice 2024-07" in client.get(f"/console/tenants/{tenant_a.id}").get_data(as_text=True)
    assert "Unpaid invoice 2024-07" in client.get("/console/audit").get_data(as_text=True)


def test_resuming_is_confirmed_too(client, db_session, create_identity, sign_in, form_post, tenant_a):
    _admin(create_identity, sign_in)
    form_post(f"/console/tenants/{tenant_a.id}/suspend", {"reason": "Checking a complaint"})
    page = f"/console/tenants/{tenant_a.id}/resume"
    # opening the page asks; it does not resume
    assert client.get(page).status_code == 200
    assert tenant_a.status == TenantStatus.SUSPENDED
    # without the form's token nothing happens either
    assert client.post(page).status_code == 400
    assert tenant_a.status == TenantStatus.SUSPENDED
    response = form_post(page, {"note": "Complaint withdrawn"})
    assert response.status_code == 302
    assert tenant_a.status == TenantStatus.ACTIVE
    (entry,) = _audit(db_session, tenant_a, "tenant.resume")
    assert entry.details == {"note": "Complaint withdrawn"}


def test_from_the_list_the_admin_returns_to_the_list(client, db_session, create_identity, sign_in, form_post, tenant_a):
    _admin(create_identity, sign_in)
    listing = client.get("/console/?q=alpha").get_data(as_text=True)
    assert f'href="/console/tenants/{tenant_a.id}/suspend?back=/console/?q%3Dalpha"' in listing
    response = form_post(f"/console/tenants/{tenant_a.id}/suspend?back=/console/%3Fq%3Dalpha",
                         {"reason": "Test", "back": "/console/?q=alpha"})
    assert response.headers["Location"] == "/console/?q=alpha"
    # a `back` that leaves the console is not followed
    form_post(f"/console/tenants/{tenant_a.id}/resume", {"back": "https://evil.example/"})
    assert tenant_a.status == TenantStatus.ACTIVE
    response = form_post(f"/console/tenants/{tenant_a.id}/suspend", {"reason": "Test", "back": "//evil.example/"})
    assert response.headers["Location"] == f"/console/tenants/{tenant_a.id}"


def test_a_hint_with_angle_brackets_shows_them(client, db_session, create_identity, sign_in):
    _admin(create_identity, sign_in)
    page = client.get("/console/tenants/new").get_data(as_text=True)
    assert "the shop lives at /s/&lt;name&gt;/." in page
    assert "/s/<name>/" not in page


@pytest.mark.live
def test_an_admin_suspends_a_shop_and_its_customers_see_why(server, browser):  # noqa: F811
    page, problems = watched_page(browser, 1280)
    sign_in_console(page, server)
    # a new shop, to suspend
    new_tenant_in_console(page, "Night Market", "night-market", "night@example.com", "night-password")
    page.goto(server.url + "/console/?q=night")
    problems.clear()

    # Suspend opens a page that says what it does and asks why
    page.locator("tr", has_text="Night Market").get_by_role("link", name="Suspend").click()
    page.wait_for_url("**/suspend?**")
    looks_right(page, problems, "What suspending does", "/s/night-market/", name="console-suspend")
    page.click("button:has-text('Suspend the shop')")  # without a reason: refused, and said why
    page.get_by_text("Say why the shop is suspended.").wait_for()
    problems.clear()  # the refusal answers 400 on purpose
    page.fill("textarea[name=reason]", "Unpaid invoice")
    page.click("button:has-text('Suspend the shop')")
    page.wait_for_url("**/console/?q=night")  # back where the admin came from
    looks_right(page, problems, "Shop suspended", "Suspended", name="console-suspended")

    # the shop's customers get a styled page that says it is closed
    phone = browser.new_page(viewport={"width": 375, "height": 812})
    refused: list[str] = []
    phone.on("console", lambda message: refused.append(message.text)
             if message.type == "error" and (message.location or {}).get("url") != phone.url else None)
    phone.on("response", lambda response: refused.append(f"HTTP {response.status}: {response.url}")
             if response.status >= 400 and not response.request.is_navigation_request() else None)
    answer = phone.goto(server.url + "/s/night-market/")
    phone.wait_for_load_state("networkidle")
    assert answer.status == 403
    assert phone.locator("[data-shop-unavailable=suspended]").is_visible()
    assert phone.locator(".card").evaluate("card => getComputedStyle(card).borderRadius") != "0px"
    looks_right(phone, refused, "This shop is closed for now", name="shop-suspended-375")
    phone.close()

    # resuming asks too, and the audit log shows the reason
    page.locator("tr", has_text="Night Market").get_by_role("link", name="Resume").click()
    page.click("button:has-text('Resume the shop')")
    page.get_by_text("Shop resumed.").wait_for()
    page.goto(server.url + "/console/audit")
    assert page.get_by_text('"reason": "Unpaid invoice"').count() == 1
    page.context.close()

"""A person's first visit, in a real browser against `tessera run`: the admin creates a shop in
the console, its owner signs in to the back office and adds a clerk."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser import new_tenant_in_console, shot

pytestmark = pytest.mark.live


def at(path):
    return lambda url: urlparse(url).path == path


def test_console_then_back_office(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(server.url + "/console/")
    page.fill("input[name=email]", server.logins["admin"]["email"])
    page.fill("input[name=password]", server.logins["admin"]["password"])
    page.click("button[type=submit]")
    page.wait_for_url(at("/console/"))
    assert page.locator("text=Demo Shop").count() == 1
    shot(page, "console-tenants")

    new_tenant_in_console(page, "Corner Cafe", "corner-cafe", "cafe@example.com", "cafe-password")  # then its template
    shot(page, "console-templates")
    page.click("[data-template=ordering] button:has-text('Use this template')")
    page.wait_for_url("**/console/tenants/*")
    assert page.locator("text=cafe@example.com").count() == 1
    shot(page, "console-tenant")

    owner = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    owner.goto(server.url + "/merchant/")
    owner.fill("input[name=email]", "cafe@example.com")
    owner.fill("input[name=password]", "cafe-password")
    owner.click("button[type=submit]")
    owner.wait_for_url(at("/merchant/"))
    assert owner.locator("text=Corner Cafe").count() >= 1
    owner.goto(server.url + "/merchant/staff")
    owner.fill("input[name=email]", "barista@example.com")
    owner.fill("input[name=password]", "barista-password")
    owner.select_option("select[name=role]", "clerk")
    owner.click("button:has-text('Add to staff')")
    owner.wait_for_url(at("/merchant/staff"))
    assert owner.locator("table >> text=barista@example.com").count() == 1
    assert owner.locator("[role=status]").inner_text() == "barista@example.com joined the staff."
    shot(owner, "merchant-staff-phone")
    assert [e for e in errors if "Content Security Policy" in e] == []
    context.close()


def test_the_demo_storefront_renders_at_phone_width(server, browser):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(server.url + "/s/demo/")
    assert page.locator("h1").inner_text() == "Demo Shop"
    assert page.locator("nav.t-tabbar a").count() == 2
    shot(page, "storefront-demo")
    assert violations == []

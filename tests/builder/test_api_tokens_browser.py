"""An owner makes an API token for an integration in the back office at 1280 px, copies its secret
(shown once), uses it on the Admin API, then revokes it — in a real browser against `tessera run`."""

from __future__ import annotations

import pytest

from tests.browser import looks_right, sign_in_merchant, watched_page
from tests.conftest import http_json

pytestmark = pytest.mark.live


def test_an_owner_creates_sees_once_and_revokes_an_api_token(server, browser):
    office, problems = watched_page(browser, 1280)
    sign_in_merchant(office, server)
    # the tokens page, from the navigation
    office.click("aside a.nav-link:has-text('API tokens')")
    office.wait_for_selector("#create-token")
    looks_right(office, problems, "API tokens", "No API tokens yet", "New token", "Manage items, prices, stock",
                name="api-tokens-empty")
    # create one for the ERP with two permissions, for 90 days
    office.fill("input[name=name]", "ERP stock sync")
    office.check("input[name=permissions][value='catalog.manage']")
    office.check("input[name=permissions][value='orders.manage']")
    office.select_option("select[name=expires]", "90")
    office.click("#create-token button[type=submit]")
    office.wait_for_selector("#new-token")
    looks_right(office, problems, "shown only this once", "ERP stock sync", "catalog.manage", name="api-tokens-created")
    token = office.input_value("#token-text")
    assert token.startswith("tst_")
    # the token works on the Admin API with what it was given
    status, me = http_json("GET", f"{server.url}/admin/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (status, me["permissions"], me["token"]["name"]) == (200, ["catalog.manage", "orders.manage"],
                                                                "ERP stock sync")
    # the secret is not shown again
    office.goto(server.url + "/merchant/api-tokens/")
    assert office.locator("#new-token").count() == 0
    assert token.split("_", 3)[3] not in office.content()
    row = office.locator("#tokens tr", has_text="ERP stock sync")
    assert "Never" not in row.inner_text() and "owner@example.com" in row.inner_text()
    assert office.evaluate("(box => box.scrollWidth <= box.clientWidth)(document.querySelector('#tokens').parentElement)")
    # revoke it: it stops at once
    row.locator("button", has_text="Revoke").click()
    office.wait_for_selector("text=it no longer works")
    looks_right(office, problems, "it no longer works", "Revoked", name="api-tokens-revoked")
    status, refused = http_json("GET", f"{server.url}/admin/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (status, refused["error"]["code"]) == (401, "invalid_token")
    office.close()

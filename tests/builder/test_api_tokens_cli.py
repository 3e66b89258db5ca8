"""`tessera api-tokens create|list|revoke`, run in-process against the test database (its commands
commit): the token is the last line of `create`, works on the Admin API, and stops when revoked."""

from __future__ import annotations

import re

import pytest

from tests.conftest import dispose_app, make_app


@pytest.fixture
def tea_house(tessera):
    created = tessera("tenants", "create", "tea-house", "--name", "Tea House", "--owner-email", "owner@tea.example",
                      "--owner-password", "password123")
    assert created.exit_code == 0, created.output


@pytest.fixture
def api(live_database, tmp_path):
    app = make_app(live_database, tmp_path)
    client = app.test_client()

    def me(token: str):
        return client.get("/admin/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    yield me
    dispose_app(app)


def _add_clerk(live_database, tmp_path, email: str) -> None:
    from core.db import db
    from core.identities import add_staff, create_identity
    from core.tenancy import find_tenant, tenant_scope

    app = make_app(live_database, tmp_path)
    with app.app_context():
        identity = create_identity(email=email, password="password123")
        with tenant_scope(find_tenant("tea-house")):
            add_staff(identity=identity, role="clerk")
        db.session.commit()
    dispose_app(app)


def test_a_token_made_on_the_command_line_works_until_revoked(tessera, tea_house, api):
    # when the operator makes a token for the owner with two permissions
    made = tessera("api-tokens", "create", "tea-house", "--email", "owner@tea.example", "--permissions",
                   "orders.manage, catalog.manage", "--name", "ERP", "--expires-days", "30")
    # then the token is the last line of the output, and it works with those permissions
    assert made.exit_code == 0, made.output
    token = made.output.splitlines()[-1]
    assert re.fullmatch(r"tst_\d+_\d+_[A-Za-z0-9_-]{43}", token)
    assert "permissions: catalog.manage, orders.manage" in made.output
    me = api(token)
    assert (me.status_code, me.json["permissions"], me.json["staff"]["email"], me.json["shop"]["slug"]) == (
        200, ["catalog.manage", "orders.manage"], "owner@tea.example", "tea-house")
    # and the list shows it without its secret
    token_id = token.split("_")[2]
    listed = tessera("api-tokens", "list", "tea-house").output
    assert listed.startswith(f"{token_id}  active   ERP  owner@tea.example (owner)  [catalog.manage, orders.manage]")
    assert token.split("_", 3)[3] not in listed
    # when it is revoked, twice
    assert tessera("api-tokens", "revoke", "tea-house", token_id).output == f"revoked API token {token_id} 'ERP'\n"
    assert tessera("api-tokens", "revoke", "tea-house", token_id).output == (
        f"API token {token_id} 'ERP' was revoked already\n")
    # then it no longer works
    assert (api(token).status_code, api(token).json["error"]["code"]) == (401, "invalid_token")
    assert tessera("api-tokens", "list", "tea-house").output.startswith(f"{token_id}  revoked  ERP")


def test_without_permissions_named_a_token_carries_the_roles(tessera, tea_house, api):
    made = tessera("api-tokens", "create", "tea-house", "--email", "owner@tea.example")
    assert made.exit_code == 0, made.output
    assert "api_tokens.manage" not in api(made.output.splitlines()[-1]).json["permissions"]
    assert {"catalog.manage", "orders.manage", "stores.manage", "staff.manage"} <= set(
        api(made.output.splitlines()[-1]).json["permissions"])


def test_refusals_are_one_line_naming_the_problem(tessera, tea_house, live_database, tmp_path):
    # given a clerk of the shop
    _add_clerk(live_database, tmp_path, "clerk@tea.example")
    for args, expected in [
        (("--email", "clerk@tea.example", "--permissions", "catalog.manage,orders.verify"),
         "The role clerk does not hold catalog.manage."),
        (("--email", "owner@tea.example", "--permissions", "api_tokens.manage"), "A token cannot carry api_tokens.manage."),
        (("--email", "owner@tea.example", "--permissions", "orders.fly"), "There is no permission orders.fly."),
        (("--email", "owner@tea.example", "--expires-days", "0"), "A token lasts 1 to 3650 days"),
        (("--email", "nobody@tea.example",), "nobody@tea.example is not on the staff of tea-house"),
    ]:
        # when a token is asked for that cannot be made
        result = tessera("api-tokens", "create", "tea-house", *args)
        # then it is a one-line refusal naming the problem, and no token was made
        assert result.exit_code == 1, args
        assert expected in result.output and "Traceback" not in result.output, result.output
    assert tessera("api-tokens", "list", "tea-house").output == "tea-house has no API tokens\n"
    assert tessera("api-tokens", "create", "no-shop", "--email", "owner@tea.example").exit_code == 1
    assert "There is no such API token." in tessera("api-tokens", "revoke", "tea-house", "123").output

"""/merchant/api-tokens: owners list, create and revoke the shop's staff API tokens. A token's
secret is shown once, in the answer to its creation; a revoked token stops working at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.identities import StaffMember
from core.staff_tokens import StaffToken, grantable_permissions
from core.tenancy import tenant_scope
from tests.admin_api import staff_token
from tests.conftest import FreshGClient, csrf_token_of

PAGE = "/merchant/api-tokens/"
TOKEN = re.compile(r'id="token-text" readonly value="(tst_[^"]+)"')


@pytest.fixture
def owner(client, create_staff, sign_in, tenant_a):
    person = create_staff(tenant_a, "owner", email="olga@shop.example.com")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    return person


def _member_id(tenant, identity) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(StaffMember.id).where(StaffMember.identity_id == identity.id))


def _tokens(tenant) -> list[tuple]:
    with tenant_scope(tenant):
        return [(t.name, t.staff_member_id, t.permissions, t.state()) for t in db.session.scalars(
            select(StaffToken).order_by(StaffToken.id).execution_options(populate_existing=True))]


def _api(client):
    """Another client for the Admin API: an integration has no back-office session."""
    client.application.test_client_class = FreshGClient
    return client.application.test_client()


def test_an_owner_creates_a_token_for_a_manager_and_sees_its_secret_once(client, db_session, tenant_a, owner,
                                                                         create_staff):
    # given a manager of the shop
    manager = create_staff(tenant_a, "manager", email="max@shop.example.com")
    member_id = _member_id(tenant_a, manager)
    # when the owner chooses the manager, the page offers the manager's permissions
    page = client.get(f"{PAGE}?member={member_id}").get_data(as_text=True)
    offered = re.findall(r'name="permissions" value="([^"]+)"', page)
    assert offered == grantable_permissions("manager")
    assert {"catalog.manage", "orders.manage", "stores.manage"} <= set(offered)
    assert "api_tokens.manage" not in offered and "staff.manage" not in offered
    # when the owner creates a token with two of them
    created = client.post(PAGE, data={"csrf_token": csrf_token_of(page), "member_id": member_id,
                                      "name": "ERP stock sync", "expires": "90",
                                      "permissions": ["catalog.manage", "orders.manage"]})
    # then the answer shows the token, kept by no cache
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    text = TOKEN.search(created.get_data(as_text=True)).group(1)
    assert _tokens(tenant_a) == [("ERP stock sync", member_id, ["catalog.manage", "orders.manage"], "active")]
    # and the token works, as the manager, with those permissions
    me = _api(client).get("/admin/api/v1/me", headers={"Authorization": f"Bearer {text}"}).json
    assert (me["staff"]["email"], me["permissions"], me["token"]["name"]) == (
        "max@shop.example.com", ["catalog.manage", "orders.manage"], "ERP stock sync")
    assert me["token"]["expires_at"]
    # and the list shows it, never again its secret
    listed = client.get(PAGE).get_data(as_text=True)
    assert "ERP stock sync" in listed and "max@shop.example.com" in listed and "orders.manage" in listed
    assert text.split("_", 3)[3] not in listed and 'id="token-text"' not in listed
    # and its creation is audited as the owner's, without the secret
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert (entry.actor_email, entry.tenant_id, entry.details["permissions"], entry.details["via"]) == (
        "olga@shop.example.com", tenant_a.id, ["catalog.manage", "orders.manage"], "back_office")
    assert text.split("_", 3)[3] not in repr(entry.details)


def test_a_permission_the_members_role_lacks_is_refused(client, db_session, tenant_a, owner, create_staff):
    # given a clerk
    clerk = create_staff(tenant_a, "clerk")
    member_id = _member_id(tenant_a, clerk)
    page = client.get(f"{PAGE}?member={member_id}").get_data(as_text=True)
    assert re.findall(r'name="permissions" value="([^"]+)"', page) == ["dashboard.view", "orders.verify", "booking.serve"]
    # when a tampered form asks for the catalog, or nothing, or no name
    for data in ({"name": "Sneaky", "permissions": ["orders.verify", "catalog.manage"]}, {"name": "Empty"},
                 {"name": "", "permissions": ["orders.verify"]}):
        refused = client.post(PAGE, data={"csrf_token": csrf_token_of(page), "member_id": member_id, **data})
        # then the page says why, and no token exists
        assert refused.status_code == 400
        assert not TOKEN.search(refused.get_data(as_text=True))
    assert "The role clerk does not hold catalog.manage." in client.post(PAGE, data={
        "csrf_token": csrf_token_of(page), "member_id": member_id, "name": "Sneaky",
        "permissions": ["catalog.manage"]}).get_data(as_text=True)
    assert _tokens(tenant_a) == []


def test_revoking_a_token_stops_it_at_once(client, db_session, tenant_a, owner):
    # given a token that works
    made = staff_token(db_session, tenant_a, role="manager")
    api = _api(client)
    assert api.get("/admin/api/v1/me", headers=made.headers).status_code == 200
    page = client.get(PAGE).get_data(as_text=True)
    # when the owner revokes it
    revoked = client.post(f"{PAGE}{made.token_id}/revoke", data={"csrf_token": csrf_token_of(page)},
                          follow_redirects=True)
    # then it is shown revoked, its next request is refused, and the revocation is audited
    assert "is revoked: it no longer works." in revoked.get_data(as_text=True)
    response = api.get("/admin/api/v1/me", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")
    assert _tokens(tenant_a)[0][3] == "revoked"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "api_token.revoke", AuditEntry.actor_email == "olga@shop.example.com")) == 1


def test_another_shops_token_cannot_be_revoked(client, db_session, tenant_a, tenant_b, owner):
    # given shop B's token
    theirs = staff_token(db_session, tenant_b)
    page = client.get(PAGE).get_data(as_text=True)
    # when shop A's owner tries to revoke it
    response = client.post(f"{PAGE}{theirs.token_id}/revoke", data={"csrf_token": csrf_token_of(page)})
    # then there is no such token here, and it still works
    assert response.status_code == 404
    assert _tokens(tenant_b)[0][3] == "active"
    assert "Test integration" not in page


def test_only_owners_manage_tokens(client, db_session, tenant_a, create_staff, sign_in):
    # given a manager signed in
    manager = create_staff(tenant_a, "manager")
    sign_in("merchant", manager.email)
    client.get("/merchant/shops")
    # then the page is forbidden and not in the navigation
    assert client.get(PAGE).status_code == 403
    assert "API tokens" not in client.get("/merchant/").get_data(as_text=True)
    assert _tokens(tenant_a) == []

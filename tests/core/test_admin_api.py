"""The Admin API's door: staff API tokens (tst_<shop>_<id>_<secret>) name their shop and carry a
subset of their staff member's permissions, checked at every request; everything else is refused
with the consumer API's error envelope. Its OpenAPI document covers every route."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.consumers import issue_token
from core.db import db, utcnow
from core.errors import CATALOGUE
from core.identities import Identity, StaffMember, change_role, remove_staff
from core.staff_tokens import StaffToken, create_token, grantable_permissions, parse_token, revoke_token
from core.tenancy import tenant_scope
from tenants.services import suspend_tenant
from tests.admin_api import staff_token


def _token_row(tenant, token_id) -> StaffToken:
    with tenant_scope(tenant):
        return db.session.scalar(select(StaffToken).where(StaffToken.id == token_id)
                                 .execution_options(populate_existing=True))


def test_a_token_names_its_shop_and_only_a_hash_of_its_secret_is_kept(db_session, tenant_a):
    # given a manager's token
    made = staff_token(db_session, tenant_a, role="manager", email="mia@staff.example.com")
    # then its text names the shop and the row, and the row holds only the secret's SHA-256
    tenant_id, token_id, secret = parse_token(made.text)
    assert re.fullmatch(r"tst_\d+_\d+_[A-Za-z0-9_-]{43}", made.text)
    assert (tenant_id, token_id) == (tenant_a.id, made.token_id)
    row = _token_row(tenant_a, token_id)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(vars(row))
    assert row.permissions == grantable_permissions("manager")


def test_me_answers_the_tokens_shop_member_and_permissions(client, db_session, tenant_a):
    # given a manager's token carrying one of the role's permissions
    made = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage"],
                       email="mia@staff.example.com")
    # when it asks who it is
    response = client.get("/admin/api/v1/me", headers=made.headers)
    # then the shop, the member and the permission are answered, and no cookie is set
    assert response.status_code == 200
    assert response.json == {
        "shop": {"id": str(tenant_a.id), "slug": "alpha-shop", "name": "Alpha Shop", "currency": "CNY",
                 "timezone": "Asia/Shanghai"},
        "staff": {"id": str(made.member_id), "email": "mia@staff.example.com", "role": "manager"},
        "token": {"id": str(made.token_id), "name": "Test integration", "expires_at": None},
        "permissions": ["catalog.manage"]}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("authorization, code", [
    (None, "unauthenticated"),
    ("Basic dXNlcjpwYXNz", "unauthenticated"),
    ("Bearer ", "invalid_token"),
    ("Bearer tst_1_2", "invalid_token"),
    ("Bearer tst_abc_2_secret", "invalid_token"),
    ("Bearer tst_99999999999999999999_2_secret", "invalid_token"),
    ("Bearer tst_12345_2_secret", "invalid_token"),  # no such shop
])
def test_requests_without_a_staff_token_are_refused(client, db_session, tenant_a, authorization, code):
    # given a request with no token, or with text that is no staff token
    headers = {"Authorization": authorization} if authorization is not None else {}
    # when it calls the Admin API
    response = client.get("/admin/api/v1/items", headers=headers)
    # then it is 401 with the error envelope
    assert (response.status_code, response.json["error"]["code"]) == (401, code)
    assert response.json["error"]["message"]


def test_a_consumers_bearer_token_is_not_a_staff_token(client, db_session, tenant_a, create_consumer):
    # given a consumer of the shop and their (valid) consumer API token
    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        text = issue_token(consumer)
        db_session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {text}"}).status_code == 200
    # when it calls the Admin API, bare or dressed as a staff token
    bare = client.get("/admin/api/v1/me", headers={"Authorization": f"Bearer {text}"})
    dressed = client.get("/admin/api/v1/me", headers={"Authorization": f"Bearer tst{text[3:]}"})
    # then both are refused
    assert (bare.status_code, bare.json["error"]["code"]) == (401, "invalid_token")
    assert (dressed.status_code, dressed.json["error"]["code"]) == (401, "invalid_token")


def test_a_wrong_secret_or_another_shops_id_is_refused(client, db_session, tenant_a, tenant_b):
    # given a token of shop A
    made = staff_token(db_session, tenant_a)
    prefix, tenant_id, token_id, secret = made.text.split("_", 3)
    # when its secret is changed, or it claims shop B
    for text in (f"tst_{tenant_id}_{token_id}_{secret[:-1]}x", f"tst_{tenant_b.id}_{token_id}_{secret}"):
        response = client.get("/admin/api/v1/me", headers={"Authorization": f"Bearer {text}"})
        # then it is refused
        assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")
    # and the real one still works
    assert client.get("/admin/api/v1/me", headers=made.headers).status_code == 200


def test_a_revoked_token_is_refused_at_once(client, db_session, tenant_a):
    # given a token that works
    made = staff_token(db_session, tenant_a)
    assert client.get("/admin/api/v1/items", headers=made.headers).status_code == 200
    # when it is revoked
    with tenant_scope(tenant_a):
        assert revoke_token(StaffToken.get(made.token_id), actor=made.identity, via="test") is True
        db_session.commit()
    # then its next request is refused
    response = client.get("/admin/api/v1/items", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")


def test_an_expired_token_is_refused(client, db_session, tenant_a):
    # given a token for one day
    made = staff_token(db_session, tenant_a, expires_in_days=1)
    assert client.get("/admin/api/v1/me", headers=made.headers).json["token"]["expires_at"]
    # when the day has passed
    with tenant_scope(tenant_a):
        StaffToken.get(made.token_id).expires_at = utcnow() - dt.timedelta(seconds=1)
        db_session.commit()
    # then it is refused
    response = client.get("/admin/api/v1/me", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")


def test_a_removed_staff_members_tokens_go_with_the_membership(client, db_session, tenant_a):
    # given a manager with a working token
    made = staff_token(db_session, tenant_a, role="manager")
    assert client.get("/admin/api/v1/me", headers=made.headers).status_code == 200
    # when the manager is removed from the staff (their token does not stand in the way)
    with tenant_scope(tenant_a):
        remove_staff(member=StaffMember.get(made.member_id))
        db_session.commit()
    # then the token is refused and gone
    response = client.get("/admin/api/v1/me", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")
    assert _token_row(tenant_a, made.token_id) is None


def test_a_deactivated_persons_token_is_refused(client, db_session, tenant_a):
    # given a token of a person who can no longer sign in anywhere
    made = staff_token(db_session, tenant_a)
    db.session.get(Identity, made.identity.id).is_active = False
    db_session.commit()
    # when it is used
    response = client.get("/admin/api/v1/me", headers=made.headers)
    # then it is refused
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")


def test_a_token_loses_what_its_members_role_loses(client, db_session, tenant_a):
    # given a manager's token carrying catalog.manage and dashboard.view
    made = staff_token(db_session, tenant_a, role="manager", permissions=["catalog.manage", "dashboard.view"])
    assert client.get("/admin/api/v1/items", headers=made.headers).status_code == 200
    # when the manager becomes a clerk (who does not hold catalog.manage)
    with tenant_scope(tenant_a):
        change_role(member=StaffMember.get(made.member_id), role="clerk")
        db_session.commit()
    # then the catalog is forbidden, and the token says what it still carries
    response = client.get("/admin/api/v1/items", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden")
    assert "catalog.manage" in response.json["error"]["message"]
    assert client.get("/admin/api/v1/me", headers=made.headers).json["permissions"] == ["dashboard.view"]
    # and the token itself is unchanged: a promotion back gives the permission back
    assert _token_row(tenant_a, made.token_id).permissions == ["dashboard.view", "catalog.manage"]


def test_a_suspended_shops_token_is_refused(client, db_session, tenant_a):
    # given a working token
    made = staff_token(db_session, tenant_a)
    assert client.get("/admin/api/v1/me", headers=made.headers).status_code == 200
    # when the shop is suspended
    suspend_tenant(tenant=tenant_a)
    db_session.commit()
    # then its token is refused
    response = client.get("/admin/api/v1/me", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (403, "tenant_suspended")


def test_a_host_or_header_naming_another_shop_is_refused(client, db_session, tenant_a, tenant_b):
    # given a token of shop A
    made = staff_token(db_session, tenant_a)
    # when the request names shop B by its path prefix or the X-Tenant header
    by_prefix = client.get("/s/beta-shop/admin/api/v1/me", headers=made.headers)
    by_header = client.get("/admin/api/v1/me", headers={**made.headers, "X-Tenant": "beta-shop"})
    # then both are refused; naming shop A itself is fine
    assert (by_prefix.status_code, by_prefix.json["error"]["code"]) == (403, "tenant_mismatch")
    assert (by_header.status_code, by_header.json["error"]["code"]) == (403, "tenant_mismatch")
    assert client.get("/admin/api/v1/me", headers={**made.headers, "X-Tenant": "alpha-shop"}).status_code == 200


def test_use_is_recorded_at_most_once_a_minute(client, db_session, tenant_a, count_queries):
    # given a token never used
    made = staff_token(db_session, tenant_a)
    assert _token_row(tenant_a, made.token_id).last_used_at is None
    # when it is used
    before = utcnow()
    client.get("/admin/api/v1/me", headers=made.headers)
    # then its use is recorded
    first = _token_row(tenant_a, made.token_id).last_used_at
    assert first >= before
    # when it is used again within the minute, no UPDATE is sent and the time stays
    with count_queries() as queries:
        client.get("/admin/api/v1/me", headers=made.headers)
    assert [q for q in queries if q.lstrip().upper().startswith("UPDATE")] == []
    assert _token_row(tenant_a, made.token_id).last_used_at == first
    # when the last record is over a minute old, the next use writes it again
    with tenant_scope(tenant_a):
        StaffToken.get(made.token_id).last_used_at = first - dt.timedelta(minutes=2)
        db_session.commit()
    client.get("/admin/api/v1/me", headers=made.headers)
    assert _token_row(tenant_a, made.token_id).last_used_at > first


def test_a_refused_write_records_the_use_and_nothing_else(client, db_session, tenant_a):
    # given a token never used
    made = staff_token(db_session, tenant_a)
    # when it sends a write the service refuses
    response = client.post("/admin/api/v1/categories", json={"name": "Tea", "parent_id": "12345"},
                           headers=made.headers)
    # then it is 422, no category exists, and the use is recorded
    assert (response.status_code, response.json["error"]["fields"]) == (422, {"parent_id": ["There is no such category."]})
    assert client.get("/admin/api/v1/categories", headers=made.headers).json == {"categories": []}
    assert _token_row(tenant_a, made.token_id).last_used_at is not None


def test_tokens_carry_only_what_the_members_role_holds(db_session, tenant_a, create_staff):
    # given a clerk
    identity = create_staff(tenant_a, "clerk")
    with tenant_scope(tenant_a):
        member = db.session.scalar(select(StaffMember).where(StaffMember.identity_id == identity.id))
        for permissions, message in [
            (["catalog.manage", "orders.manage"], "The role clerk does not hold catalog.manage, orders.manage."),
            (["api_tokens.manage"], "A token cannot carry api_tokens.manage."),
            (["nothing.here"], "There is no permission nothing.here."),
            ([], "Choose at least one permission."),
        ]:
            # when a token is asked for with permissions the role does not hold
            with pytest.raises(Exception) as refused:
                create_token(member=member, name="x", permissions=permissions, actor=identity, via="test")
            # then it is refused naming them, and no token exists
            assert refused.value.fields == {"permissions": [message]}
        assert db.session.scalars(select(StaffToken)).all() == []
        # and the clerk's own permissions are what a token of theirs may carry
        assert grantable_permissions("clerk") == ["dashboard.view", "orders.verify", "booking.serve"]


def test_creating_and_revoking_a_token_is_audited_without_its_secret(db_session, tenant_a):
    # given a token made and revoked
    made = staff_token(db_session, tenant_a, role="manager", permissions=["stores.manage"])
    with tenant_scope(tenant_a):
        revoke_token(StaffToken.get(made.token_id), actor=made.identity, via="test")
        revoke_token(StaffToken.get(made.token_id), actor=made.identity, via="test")  # twice: one row
        db_session.commit()
    # then two audit rows name the person, the token and its permissions, never the secret
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                       AuditEntry.action.like("api_token.%"))
                              .order_by(AuditEntry.at)).all()
    assert [(r.action, r.actor_email, r.target) for r in rows] == [
        ("api_token.create", made.identity.email, f"api token {made.token_id}"),
        ("api_token.revoke", made.identity.email, f"api token {made.token_id}")]
    assert rows[0].details == {"name": "Test integration", "staff_member": str(made.member_id),
                               "permissions": ["stores.manage"], "via": "test", "expires_at": None}
    secret = made.text.split("_", 3)[3]
    assert all(secret not in repr(r.details) for r in rows)


def test_the_document_needs_no_token_validates_and_covers_every_route(app, client, db_session):
    from openapi_spec_validator import validate

    # when the Admin API's document is asked for without a token
    response = client.get("/admin/api/v1/openapi.json")
    # then it is valid OpenAPI, describing every /admin/api/v1 route with the staff token scheme
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    assert spec["info"]["title"] == "Tessera Admin API"
    assert spec["components"]["securitySchemes"] == {"staffToken": {
        "type": "http", "scheme": "bearer", "description": "A staff API token: tst_<shop id>_<token id>_<secret>"}}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = {(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/api/v1/")
              and rule.endpoint != "admin_api.document" for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    assert {("/admin/api/v1/items", "post"), ("/admin/api/v1/skus/{sku_id}", "patch"),
            ("/admin/api/v1/orders/{order_id}/ship", "post"), ("/admin/api/v1/after-sales/{after_sale_id}/reject", "post"),
            ("/admin/api/v1/stores/{store_id}", "patch"), ("/admin/api/v1/me", "get")} <= documented
    # and every operation needs the token, says its permission and lists the catalogue's codes
    for path, ops in spec["paths"].items():
        for method, operation in ops.items():
            assert operation["security"] == [{"staffToken": []}], (path, method)
            assert {"401", "403"} <= set(operation["responses"]), (path, method)
            assert "XTenant" not in operation["parameters"]
    assert spec["paths"]["/admin/api/v1/skus/{sku_id}"]["patch"]["x-permission"] == "catalog.manage"
    assert spec["paths"]["/admin/api/v1/orders"]["get"]["x-permission"] == "orders.manage"
    assert set(CATALOGUE) <= set(spec["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"])
    # and the consumer API's document does not list the Admin API
    assert not [path for path in client.get("/api/v1/openapi.json").json["paths"] if path.startswith("/admin")]


def test_unknown_admin_api_paths_answer_the_json_envelope(client, db_session, tenant_a):
    made = staff_token(db_session, tenant_a)
    response = client.get("/admin/api/v1/nothing-here", headers=made.headers)
    assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")


def test_a_signed_in_back_office_cookie_does_not_open_the_admin_api(client, db_session, tenant_a, create_staff,
                                                                     sign_in):
    # given an owner signed in to the back office in this browser (the session cookie is sent)
    owner = create_staff(tenant_a, "owner")
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")
    assert client.get("/merchant/").status_code == 200
    # when the same browser calls the Admin API without a staff token
    response = client.get("/admin/api/v1/me")
    # then it is refused: only a token signs a call in, and no session is opened or written
    assert (response.status_code, response.json["error"]["code"]) == (401, "unauthenticated")
    assert "Set-Cookie" not in response.headers

"""/console/: platform admins sign in, find, create, suspend and resume tenants; every write is
audited and every form is CSRF-protected."""

from __future__ import annotations

from sqlalchemy import func, select

from core.audit import AuditEntry
from core.consumers import Consumer
from core.identities import StaffMember
from core.tenancy import Tenant, TenantStatus, find_tenant, platform_scope, tenant_scope


def _admin(create_identity, sign_in):
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    return admin


def _tenants(db_session):
    return db_session.scalar(select(func.count()).select_from(Tenant))


def test_console_needs_sign_in(client, db_session):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


def test_wrong_password_and_non_admins_are_refused(client, db_session, create_identity, form_post):
    create_identity("staff@example.com")
    create_identity("root@example.com", platform_admin=True)
    for email, password in (("root@example.com", "wrong-password"), ("staff@example.com", "password123")):
        response = form_post("/console/login", {"email": email, "password": password})
        assert response.status_code == 400
        assert "Wrong email or password, or not a platform admin." in response.get_data(as_text=True)
        assert client.get("/console/").status_code == 302


def test_a_form_without_csrf_token_is_refused(client, db_session, create_identity, sign_in):
    _admin(create_identity, sign_in)
    before = _tenants(db_session)
    response = client.post("/console/tenants/new", data={"slug": "no-token", "name": "X", "currency": "CNY",
                                                         "timezone": "UTC", "owner_email": "o@example.com",
                                                         "owner_password": "password123"})
    assert response.status_code == 400
    assert _tenants(db_session) == before


def test_list_search_filter_and_page(client, db_session, create_identity, sign_in, create_tenant):
    _admin(create_identity, sign_in)
    for index in range(55):
        create_tenant(f"shop-{index:02d}", name=f"Shop {index:02d}")
    create_tenant("tea-house", name="Golden Tea House")
    page = client.get("/console/").get_data(as_text=True)
    assert page.count("/console/tenants/") - page.count("/console/tenants/new") >= 50
    found = client.get("/console/?q=golden").get_data(as_text=True)
    assert "Golden Tea House" in found and "Shop 01" not in found
    assert "tea-house" in client.get("/console/?q=TEA").get_data(as_text=True)
    second = client.get("/console/?after=shop-49").get_data(as_text=True)
    assert "Shop 50" in second and "Shop 49" not in second
    suspended = client.get("/console/?status=suspended").get_data(as_text=True)
    assert "No tenants match." in suspended


def test_create_a_tenant_with_a_new_owner(client, db_session, create_identity, sign_in, form_post):
    admin = _admin(create_identity, sign_in)
    response = form_post("/console/tenants/new", {"slug": "noodle-bar", "name": "Noodle Bar", "currency": "HKD",
                                                  "timezone": "Asia/Hong_Kong", "owner_email": "chef@example.com",
                                                  "owner_password": "password123"})
    assert response.status_code == 302
    tenant = find_tenant("noodle-bar")
    assert (tenant.name, tenant.currency, tenant.timezone) == ("Noodle Bar", "HKD", "Asia/Hong_Kong")
    with tenant_scope(tenant):
        assert [m.role for m in db_session.scalars(select(StaffMember))] == ["owner"]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "tenant.create"))
    assert (entry.actor_id, entry.tenant_id) == (admin.id, tenant.id)


def test_an_existing_identity_becomes_owner_without_a_password(client, db_session, create_identity, sign_in,
                                                               form_post):
    _admin(create_identity, sign_in)
    existing = create_identity("already@example.com")
    response = form_post("/console/tenants/new", {"slug": "second-shop", "name": "Second", "currency": "CNY",
                                                  "timezone": "Asia/Shanghai", "owner_email": existing.email})
    assert response.status_code == 302
    with tenant_scope(find_tenant("second-shop")):
        assert db_session.scalar(select(StaffMember.identity_id)) == existing.id


def test_bad_tenant_forms_show_errors_on_their_fields_and_create_nothing(client, db_session, create_identity,
                                                                         sign_in, form_post, create_tenant):
    _admin(create_identity, sign_in)
    create_tenant("taken-shop")
    before = _tenants(db_session)
    good = {"slug": "fine-shop", "name": "Fine", "currency": "CNY", "timezone": "Asia/Shanghai",
            "owner_email": "new@example.com", "owner_password": "password123"}
    cases = [({"slug": "taken-shop"}, "This name is taken."), ({"slug": "console"}, "This name is reserved."),
             ({"slug": "Bad Slug!"}, "Use 3 to 40 lowercase letters"), ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
             ({"owner_password": ""}, "Set a password for the new owner account.")]
    for change, message in cases:
        response = form_post("/console/tenants/new", {**good, **change}, page="/console/tenants/new")
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
    assert _tenants(db_session) == before


def test_suspend_and_resume_keep_the_data(client, db_session, create_identity, sign_in, form_post, tenant_a,
                                          create_consumer):
    _admin(create_identity, sign_in)
    create_consumer(tenant_a, email="loyal@example.com", password="password123")
    page = f"/console/tenants/{tenant_a.id}"
    assert form_post(f"{page}/suspend", {"reason": "Unpaid invoice"}, page=page).status_code == 302
    assert tenant_a.status == TenantStatus.SUSPENDED
    login = {"login": "loyal@example.com", "password": "password123"}
    refused = client.post("/api/v1/auth/login", json=login, headers={"X-Tenant": tenant_a.slug})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "tenant_suspended"
    assert form_post(f"{page}/resume", {}, page=page).status_code == 302
    assert tenant_a.status == TenantStatus.ACTIVE
    assert client.post("/api/v1/auth/login", json=login, headers={"X-Tenant": tenant_a.slug}).status_code == 200
    with platform_scope():
        assert db_session.scalar(select(func.count()).select_from(Consumer).where(Consumer.tenant_id == tenant_a.id)) == 1
    actions = list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_a.id)
                                      .order_by(AuditEntry.id)))
    assert actions[-2:] == ["tenant.suspend", "tenant.resume"]


def test_suspend_without_csrf_changes_nothing(client, db_session, create_identity, sign_in, tenant_a):
    _admin(create_identity, sign_in)
    assert client.post(f"/console/tenants/{tenant_a.id}/suspend").status_code == 400
    assert tenant_a.status == TenantStatus.ACTIVE


def test_audit_log_lists_console_writes(client, db_session, create_identity, sign_in, tenant_a):
    _admin(create_identity, sign_in)
    page = client.get("/console/audit").get_data(as_text=True)
    assert "console.login" in page and "tenant.create" in page


def test_unknown_tenant_page_is_404(client, db_session, create_identity, sign_in):
    _admin(create_identity, sign_in)
    assert client.get("/console/tenants/12345").status_code == 404

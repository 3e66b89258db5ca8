"""/merchant/: staff sign in, choose a shop, see the dashboard, and owners manage staff and roles;
every view checks a permission, and one shop's staff can never act on another's."""

from __future__ import annotations

from sqlalchemy import select

from core.identities import StaffMember
from core.tenancy import tenant_scope
from tests.conftest import csrf_token_of


def _enter(client, sign_in, identity):
    sign_in("merchant", identity.email)
    return client.get("/merchant/shops")


def test_back_office_needs_sign_in(client, db_session):
    response = client.get("/merchant/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/merchant/login")


def test_wrong_password_is_refused(client, db_session, create_staff, form_post, tenant_a):
    owner = create_staff(tenant_a, "owner")
    response = form_post("/merchant/login", {"email": owner.email, "password": "not-the-password"})
    assert response.status_code == 400
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_one_shop_goes_straight_to_the_dashboard(client, db_session, create_staff, sign_in, tenant_a):
    owner = create_staff(tenant_a, "owner")
    response = _enter(client, sign_in, owner)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/merchant/")
    page = client.get("/merchant/").get_data(as_text=True)
    assert "Alpha Shop" in page and 'data-count="staff">1<' in page


def test_several_shops_ask_which_and_refuse_a_foreign_one(client, db_session, create_staff, create_identity, sign_in,
                                                          tenant_a, tenant_b, create_tenant):
    from core.identities import add_staff

    person = create_staff(tenant_a, "manager")
    with tenant_scope(tenant_b):
        add_staff(identity=person, role="clerk")
    stranger_shop = create_tenant("gamma-shop")
    chooser = _enter(client, sign_in, person)
    assert chooser.status_code == 200
    page = chooser.get_data(as_text=True)
    assert "Alpha Shop" in page and "Beta Shop" in page and "Gamma" not in page
    token = csrf_token_of(page)
    assert client.post("/merchant/shops", data={"csrf_token": token, "tenant_id": stranger_shop.id}).status_code == 403
    chosen = client.post("/merchant/shops", data={"csrf_token": token, "tenant_id": tenant_b.id})
    assert chosen.status_code == 302
    assert "Beta Shop" in client.get("/merchant/").get_data(as_text=True)


def test_a_session_pointing_at_a_foreign_shop_is_sent_back_to_the_chooser(client, db_session, create_staff, sign_in,
                                                                          tenant_a, tenant_b):
    owner = create_staff(tenant_a, "owner")
    _enter(client, sign_in, owner)
    with client.session_transaction() as session:
        session["tenant_id"] = str(tenant_b.id)  # forged
    response = client.get("/merchant/staff")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/merchant/shops")


def test_clerk_sees_the_dashboard_but_not_staff(client, db_session, create_staff, sign_in, tenant_a):
    clerk = create_staff(tenant_a, "clerk")
    _enter(client, sign_in, clerk)
    assert client.get("/merchant/").status_code == 200
    assert client.get("/merchant/staff").status_code == 403
    assert "/merchant/staff" not in client.get("/merchant/").get_data(as_text=True)


def test_manager_sees_staff_but_cannot_change_it(client, db_session, create_staff, sign_in, tenant_a):
    owner = create_staff(tenant_a, "owner")
    manager = create_staff(tenant_a, "manager")
    _enter(client, sign_in, manager)
    page = client.get("/merchant/staff").get_data(as_text=True)
    assert owner.email in page and "Add to staff" not in page
    token = csrf_token_of(page)
    response = client.post("/merchant/staff", data={"csrf_token": token, "email": "x@example.com", "role": "clerk",
                                                   "password": "password123"})
    assert response.status_code == 403
    with tenant_scope(tenant_a):
        member = db_session.scalar(select(StaffMember).where(StaffMember.identity_id == owner.id))
    assert client.post(f"/merchant/staff/{member.id}/role", data={"csrf_token": token, "role": "clerk"}).status_code == 403
    assert member.role == "owner"


def test_owner_adds_changes_and_removes_staff(client, db_session, create_staff, create_identity, sign_in, tenant_a,
                                              form_post):
    from core.audit import AuditEntry

    owner = create_staff(tenant_a, "owner")
    _enter(client, sign_in, owner)
    missing_password = form_post("/merchant/staff", {"email": "new@example.com", "role": "clerk"})
    assert missing_password.status_code == 400
    assert "This person has no account yet: set a password." in missing_password.get_data(as_text=True)
    added = form_post("/merchant/staff", {"email": "new@example.com", "role": "clerk", "password": "password123"})
    assert added.status_code == 302
    existing = create_identity("known@example.com")
    assert form_post("/merchant/staff", {"email": existing.email, "role": "manager"}).status_code == 302
    with tenant_scope(tenant_a):
        members = {m.identity_id: m for m in db_session.scalars(select(StaffMember))}
    assert members[existing.id].role == "manager"
    assert form_post(f"/merchant/staff/{members[existing.id].id}/role", {"role": "clerk"},
                     page="/merchant/staff").status_code == 302
    assert members[existing.id].role == "clerk"
    assert form_post(f"/merchant/staff/{members[existing.id].id}/remove", {}, page="/merchant/staff").status_code == 302
    with tenant_scope(tenant_a):
        assert existing.id not in {m.identity_id for m in db_session.scalars(select(StaffMember))}
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_a.id)))
    assert {"staff.add", "staff.role", "staff.remove"} <= actions


def test_the_last_owner_stays_and_nobody_removes_themself(client, db_session, create_staff, sign_in, tenant_a,
                                                          form_post):
    owner = create_staff(tenant_a, "owner")
    _enter(client, sign_in, owner)
    with tenant_scope(tenant_a):
        mine = db_session.scalar(select(StaffMember).where(StaffMember.identity_id == owner.id))
    response = form_post(f"/merchant/staff/{mine.id}/role", {"role": "clerk"}, page="/merchant/staff")
    assert response.status_code == 302
    assert "A shop needs at least one owner." in client.get("/merchant/staff").get_data(as_text=True)
    form_post(f"/merchant/staff/{mine.id}/remove", {}, page="/merchant/staff")
    assert "You cannot remove yourself" in client.get("/merchant/staff").get_data(as_text=True)
    assert mine.role == "owner"


def test_staff_of_one_shop_cannot_touch_another_shops_staff(client, db_session, create_staff, sign_in, tenant_a,
                                                             tenant_b, form_post):
    owner_a = create_staff(tenant_a, "owner")
    clerk_b = create_staff(tenant_b, "clerk")
    with tenant_scope(tenant_b):
        member_b = db_session.scalar(select(StaffMember).where(StaffMember.identity_id == clerk_b.id))
    _enter(client, sign_in, owner_a)
    assert form_post(f"/merchant/staff/{member_b.id}/role", {"role": "owner"}, page="/merchant/staff").status_code == 404
    assert form_post(f"/merchant/staff/{member_b.id}/remove", {}, page="/merchant/staff").status_code == 404
    assert member_b.role == "clerk"


def test_a_suspended_shop_refuses_its_back_office(client, db_session, create_staff, sign_in, tenant_a):
    from tenants.services import suspend_tenant

    owner = create_staff(tenant_a, "owner")
    _enter(client, sign_in, owner)
    suspend_tenant(tenant=tenant_a)
    assert client.get("/merchant/").status_code == 403


def test_the_navigation_lights_one_entry(client, db_session, create_staff, sign_in, tenant_a):
    import re

    owner = create_staff(tenant_a)
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")

    def lit(url: str) -> list[str]:
        html = client.get(url).get_data(as_text=True)
        return re.findall(r'<li class="nav-item active"><a class="nav-link" href="([^"]+)"', html)

    assert lit("/merchant/orders/verify") == ["/merchant/orders/verify"]
    assert lit("/merchant/orders/shipping") == ["/merchant/orders/shipping"]
    assert lit("/merchant/orders/") == ["/merchant/orders/"]
    assert lit("/merchant/catalog/categories") == ["/merchant/catalog/"]  # a page of the engine without an entry

"""Support sessions: a platform admin opens a shop's back office only with a reason (audited),
sees a banner on every page, acts with the owner's rights under their own name, only in that
shop and for an hour; ending it is audited. Nobody else can start one."""

from __future__ import annotations

import time

from sqlalchemy import select

from core.audit import AuditEntry
from tests.conftest import csrf_token_of


def start(client, form_post, tenant, reason: str):
    return form_post(f"/console/tenants/{tenant.id}/support", {"reason": reason})


def audited(db_session, action: str) -> list[AuditEntry]:
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_admin_opens_a_shops_back_office_with_a_reason_and_ends_it(client, db_session, create_identity, sign_in,
                                                                        form_post, tenant_a, tenant_b):
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    assert client.get("/merchant/").status_code == 302  # an admin is nobody's staff
    refused = start(client, form_post, tenant_a, "   ")
    assert refused.status_code == 400 and "Say why you open" in refused.get_data(as_text=True)
    assert audited(db_session, "tenant.support") == []

    opened = start(client, form_post, tenant_a, "Ticket 4711: the owner cannot find the coupon page")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/merchant/")
    [entry] = audited(db_session, "tenant.support")
    assert (entry.actor_email, entry.tenant_id, entry.details["reason"]) == (
        admin.email, tenant_a.id, "Ticket 4711: the owner cannot find the coupon page")
    page = client.get("/merchant/").get_data(as_text=True)
    assert "data-support-session" in page and "Ticket 4711" in page
    staff = client.get("/merchant/staff").get_data(as_text=True)  # the owner's rights
    assert "data-support-session" in staff

    created = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Support tea", "price": "9.90",
                                                  "stock": "3", "status": "on_sale", "category_id": ""})
    assert created.status_code == 302, created.get_data(as_text=True)[-500:]
    [made] = [e for e in db_session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id))
              if e.action.startswith("item.")]
    assert made.actor_email == admin.email  # under their own name

    assert client.post("/merchant/shops", data={"csrf_token": csrf_token_of(page),
                                                "tenant_id": str(tenant_b.id)}).status_code == 403
    with client.session_transaction() as cookie:  # even a session made to name another shop
        cookie["tenant_id"] = str(tenant_b.id)
    assert client.get("/merchant/").status_code == 302  # goes to choosing a shop: it has none
    with client.session_transaction() as cookie:
        cookie["tenant_id"] = str(tenant_a.id)

    form_post(f"/console/tenants/{tenant_a.id}/support", {"reason": "again"})
    ended = client.post("/merchant/support/end", data={"csrf_token": csrf_token_of(page)})
    assert ended.headers["Location"].endswith(f"/console/tenants/{tenant_a.id}")
    assert [e.tenant_id for e in audited(db_session, "tenant.support_end")] == [tenant_a.id]
    assert client.get("/merchant/").status_code == 302


def test_a_support_session_ends_by_itself_after_an_hour(client, db_session, create_identity, sign_in, form_post,
                                                        tenant_a, monkeypatch):
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    start(client, form_post, tenant_a, "Ticket 1")
    assert client.get("/merchant/").status_code == 200
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/merchant/").status_code == 302


def test_only_platform_admins_start_one(client, db_session, enter, form_post, tenant_a):
    enter("owner")
    assert client.get(f"/console/tenants/{tenant_a.id}/support").status_code == 403
    assert client.post(f"/console/tenants/{tenant_a.id}/support", data={"reason": "x"}).status_code in (400, 403)
    assert audited(db_session, "tenant.support") == []

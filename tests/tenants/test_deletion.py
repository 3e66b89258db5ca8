"""Deleting a shop: the console asks for the address typed again and a reason, closes the shop at
once and keeps it 30 days, during which the deletion can be called off; then the sweeper removes
every row of the shop — a template's demo data, orders, categories' trees, pictures, domains, the
subscription — and the shop, and nothing of another shop. Refunds on their way hold it back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.tenancy import Domain, Tenant, TenantStatus, tenant_scope, tenant_tables


def rows_of(tenant_id: int) -> dict[str, int]:
    counted = {}
    for table in tenant_tables():
        found = db.session.scalar(select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id))
        if found:
            counted[table.name] = found
    return counted


def test_a_shop_is_closed_kept_a_month_then_removed_whole(app, client, db_session, create_identity, sign_in,
                                                          form_post, tenant_a, tenant_b, create_consumer):
    from templates_library.services import instantiate
    from tenants.billing import Subscription
    from tenants.deletion import delete_due
    from tests.engines.orders.conftest import make_shop
    from tests.engines.orders.test_orders import pay, place

    with app.test_request_context(), tenant_scope(tenant_a):
        instantiate("ecommerce", demo_data=True, actor="test")
    db_session.commit()
    shop = make_shop(tenant_a, create_consumer)
    pay(client, shop, place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]}))
    db_session.add_all([Domain(host="alpha.example", tenant_id=tenant_a.id),
                        Subscription(tenant_id=tenant_a.id, status="active")])
    with tenant_scope(tenant_b):
        from engines.catalog.services import create_item

        create_item(kind="physical", name="Beta coffee", price=900, stock=3, status="on_sale")
    db_session.commit()
    with tenant_scope(tenant_a):
        assert {"items", "categories", "orders", "payments", "media"} <= set(rows_of(tenant_a.id))
    with tenant_scope(tenant_b):
        theirs = rows_of(tenant_b.id)

    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    page = f"/console/tenants/{tenant_a.id}/delete"
    wrong = form_post(page, {"confirm": "beta-shop", "reason": "asked"})
    assert wrong.status_code == 400 and f"Type {tenant_a.slug} to confirm" in wrong.get_data(as_text=True)
    assert form_post(page, {"confirm": tenant_a.slug, "reason": ""}).status_code == 400
    assert form_post(page, {"confirm": tenant_a.slug, "reason": "The owner closed their account"}).status_code == 302
    shop_row = db_session.get(Tenant, tenant_a.id)
    assert (shop_row.status, shop_row.suspended_by) == (TenantStatus.SUSPENDED, "deletion")
    assert client.get(f"/s/{tenant_a.slug}/").status_code == 403
    assert "Resume" not in client.get(f"/console/tenants/{tenant_a.id}").get_data(as_text=True)

    form_post(f"/console/tenants/{tenant_a.id}/delete/cancel", {}, page=f"/console/tenants/{tenant_a.id}")
    db_session.expire_all()
    shop_row = db_session.get(Tenant, tenant_a.id)
    assert (shop_row.status, shop_row.deletion_due_at) == (TenantStatus.ACTIVE, None)
    form_post(page, {"confirm": tenant_a.slug, "reason": "Asked again"})

    with app.test_request_context():
        assert delete_due(utcnow() + dt.timedelta(days=29)) == 0
        assert delete_due(utcnow() + dt.timedelta(days=30, minutes=1)) == 1
    db_session.expire_all()
    assert db_session.get(Tenant, tenant_a.id) is None
    with tenant_scope(tenant_a):
        assert rows_of(tenant_a.id) == {}
    assert db_session.scalar(select(Domain.id).where(Domain.tenant_id == tenant_a.id)) is None
    with tenant_scope(tenant_b):
        assert rows_of(tenant_b.id) == theirs
    assert [e.action for e in db_session.scalars(select(AuditEntry).where(
        AuditEntry.tenant_id == tenant_a.id, AuditEntry.action.like("tenant.delet%")).order_by(AuditEntry.at))] == [
        "tenant.delete_scheduled", "tenant.delete_cancelled", "tenant.delete_scheduled", "tenant.deleted"]


def test_refunds_on_their_way_hold_the_deletion_back(app, db_session, tenant_a, create_consumer, client):
    from engines.payments.models import Refund
    from tenants.deletion import delete_due, schedule_deletion
    from tests.engines.orders.conftest import make_shop
    from tests.engines.orders.test_orders import pay, place

    shop = make_shop(tenant_a, create_consumer)
    order = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    with tenant_scope(tenant_a):
        from engines.payments.models import Payment

        payment = db.session.scalars(select(Payment)).first()
        db.session.add(Refund(payment_id=payment.id, amount=100, status="sending",
                              reason="after_sale", source_id=1))
        db.session.flush()
    schedule_deletion(db_session.get(Tenant, tenant_a.id), reason="closing")
    db_session.commit()
    with app.test_request_context():
        assert delete_due(utcnow() + dt.timedelta(days=31)) == 0
    assert db_session.get(Tenant, tenant_a.id) is not None

"""Deleting a shop: the console schedules it with a reason, the shop closes at once (suspended
`by="deletion"`) and is kept DELETION_DAYS, during which the deletion can be called off; then the
`tenants.delete_due` sweeper removes every row of every tenant table, its pictures, its domains
and subscription, and the shop itself. The audit log keeps what happened (its rows name the shop's
id and slug). A shop an engine holds back (the payments engine: refunds on their way) waits:
money in flight first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from core import audit
from core.db import db, utcnow
from core.engines import deletion_held
from core.identities import Identity
from core.jobs import periodic
from core.media import Media
from core.resolution import directory
from core.storage import StorageError, storage
from core.tenancy import Domain, Tenant, platform_scope, tenant_scope, tenant_tables
from tenants.billing import Subscription
from tenants.services import resume_tenant, suspend_tenant

DELETION_DAYS = 30


def schedule_deletion(tenant: Tenant, *, reason: str, actor: Identity | None = None, ip: str | None = None,
                      now: dt.datetime | None = None) -> Tenant:
    tenant.deletion_due_at = (now or utcnow()) + dt.timedelta(days=DELETION_DAYS)
    suspend_tenant(tenant=tenant, actor=actor, reason=reason, ip=ip, by="deletion")
    tenant.suspended_by = "deletion"  # (a shop already suspended for another cause: now for this one)
    audit.record("tenant.delete_scheduled", actor=actor, tenant_id=tenant.id, target=tenant.slug, ip=ip,
                 details={"reason": reason.strip(), "due": tenant.deletion_due_at.isoformat()})
    return tenant


def cancel_deletion(tenant: Tenant, *, actor: Identity | None = None, ip: str | None = None) -> Tenant:
    tenant.deletion_due_at = None
    audit.record("tenant.delete_cancelled", actor=actor, tenant_id=tenant.id, target=tenant.slug, ip=ip)
    resume_tenant(tenant=tenant, actor=actor, note="deletion called off", ip=ip)
    return tenant


def _leaves_first(table, parent, key, tenant_id: int) -> None:
    """Delete a tree's rows that no row names as its parent, until none is left."""
    while True:
        named = select(parent).where(table.c.tenant_id == tenant_id, parent.is_not(None))
        if not db.session.execute(delete(table).where(table.c.tenant_id == tenant_id, key.not_in(named))).rowcount:
            return


def purge_tenant(tenant: Tenant) -> bool:
    """Remove the shop and everything of it (in the caller's transaction); False, and nothing
    removed, while refunds of it are on their way."""
    tenant_id, slug = tenant.id, tenant.slug
    with tenant_scope(tenant):
        if deletion_held() is not None:  # an engine's money in flight (core.engines.hold_deletion)
            return False
        keys = [key for row in db.session.execute(select(Media.key, Media.thumbnail_key)) for key in row if key]
        names = {table.name for table in tenant_tables()}
        for table in reversed(db.metadata.sorted_tables):  # children before the rows they name
            if table.name not in names:
                continue
            for fk in [fk for fk in table.foreign_keys if fk.column.table is table and fk.parent.name != "tenant_id"]:
                _leaves_first(table, fk.parent, fk.column, tenant_id)  # a tree (categories)
            db.session.execute(delete(table).where(table.c.tenant_id == tenant_id))
    db.session.execute(delete(Domain).where(Domain.tenant_id == tenant_id))
    db.session.execute(delete(Subscription).where(Subscription.tenant_id == tenant_id))
    db.session.delete(tenant)
    db.session.flush()
    audit.record("tenant.deleted", tenant_id=tenant_id, target=slug, details={"pictures": len(keys)})
    for key in keys:  # the files last: a failure above leaves them with their rows
        try:
            storage().delete(key)
        except (StorageError, OSError):
            continue
    directory.forget()
    return True


def delete_due(now: dt.datetime | None = None) -> int:
    """Purge every shop whose deletion date has come; how many were removed."""
    now = now or utcnow()
    with platform_scope():
        due = list(db.session.scalars(select(Tenant).where(Tenant.deletion_due_at <= now).order_by(Tenant.id)
                                      .limit(20)))
    removed = 0
    for tenant in due:
        removed += purge_tenant(tenant)
        db.session.commit()
    return removed


@periodic("tenants.delete_due", seconds=3600)
def tenants_delete_due(now: dt.datetime | None = None) -> int:
    return delete_due(now)

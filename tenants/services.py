"""Tenant lifecycle: create, suspend, resume. The one write path for the console and the CLI;
each function runs in the caller's transaction and leaves an audit row."""

from __future__ import annotations

import re
import zoneinfo

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from core import audit
from core.db import add_unique, db, utcnow
from core.errors import APIError
from core.identities import Identity, add_staff, create_identity, find_identity
from core.money import CURRENCIES
from core.permissions import Role
from core.resolution import directory
from core.tenancy import Tenant, TenantStatus, tenant_scope
from runtime.services import ensure_app

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset({"www", "api", "admin", "console", "merchant", "static", "media", "assets",
                            "app", "mail", "help", "status", "docs", "s", "demo-admin"})


def slug_problem(slug: str) -> str | None:
    if not SLUG.match(slug or ""):
        return _("Use 3 to 40 lowercase letters, digits and dashes, starting and ending with a letter or digit.")
    if slug in RESERVED_SLUGS:
        return _("This name is reserved.")
    return None


def slug_refusal(slug: str) -> str | None:
    """Why `slug` cannot name a new shop (its form, reserved, taken), or None."""
    problem = slug_problem(slug)
    if problem is None and db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        problem = _("This name is taken.")
    return problem


def create_tenant(*, slug: str, name: str, currency: str = "CNY", timezone: str = "Asia/Shanghai",
                  owner_email: str | None = None, owner_password: str | None = None,
                  actor: Identity | None = None, action: str = "tenant.create", ip: str | None = None,
                  **columns) -> Tenant:
    """A new tenant (active, unless `columns` say otherwise), and its owner: an existing identity
    is made owner; a new email needs a password. Refuses a taken or invalid slug, an unknown
    currency or timezone. The audit row is `action`'s (a self sign-up is "tenant.signup")."""
    slug = (slug or "").strip().lower()
    errors: dict[str, list[str]] = {}
    problem = slug_refusal(slug)
    if problem:
        errors["slug"] = [problem]
    if not (name or "").strip():
        errors["name"] = ["Give the shop a name."]
    if currency not in CURRENCIES:
        errors["currency"] = [f"Unknown currency {currency!r}."]
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = [f"Unknown timezone {timezone!r}."]
    owner = find_identity(owner_email) if owner_email else None
    if owner_email and owner is None and not owner_password:
        errors["owner_password"] = ["Set a password for the new owner account."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    if owner_email and owner is None:
        owner = create_identity(email=owner_email, password=owner_password)
    tenant = add_unique(Tenant(slug=slug, name=name.strip()[:120], currency=currency, timezone=timezone, **columns),
                        APIError("invalid_input", fields={"slug": ["This name is taken."]}))
    with tenant_scope(tenant):
        ensure_app(name=tenant.name)
        if owner is not None:
            add_staff(identity=owner, role=Role.OWNER)
    audit.record(action, actor=actor, tenant_id=tenant.id, target=slug, reseller_id=tenant.reseller_id,
                 details={"owner": owner.email if owner else None}, ip=ip)
    return tenant


def suspend_tenant(*, tenant: Tenant, actor: Identity | None = None, reason: str = "", ip: str | None = None,
                   by: str = "admin") -> Tenant:
    """Storefront, API and back office refuse requests; data, payments in flight and sweepers
    carry on. The reason goes into the audit row (the console requires one); `by` says who
    closed it ("admin"; "billing": the shop's own billing page stays open to pay; "reseller": its
    reseller, who may open it again)."""
    if tenant.status != TenantStatus.SUSPENDED:
        tenant.status = TenantStatus.SUSPENDED
        tenant.suspended_at = utcnow()
        tenant.suspended_by = by
        audit.record("tenant.suspend", actor=actor, tenant_id=tenant.id, target=tenant.slug, reseller_id=tenant.reseller_id,
                     details={"reason": (reason or "").strip(), "by": by}, ip=ip)
    directory.forget(tenant)
    return tenant


def resume_tenant(*, tenant: Tenant, actor: Identity | None = None, note: str = "", ip: str | None = None) -> Tenant:
    if tenant.status != TenantStatus.ACTIVE:
        tenant.status = TenantStatus.ACTIVE
        tenant.suspended_at = tenant.suspended_by = None
        audit.record("tenant.resume", actor=actor, tenant_id=tenant.id, target=tenant.slug, reseller_id=tenant.reseller_id,
                     details={"note": note.strip()} if (note or "").strip() else None, ip=ip)
    directory.forget(tenant)
    return tenant


def search_tenants(query: str = "", *, status: str | None = None, after: str | None = None, limit: int = 50):
    """Tenants by slug order, filtered by a text in slug or name; keyset-paged by slug."""
    statement = select(Tenant).order_by(Tenant.slug).limit(limit + 1)
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(or_(Tenant.slug.like(like), func.lower(Tenant.name).like(like)))
    if status in tuple(TenantStatus):
        statement = statement.where(Tenant.status == status)
    if after:
        statement = statement.where(Tenant.slug > after)
    rows = list(db.session.scalars(statement))
    next_cursor = rows[limit - 1].slug if len(rows) > limit else None
    return rows[:limit], next_cursor

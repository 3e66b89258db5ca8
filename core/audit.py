"""The audit log: every staff, reseller and admin write leaves a row (DESIGN.md §7).

A platform table, so admin actions that belong to no tenant fit too; tenant-facing reads filter
by tenant_id explicitly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.ids import new_id


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # an Identity
    actor_email: Mapped[str | None] = mapped_column(String(254))
    tenant_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reseller_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # a reseller's write, or one on its shops
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))


def record(action: str, *, actor=None, tenant_id: int | None = None, target: str | None = None,
           details: dict | None = None, ip: str | None = None, reseller_id: int | None = None) -> AuditEntry:
    """Add an audit row to the caller's transaction."""
    entry = AuditEntry(action=action, actor_id=getattr(actor, "id", None), actor_email=getattr(actor, "email", None),
                       tenant_id=tenant_id, reseller_id=reseller_id, target=target, details=details or {}, ip=ip)
    db.session.add(entry)
    return entry

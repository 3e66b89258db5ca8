"""The tenant's app: one draft (with a revision for optimistic concurrency) and its immutable,
numbered published versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.tenancy import TenantModel


class App(TenantModel):
    __tablename__ = "apps"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    draft: Mapped[dict] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    published_number: Mapped[int | None] = mapped_column(Integer)  # the live version
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))


class AppVersion(TenantModel):
    """A published version: never updated after it is written."""

    __tablename__ = "app_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    author: Mapped[str | None] = mapped_column(String(254))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    restored_from: Mapped[int | None] = mapped_column(Integer)  # set by a rollback

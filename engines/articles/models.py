"""Articles, tenant-scoped, soft-deleted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.tenancy import TenantModel


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Article(TenantModel):
    __tablename__ = "articles"
    __table_args__ = (Index(None, "tenant_id", "status", "published_at"),)

    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    cover: Mapped[str] = mapped_column(String(520), default="")  # media:<id> or an https URL
    body: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    status: Mapped[ArticleStatus] = mapped_column(
        Enum(ArticleStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=ArticleStatus.DRAFT)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

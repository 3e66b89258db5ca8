"""Articles: tenant-scoped, soft-deleted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Article(TenantModel):
    """A piece of the shop's own content: news, a story, a care guide. Consumers see it while it
    is published and not deleted; deleting keeps the row (`deleted_at`)."""

    __tablename__ = "articles"

    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    cover: Mapped[str] = mapped_column(String(520), default="")  # media:<id>, an https URL, or ""
    body: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    status: Mapped[ArticleStatus] = mapped_column(
        str_enum(ArticleStatus),
        default=ArticleStatus.DRAFT)
    # Set when first published and kept through unpublish/publish, so a fixed typo does not
    # move an old article to the top of the list.
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


# The consumer lists: published articles newest first, keyset-paged by (published_at, id).
Index("ix_articles_tenant_id_status_published_at_id", Article.tenant_id, Article.status,
      Article.published_at.desc(), Article.id.desc())

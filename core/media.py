"""The tenant's media library: files in core storage, described by a row each. Components refer
to them as `media:<id>`; the renderer resolves a page's references in one query."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.storage import storage
from core.tenancy import TenantModel


class Media(TenantModel):
    __tablename__ = "media"

    key: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    thumbnail_key: Mapped[str | None] = mapped_column(String(300))
    alt: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def media_ids(refs) -> set[int]:
    return {int(ref[6:]) for ref in refs if isinstance(ref, str) and ref.startswith("media:")}


def resolve_media(refs) -> dict[str, dict]:
    """`media:<id>` and https references -> {"url", "thumbnail", "width", "height", "alt"}. A
    reference to deleted or unknown media is absent from the answer (it renders as nothing)."""
    ids = media_ids(refs)
    out: dict[str, dict] = {}
    if ids:
        store = storage()
        for row in db.session.scalars(select(Media).where(Media.id.in_(ids), Media.deleted_at.is_(None))):
            out[f"media:{row.id}"] = {"url": store.url(row.key),
                                      "thumbnail": store.url(row.thumbnail_key or row.key),
                                      "width": row.width, "height": row.height, "alt": row.alt}
    for ref in refs:
        if isinstance(ref, str) and ref.startswith("https://"):
            out[ref] = {"url": ref, "thumbnail": ref, "width": None, "height": None, "alt": ""}
    return out

"""The tenant's media library: files in core storage, described by a row each. Components refer
to them as `media:<id>`; the renderer resolves a page's references in one query."""

from __future__ import annotations

import datetime as dt
import io

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.paging import newest_first
from core.db import UTCDateTime, db, utcnow
from core.errors import APIError
from core.ids import new_id
from core.jobs import enqueue, job
from core.plans import register_limit, require_room
from core.storage import storage
from core.tenancy import TenantModel, current_tenant_id


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
        rows = db.session.execute(select(Media.id, Media.key, Media.thumbnail_key, Media.width, Media.height, Media.alt)
                                  .where(Media.id.in_(ids), Media.deleted_at.is_(None)))
        for row in rows:  # plain rows, not entities: this runs on every uncached page
            out[f"media:{row.id}"] = {"url": store.url(row.key),
                                      "thumbnail": store.url(row.thumbnail_key or row.key),
                                      "width": row.width, "height": row.height, "alt": row.alt}
    for ref in refs:
        if isinstance(ref, str) and ref.startswith("https://"):
            out[ref] = {"url": ref, "thumbnail": ref, "width": None, "height": None, "alt": ""}
    return out


# -- uploads ----------------------------------------------------------------------------------

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (360, 360)
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "GIF": ("image/gif", "gif"),
           "WEBP": ("image/webp", "webp")}


def _stored() -> int:
    """Bytes of the shop's media kept (their thumbnails not counted)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Media.size), 0)).where(Media.deleted_at.is_(None))))


register_limit("storage", _l("Storage (MB)"), _stored, scale=1024 * 1024)


def inspect_image(data: bytes, *, field: str = "file", max_bytes: int = MAX_BYTES) -> tuple[str, tuple[int, int]]:
    """The format and size of an uploaded image: a real PNG, JPEG, GIF or WebP, at most
    `max_bytes` and 40 megapixels; 422 on `field` otherwise."""
    if not data:
        raise APIError("invalid_input", fields={field: ["Choose an image file."]})
    if len(data) > max_bytes:
        limit = f"{max_bytes / 1048576:.0f} MB" if max_bytes >= 1048576 else f"{max_bytes // 1024} KB"
        raise APIError("invalid_input", fields={field: [f"The file is {len(data) / 1048576:.1f} MB; the limit is {limit}."]})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise APIError("invalid_input", fields={field: ["This is not a PNG, JPEG, GIF or WebP image."]}) from None
    if image_format not in FORMATS:
        raise APIError("invalid_input", fields={field: [f"{image_format} images are not accepted; use PNG, JPEG, GIF or WebP."]})
    if size[0] * size[1] > MAX_PIXELS:
        raise APIError("invalid_input", fields={field: ["The image has too many pixels (40 megapixels at most)."]})
    return image_format, size


def upload_media(*, data: bytes, filename: str, alt: str = "") -> Media:
    """Check an uploaded image (`inspect_image`), store it and describe it; its thumbnail is made
    by a job after commit."""
    image_format, size = inspect_image(data)
    require_room("storage", adding=len(data))
    content_type, extension = FORMATS[image_format]
    media_id = new_id()
    key = f"t/{current_tenant_id()}/media/{media_id}.{extension}"
    storage().put(key, data, content_type)
    row = Media(id=media_id, key=key, filename=(filename or f"image.{extension}")[-200:], content_type=content_type,
                size=len(data), width=size[0], height=size[1], alt=(alt or "")[:200])
    db.session.add(row)
    db.session.flush()
    enqueue("media.thumbnail", media_id)
    return row


@job("media.thumbnail")
def make_thumbnail(media_id: int) -> None:
    row = Media.get(media_id)
    if row is None or row.thumbnail_key or row.deleted_at is not None:
        return  # done already, or gone: a redelivered job does nothing
    with storage().open(row.key) as handle, Image.open(handle) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        output = io.BytesIO()
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(output, format="WEBP", quality=80)
    key = row.key.rsplit(".", 1)[0] + ".thumb.webp"
    storage().put(key, output.getvalue(), "image/webp")
    row.thumbnail_key = key


def list_media(*, before: int | None = None, limit: int = 40) -> tuple[list[Media], int | None]:
    """The library, newest first, keyset-paged by id."""
    return newest_first(select(Media).where(Media.deleted_at.is_(None)), Media.id, limit=limit, before=before)


def delete_media(row: Media) -> None:
    """Soft delete: drafts that still point at it render nothing there."""
    row.deleted_at = row.deleted_at or utcnow()


def media_json(row: Media) -> dict:
    store = storage()
    return {"id": str(row.id), "ref": f"media:{row.id}", "url": store.url(row.key),
            "thumbnail": store.url(row.thumbnail_key or row.key), "filename": row.filename,
            "content_type": row.content_type, "size": row.size, "width": row.width, "height": row.height,
            "alt": row.alt, "created_at": row.created_at.isoformat()}

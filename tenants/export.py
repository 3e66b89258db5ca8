"""A shop's data as one download (the console's "Export data"): a zip of `data.json` — the
shop's row and every row of every tenant table, table by table — and `media/`, the pictures'
files. What would let someone sign in or take payments is left out: password and token hashes,
one-time codes, encrypted provider credentials, and the request log of idempotency keys."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import json
import tempfile
import zipfile
from typing import IO

from sqlalchemy import select

from core.db import db
from core.media import Media
from core.storage import StorageError, storage
from core.tenancy import Tenant, tenant_scope, tenant_tables

LEFT_OUT_TABLES = frozenset({"idempotency_keys", "login_codes", "access_tokens", "staff_tokens"})
LEFT_OUT_COLUMNS = frozenset({"password_hash", "secret_hash", "code_hash", "credentials", "request_hash"})
JS_SAFE = 2**53  # larger whole numbers (ids) go out as strings, as the APIs send them


def _plain(value):
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) >= JS_SAFE else value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)


def _rows(table, tenant_id: int) -> list[dict]:
    """The shop's rows of a table (a Core select: the tenant is named here, as well as by
    PostgreSQL's row-level security)."""
    columns = [column for column in table.columns if column.name not in LEFT_OUT_COLUMNS]
    statement = select(*columns).where(table.c.tenant_id == tenant_id).order_by(*table.primary_key.columns)
    return [{column.name: _plain(value) for column, value in zip(columns, row)}
            for row in db.session.execute(statement)]


def export_tenant(tenant: Tenant) -> IO[bytes]:
    """The zip, in a temporary file positioned at its start (the caller sends and closes it)."""
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    shop = {column.name: _plain(getattr(tenant, column.key)) for column in Tenant.__table__.columns}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive, tenant_scope(tenant):
        tables = {table.name: _rows(table, tenant.id) for table in sorted(tenant_tables(), key=lambda t: t.name)
                  if table.name not in LEFT_OUT_TABLES}
        archive.writestr("data.json", json.dumps({"format": "tessera-export-1", "exported_at": _plain(
            dt.datetime.now(dt.UTC)), "shop": shop, "tables": tables}, ensure_ascii=False, indent=1))
        for media in db.session.scalars(select(Media).where(Media.deleted_at.is_(None)).order_by(Media.id)):
            for key in filter(None, (media.key, media.thumbnail_key)):
                try:
                    with storage().open(key) as source:
                        archive.writestr(f"media/{key}", source.read())
                except (StorageError, OSError):
                    archive.writestr(f"media/{key}.missing", b"")  # said, not silently dropped
    out.seek(0)
    return out

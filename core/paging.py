"""Keyset paging by id, newest first (DESIGN.md §7: `?limit=&cursor=` → `{"items", "next_cursor"}`):
the one way every list pages, so a page costs one query however deep it is."""

from __future__ import annotations

from flask import request

from core.db import db
from core.errors import APIError
from core.ids import parse_id


def newest_first(statement, id_column, *, limit: int, before: int | None = None) -> tuple[list, int | None]:
    """A page of `statement`'s rows with ids below `before`, newest first, and the cursor of the
    next page (the last id shown; None on the last page)."""
    if before:
        statement = statement.where(id_column < before)
    rows = list(db.session.scalars(statement.order_by(id_column.desc()).limit(limit + 1)))
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


def page_arguments(*, default: int = 20, most: int = 50) -> tuple[int, int | None]:
    """The request's `limit` (1 to `most`) and `cursor` (an id given out as `next_cursor`); 422
    naming the argument otherwise."""
    raw_limit = request.args.get("limit")
    limit = int(raw_limit) if raw_limit and raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) < 4 \
        else (default if raw_limit is None else 0)
    if not 1 <= limit <= most:
        raise APIError("invalid_input", fields={"limit": [f"Use a limit from 1 to {most}."]})
    cursor = request.args.get("cursor")
    before = parse_id(cursor) if cursor else None
    if cursor and before is None:
        raise APIError("invalid_input", fields={"cursor": ["Not a cursor."]})
    return limit, before

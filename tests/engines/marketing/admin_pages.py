"""What the marketing back-office tests share: a tool's rows as the database holds them now, its
audit trail, and what a form page shows."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope


def fresh_row(model, tenant, row_id: int):
    """One row of `model`, read again from the database (not the session's copy)."""
    with tenant_scope(tenant):
        return db.session.scalar(select(model).where(model.id == row_id).execution_options(populate_existing=True))


def rows_of(model, tenant) -> list:
    """Every row of `model` in the shop, oldest first, read again from the database."""
    with tenant_scope(tenant):
        return list(db.session.scalars(select(model).order_by(model.id).execution_options(populate_existing=True)))


def audit_actions(tenant, prefix: str) -> list[str]:
    """The audited actions of the shop named `<prefix>.…`, in order."""
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant.id,
                                                                   AuditEntry.action.like(f"{prefix}.%"))
                                   .order_by(AuditEntry.at, AuditEntry.id)))


def field_errors(page: str) -> dict[str, list[str]]:
    """The messages shown for each field of a form page, by the id of the label they follow."""
    found: dict[str, list[str]] = {}
    label = None
    for match in re.finditer(r'<label class="[^"]*" for="([^"]+)"|<div class="invalid-feedback d-block"[^>]*>'
                             r'([^<]*)</div>', page):
        if match.group(1):
            label = match.group(1)
        else:
            found.setdefault(label, []).append(html.unescape(match.group(2)))
    return found


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))

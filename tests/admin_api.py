"""Helpers for Admin API tests: a staff member of a shop with a staff API token."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

from core.identities import add_staff, create_identity
from core.staff_tokens import create_token, grantable_permissions
from core.tenancy import tenant_scope


def staff_token(db_session, tenant, *, role: str = "owner", permissions: list[str] | None = None,
                email: str | None = None, expires_in_days: int | None = None) -> SimpleNamespace:
    """A new staff member of `tenant` with `role` and a token carrying `permissions` (default:
    every permission of the role a token may carry), committed; `headers` send the token."""
    identity = create_identity(email=email or f"s{secrets.token_hex(4)}@staff.example.com", password="password123")
    with tenant_scope(tenant):
        member = add_staff(identity=identity, role=role)
        db_session.flush()
        token, text = create_token(member=member, name="Test integration", actor=identity, via="test",
                                   permissions=grantable_permissions(role) if permissions is None else permissions,
                                   expires_in_days=expires_in_days)
        db_session.commit()
    return SimpleNamespace(text=text, token_id=token.id, member_id=member.id, identity=identity, tenant=tenant,
                           headers={"Authorization": f"Bearer {text}"})

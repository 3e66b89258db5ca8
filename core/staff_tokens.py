"""Staff API tokens: what the merchant's integrations (ERP, CRM, WMS) and scripts call the Admin
API with (DESIGN.md §4, "Three APIs, one set of services").

A token belongs to one staff member of one shop and carries a subset of the permissions of the
member's role. What it may do is decided at every request: its permissions intersected with what
the member's role holds then — a role that shrinks takes the token's power with it, and a member
who leaves the staff takes their tokens along (the rows go with the membership).

Tokens read `tst_<tenant>_<token id>_<secret>` (consumer tokens are `tsk_…`): the shop and the
row are named in the clear, so a request finds its shop without a cross-tenant lookup; only a
SHA-256 of the secret is stored, compared in constant time. The secret is shown once, when the
token is made. Every creation and revocation leaves an audit row, never the secret."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import JSON, BigInteger, Index, String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import UTCDateTime, db, utcnow
from core.errors import APIError
from core.identities import Identity, StaffMember
from core.ids import parse_id
from core.permissions import PERMISSIONS, ROLE_PERMISSIONS, Role
from core.tenancy import TenantModel, current_tenant_id, tenant_fk

PREFIX = "tst"
MAX_NAME = 80
MAX_LIFETIME_DAYS = 3650
TOUCH_EVERY = dt.timedelta(minutes=1)  # `last_used_at` is written at most this often per token
NEVER_GRANTED = frozenset({"api_tokens.manage"})  # a token never makes tokens


class StaffToken(TenantModel):
    __tablename__ = "staff_tokens"
    # A member's tokens go with their membership: a removed member's token names no one.
    __table_args__ = (tenant_fk(["staff_member_id"], "staff_members", ondelete="CASCADE"),
                      Index(None, "tenant_id", "staff_member_id"))

    staff_member_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    secret_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list] = mapped_column(JSON, default=list)  # names from core.permissions.PERMISSIONS
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # None: until revoked
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def state(self, now: dt.datetime | None = None) -> str:
        """"active", "revoked" or "expired"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def grantable_permissions(role: str) -> list[str]:
    """The permissions a token of a member with `role` may carry: what the role holds, in the
    registry's order, but never the making of tokens."""
    held = ROLE_PERMISSIONS.get(Role(role), set())
    return [name for name in PERMISSIONS if name in held and name not in NEVER_GRANTED]


def _checked_permissions(member: StaffMember, permissions: list[str]) -> list[str]:
    """`permissions` without repeats, in the registry's order; 422 on `permissions` naming those
    that do not exist or that the member's role does not hold."""
    if not isinstance(permissions, (list, tuple)) or not all(isinstance(name, str) for name in permissions):
        raise APIError("invalid_input", fields={"permissions": ["Name permissions, such as catalog.manage."]})
    wanted = {name.strip() for name in permissions if name.strip()}
    if not wanted:
        raise APIError("invalid_input", fields={"permissions": ["Choose at least one permission."]})
    unknown = sorted({name for name in wanted if name not in PERMISSIONS})
    if unknown:
        raise APIError("invalid_input", fields={"permissions": [f"There is no permission {', '.join(unknown)}."]})
    grantable = grantable_permissions(member.role)
    refused = sorted(wanted - set(grantable))
    if refused:
        raise APIError("invalid_input", fields={"permissions": [
            f"The role {member.role} does not hold {', '.join(refused)}." if set(refused) - NEVER_GRANTED
            else f"A token cannot carry {', '.join(refused)}."]})
    return [name for name in grantable if name in wanted]


def create_token(*, member: StaffMember, name: str, permissions: list[str], expires_in_days: int | None = None,
                 actor: Identity | None, via: str, now: dt.datetime | None = None) -> tuple[StaffToken, str]:
    """A new token of `member` carrying `permissions` (a subset of the member's role), and its
    text — the only time the secret is seen. Refuses (422) a missing or long name, permissions
    the role does not hold, a lifetime outside 1 to MAX_LIFETIME_DAYS days. Audited as
    `api_token.create` by `actor` (None: the operator, `via` says how)."""
    now = now or utcnow()
    name = (name or "").strip()
    errors = {}
    if not 1 <= len(name) <= MAX_NAME:
        errors["name"] = [f"Name the token (at most {MAX_NAME} characters), after what will use it."]
    if expires_in_days is not None and (type(expires_in_days) is not int
                                        or not 1 <= expires_in_days <= MAX_LIFETIME_DAYS):
        errors["expires_in_days"] = [f"A token lasts 1 to {MAX_LIFETIME_DAYS} days, or until it is revoked."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    granted = _checked_permissions(member, permissions)
    secret = secrets.token_urlsafe(32)
    token = StaffToken(staff_member_id=member.id, name=name, secret_hash=_digest(secret), permissions=granted,
                       created_at=now, expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.create", actor=actor, tenant_id=current_tenant_id(), target=f"api token {token.id}",
                 details={"name": name, "staff_member": str(member.id), "permissions": granted, "via": via,
                          "expires_at": token.expires_at.isoformat() if token.expires_at else None})
    return token, f"{PREFIX}_{token.tenant_id}_{token.id}_{secret}"


def find_token(token_id: int | None) -> StaffToken:
    token = StaffToken.get(token_id) if token_id else None
    if token is None:
        raise APIError("not_found", "There is no such API token.")
    return token


def revoke_token(token: StaffToken, *, actor: Identity | None, via: str, now: dt.datetime | None = None) -> bool:
    """Revoke a token: the next request with it is refused (tokens are checked at every request,
    not remembered). False, and no audit row, when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    audit.record("api_token.revoke", actor=actor, tenant_id=current_tenant_id(), target=f"api token {token.id}",
                 details={"name": token.name, "staff_member": str(token.staff_member_id), "via": via})
    return True


def tokens_of_shop() -> list[tuple[StaffToken, StaffMember, Identity]]:
    """Every token of the current shop with its member and person, newest first."""
    rows = db.session.execute(
        select(StaffToken, StaffMember, Identity)
        .join(StaffMember, (StaffMember.tenant_id == StaffToken.tenant_id) & (StaffMember.id == StaffToken.staff_member_id))
        .join(Identity, Identity.id == StaffMember.identity_id)
        .order_by(StaffToken.id.desc())).all()
    return [(token, member, identity) for token, member, identity in rows]


def parse_token(raw: str) -> tuple[int, int, str] | None:
    """(tenant id, token id, secret) of a staff token's text, or None when it is not one (a
    consumer's `tsk_` token included). Ids as core.ids.parse_id reads them: ASCII digits up to
    BIGINT's maximum."""
    parts = (raw or "").split("_", 3)
    if len(parts) != 4 or parts[0] != PREFIX or not parts[3]:
        return None
    tenant_id, token_id = parse_id(parts[1]), parse_id(parts[2])
    if tenant_id is None or token_id is None:
        return None
    return tenant_id, token_id, parts[3]


@dataclasses.dataclass(frozen=True)
class StaffCaller:
    """Who calls the Admin API: the token, its member and person, and what it may do now. `id`
    and `email` are the person's, so it is the actor of an audit row (`core.audit.record`)."""

    token_id: int
    token_name: str
    member_id: int
    role: str
    id: int
    email: str
    permissions: tuple[str, ...]
    expires_at: dt.datetime | None
    touch_due: bool  # last_used_at is older than TOUCH_EVERY

    def can(self, permission: str) -> bool:
        return permission in self.permissions


_CALLER = (select(StaffToken.id, StaffToken.name, StaffToken.secret_hash, StaffToken.permissions,
                  StaffToken.expires_at, StaffToken.revoked_at, StaffToken.last_used_at, StaffMember.id.label("member_id"),
                  StaffMember.role, Identity.id.label("identity_id"), Identity.email, Identity.is_active)
           .join(StaffMember, (StaffMember.tenant_id == StaffToken.tenant_id) & (StaffMember.id == StaffToken.staff_member_id))
           .join(Identity, Identity.id == StaffMember.identity_id))


def caller_for_token(token_id: int, secret: str, *, now: dt.datetime | None = None) -> StaffCaller | None:
    """The caller of a live token of the current shop, or None: unknown, wrong secret, revoked,
    expired, or its person can no longer sign in. One query, every request — a revocation or a
    role change counts from the next request on, in every process."""
    now = now or utcnow()
    row = db.session.execute(_CALLER.where(StaffToken.id == token_id)).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now) or not row.is_active:
        return None
    held = ROLE_PERMISSIONS.get(Role(row.role), set())
    return StaffCaller(token_id=row.id, token_name=row.name, member_id=row.member_id, role=row.role,
                       id=row.identity_id, email=row.email,
                       permissions=tuple(name for name in row.permissions if name in held and name not in NEVER_GRANTED),
                       expires_at=row.expires_at,
                       touch_due=row.last_used_at is None or row.last_used_at <= now - TOUCH_EVERY)


def touch_token(token_id: int, *, now: dt.datetime | None = None) -> bool:
    """Record that a token was used: one conditional UPDATE that changes nothing when it was
    recorded less than TOUCH_EVERY ago (concurrent requests write it once)."""
    now = now or utcnow()
    result = db.session.execute(
        update(StaffToken).where(StaffToken.id == token_id,
                                 or_(StaffToken.last_used_at.is_(None), StaffToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1

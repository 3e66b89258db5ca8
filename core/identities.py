"""Platform identities (merchant staff, resellers, platform admins) and their memberships in
tenants. One email, one password; a `StaffMember` row per tenant gives a role there."""

from __future__ import annotations

import datetime as dt

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, add_unique, db, utcnow
from core.errors import APIError
from core.ids import new_id
from core.passwords import hash_password, password_problem, verify_password
from core.permissions import Role, role_has
from core.plans import register_limit, require_room
from core.tenancy import Tenant, TenantModel, current_tenant_id, platform_scope

def normalize_email(email: str) -> str:
    """An email address as it is stored and looked up: lower-cased and checked by the
    email-validator package (no deliverability check: no DNS) — the one rule of the command
    line, the services and the console forms (core.forms.ValidEmail), so an address accepted
    anywhere can sign in. Refuses (422 on `email`) what that package refuses: no dot in the
    domain ("a@b"), special-use names ("x@localhost", ".invalid"), quoted local parts, IP
    literals, consecutive dots, more than 254 characters."""
    try:
        checked = validate_email((email or "").strip().lower(), check_deliverability=False)
    except EmailNotValidError as error:
        raise APIError("invalid_input", fields={"email": [f"Enter a valid email address. {error}"]}) from None
    if len(checked.normalized) > 254:
        raise APIError("invalid_input", fields={"email": ["Enter a valid email address of at most 254 characters."]})
    return checked.normalized


class Identity(db.Model):
    """A person who signs in to the consoles. Platform table."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # None: a merchant who signed up and has not yet followed the link mailed to them (whoever
    # an admin, the CLI or a shop's owner creates is taken at their word)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class StaffMember(TenantModel):
    """An identity's membership of one tenant, with its role."""

    __tablename__ = "staff_members"
    __table_args__ = (UniqueConstraint("tenant_id", "identity_id"),)

    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def can(self, permission: str) -> bool:
        return role_has(self.role, permission)


def find_identity(email: str) -> Identity | None:
    """The identity of an address in any form normalize_email accepts (None for one it refuses)."""
    try:
        email = normalize_email(email)
    except APIError:
        return None
    return db.session.scalar(select(Identity).where(Identity.email == email))


def create_identity(*, email: str, password: str, name: str = "", platform_admin: bool = False) -> Identity:
    """A new identity; refuses a taken email or a weak password."""
    email = normalize_email(email)
    problem = password_problem(password)
    if problem:
        raise APIError("invalid_input", fields={"password": [problem]})
    if find_identity(email):
        raise APIError("already_exists", "An account with this email already exists.", fields={"email": ["Taken."]})
    identity = Identity(email=email, name=name.strip(), password_hash=hash_password(password),
                        is_platform_admin=platform_admin)
    return add_unique(identity, APIError("already_exists", "An account with this email already exists.",
                                         fields={"email": ["Taken."]}))


def authenticate_identity(email: str, password: str) -> Identity | None:
    identity = find_identity(email or "")
    if not verify_password(identity.password_hash if identity else None, password or ""):
        return None
    if not identity.is_active:
        return None
    identity.last_login_at = utcnow()
    return identity


def memberships_of(identity_id: int) -> list[tuple[StaffMember, Tenant]]:
    """Every shop an identity works in: a cross-tenant read, hence the platform scope."""
    with platform_scope():
        rows = db.session.execute(
            select(StaffMember, Tenant).join(Tenant, Tenant.id == StaffMember.tenant_id)
            .where(StaffMember.identity_id == identity_id).order_by(Tenant.name)).all()
    return [(member, tenant) for member, tenant in rows]


def _staff_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StaffMember))


register_limit("staff", _l("Staff accounts"), _staff_count)


def staff_member_for(identity_id: int) -> StaffMember | None:
    """The membership of an identity in the current tenant."""
    return db.session.scalar(select(StaffMember).where(StaffMember.identity_id == identity_id))


def add_staff(*, identity: Identity, role: str) -> StaffMember:
    role = Role(role)
    if staff_member_for(identity.id):
        raise APIError("already_exists", "This person is already on the staff.", fields={"email": ["Already staff."]})
    require_room("staff")
    return add_unique(StaffMember(identity_id=identity.id, role=role.value),
                      APIError("already_exists", "This person is already on the staff.", fields={"email": ["Already staff."]}))


def change_role(*, member: StaffMember, role: str) -> StaffMember:
    """Refuses to leave the shop without an owner."""
    role = Role(role)
    if member.role == Role.OWNER and role != Role.OWNER and _owner_count() <= 1:
        raise APIError("conflict", "A shop needs at least one owner.", fields={"role": ["Last owner."]})
    member.role = role.value
    return member


def remove_staff(*, member: StaffMember) -> None:
    if member.role == Role.OWNER and _owner_count() <= 1:
        raise APIError("conflict", "A shop needs at least one owner.")
    db.session.delete(member)


def _owner_count() -> int:
    current_tenant_id()
    return db.session.scalar(select(func.count()).select_from(StaffMember).where(StaffMember.role == Role.OWNER))

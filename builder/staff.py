"""Staff management of the current shop: the write path behind the back office's staff page."""

from __future__ import annotations

from core import audit
from core.errors import APIError
from core.identities import Identity, StaffMember, add_staff, change_role, create_identity, find_identity, remove_staff
from core.tenancy import current_tenant_id


def invite_staff(*, email: str, role: str, name: str = "", password: str | None = None,
                 actor: Identity) -> StaffMember:
    """Give a person a role in the current shop; a new person needs a password."""
    identity = find_identity(email)
    if identity is None:
        if not password:
            raise APIError("invalid_input", fields={"password": ["This person has no account yet: set a password."]})
        identity = create_identity(email=email, password=password, name=name or "")
    member = add_staff(identity=identity, role=role)
    audit.record("staff.add", actor=actor, tenant_id=current_tenant_id(), target=identity.email, details={"role": role})
    return member


def set_staff_role(*, member: StaffMember, role: str, actor: Identity) -> StaffMember:
    before = member.role
    change_role(member=member, role=role)
    audit.record("staff.role", actor=actor, tenant_id=current_tenant_id(), target=str(member.identity_id),
                 details={"from": before, "to": role})
    return member


def dismiss_staff(*, member: StaffMember, actor: Identity) -> None:
    if member.identity_id == actor.id:
        raise APIError("conflict", "You cannot remove yourself; ask another owner.")
    remove_staff(member=member)
    audit.record("staff.remove", actor=actor, tenant_id=current_tenant_id(), target=str(member.identity_id))

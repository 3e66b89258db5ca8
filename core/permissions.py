"""Permissions and roles of merchant staff (DESIGN.md §6).

A permission is a dotted name registered by the package that checks it; a role is a set of
permissions. owner, manager and clerk are built in; engines extend the registry with
`register_permission(..., roles=...)` when they are imported."""

from __future__ import annotations

import dataclasses
import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CLERK = "clerk"


ROLE_LABELS = {Role.OWNER: _l("Owner"), Role.MANAGER: _l("Manager"), Role.CLERK: _l("Clerk")}


@dataclasses.dataclass(frozen=True)
class Permission:
    name: str
    label: str


PERMISSIONS: dict[str, Permission] = {}
ROLE_PERMISSIONS: dict[Role, set[str]] = {role: set() for role in Role}


def register_permission(name: str, label, *, roles: tuple[Role, ...]) -> None:
    """Declare a permission and the built-in roles that hold it (owner holds every one)."""
    PERMISSIONS[name] = Permission(name, label)
    ROLE_PERMISSIONS[Role.OWNER].add(name)
    for role in roles:
        ROLE_PERMISSIONS[role].add(name)


def role_has(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(Role(role), set())


register_permission("dashboard.view", _l("See the dashboard"), roles=(Role.MANAGER, Role.CLERK))
register_permission("staff.view", _l("See staff"), roles=(Role.MANAGER,))
register_permission("staff.manage", _l("Invite, change and remove staff"), roles=())
register_permission("api_tokens.manage", _l("Create and revoke staff API tokens"), roles=())

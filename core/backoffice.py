"""The merchant back office's navigation, which engines extend: each entry shows only to staff
whose role holds its permission (DESIGN.md §6 — link only to what exists)."""

from __future__ import annotations

import dataclasses

from flask import g, request, url_for


@dataclasses.dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object  # a lazy gettext string
    icon: str  # a Tabler icon name
    permission: str
    order: int = 100


NAV: list[NavEntry] = []


def register_nav(endpoint: str, label, *, icon: str, permission: str, order: int = 100) -> None:
    if any(entry.endpoint == endpoint for entry in NAV):
        return
    NAV.append(NavEntry(endpoint, label, icon, permission, order))
    NAV.sort(key=lambda entry: entry.order)


def _active(entry: NavEntry, endpoint: str) -> bool:
    """An engine's entry stays lit on every page of its blueprint; the core pages match exactly."""
    blueprint = entry.endpoint.rsplit(".", 1)[0]
    return endpoint == entry.endpoint or (blueprint != "merchant" and endpoint.startswith(blueprint + "."))


def backoffice_nav() -> list[dict]:
    """The entries the signed-in staff member may open, for the layout template."""
    staff = g.get("staff")
    if staff is None:
        return []
    endpoint = request.endpoint or ""
    return [{"url": url_for(entry.endpoint), "icon": entry.icon, "label": entry.label, "active": _active(entry, endpoint)}
            for entry in NAV if staff.can(entry.permission)]

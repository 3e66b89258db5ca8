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


def _lit(entries: list[NavEntry], endpoint: str) -> NavEntry | None:
    """The one entry to light: the page's own, else the first entry of the page's engine (its
    other pages: an order's detail lights "Orders", not every entry of the orders engine)."""
    exact = next((entry for entry in entries if entry.endpoint == endpoint), None)
    if exact is not None:
        return exact
    blueprint = endpoint.rsplit(".", 1)[0]
    return next((entry for entry in entries if blueprint != "merchant"
                 and entry.endpoint.rsplit(".", 1)[0] == blueprint), None)


def backoffice_nav() -> list[dict]:
    """The entries the signed-in staff member may open, for the layout template."""
    staff = g.get("staff")
    if staff is None:
        return []
    entries = [entry for entry in NAV if staff.can(entry.permission)]
    lit = _lit(entries, request.endpoint or "")
    return [{"url": url_for(entry.endpoint), "icon": entry.icon, "label": entry.label, "active": entry is lit}
            for entry in entries]

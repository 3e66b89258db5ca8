"""What every back-office page shares: the navigation, which engines extend (each entry shows only
to staff whose role holds its permission — DESIGN.md §6, link only to what exists), the audit row
of a staff member's write, and the routine of a form that saves through a service."""

from __future__ import annotations

import dataclasses

from typing import Any, Callable

from flask import flash, g, redirect, request, url_for


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
    """The one entry to light: the page's own; else the entry whose address is the longest
    beginning of the page's (a promotion's page lights "Promotions", not the engine's first entry);
    else the first entry of the page's engine (an order's detail lights "Orders")."""
    exact = next((entry for entry in entries if entry.endpoint == endpoint), None)
    if exact is not None:
        return exact
    path = request.path.rstrip("/")
    under = [(len(url), entry) for entry in entries  # not the back office's root (the dashboard)
             if (url := url_for(entry.endpoint).rstrip("/")).count("/") > 1 and path.startswith(url + "/")]
    if under:
        return max(under, key=lambda pair: pair[0])[1]
    blueprint = endpoint.rsplit(".", 1)[0]
    return next((entry for entry in entries if blueprint != "merchant"
                 and entry.endpoint.rsplit(".", 1)[0] == blueprint), None)


def _plan_of_shop():
    from core.db import db
    from core.plans import Plan

    shop = g.get("shop")
    return db.session.get(Plan, shop.plan_id) if shop is not None and shop.plan_id else None


def _in_plan(entry: NavEntry, plan) -> bool:
    """Whether the shop's plan includes the engine of the entry's page (the other pages: always)."""
    from core.engines import GATED_BLUEPRINTS

    engine = GATED_BLUEPRINTS.get(entry.endpoint.rsplit(".", 1)[0])
    return plan is None or engine is None or plan.includes(engine.name)


def backoffice_nav() -> list[dict]:
    """The entries the signed-in staff member may open, for the layout template."""
    staff = g.get("staff")
    if staff is None:
        return []
    plan = _plan_of_shop()
    entries = [entry for entry in NAV if staff.can(entry.permission) and _in_plan(entry, plan)]
    lit = _lit(entries, request.endpoint or "")
    return [{"url": url_for(entry.endpoint), "icon": entry.icon, "label": entry.label, "active": entry is lit}
            for entry in entries]


def record_staff_action(action: str, target: str, details: dict | None = None) -> None:
    """The audit row of a back-office write: who (the signed-in staff member), in which shop,
    from where, what and on what."""
    from core import audit
    from core.staff_session import signed_in_identity

    audit.record(action, actor=signed_in_identity(), tenant_id=g.shop.id, target=target, details=details or {},
                 ip=request.remote_addr)


def save_form(form, work: Callable[[], Any], *, audit_as: Callable[[Any], tuple[str, str, dict]],
              saved: str | Callable[[Any], str], then: Callable[[Any], str]):
    """A form's write through a service: `work()` runs; a refusal (APIError) puts its messages on
    the form's fields and leaves nothing written (None: the view shows the form again, 400); on
    success the write is audited (`audit_as(result)` → action, target, details), committed,
    flashed (`saved`) and the browser sent to `then(result)`."""
    from core.db import db
    from core.errors import APIError
    from core.forms import show_errors

    try:
        result = work()
    except APIError as error:
        db.session.rollback()
        show_errors(form, error)
        return None
    record_staff_action(*audit_as(result))
    db.session.commit()
    flash(saved(result) if callable(saved) else saved, "success")
    return redirect(then(result))

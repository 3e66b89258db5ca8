"""Plans in the console: create and change them, and put a shop on one. Each write leaves an audit
row; the entitlement function that reads them is core.plans'."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core import audit
from core.engines import plan_engines
from core.db import add_unique, db
from core.errors import APIError
from core.identities import Identity
from core.money import CURRENCIES
from core.plans import LIMITS, Plan, all_plans
from core.tenancy import Tenant

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")


def _checked(*, slug: str, name: str, price: int, currency: str, limits: dict, plan: Plan | None,
             trial_days: int, engines: list | None) -> dict:
    errors: dict[str, list[str]] = {}
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        errors["slug"] = ["Use 2 to 40 lowercase letters, digits and dashes."]
    elif db.session.scalar(select(Plan.id).where(Plan.slug == slug, Plan.id != (plan.id if plan else 0))):
        errors["slug"] = ["Another plan has this name."]
    if not (name or "").strip():
        errors["name"] = ["Give the plan a name."]
    if not isinstance(price, int) or price < 0:
        errors["price"] = ["A price of 0 or more."]
    if currency not in CURRENCIES:
        errors["currency"] = [f"Unknown currency {currency!r}."]
    if not isinstance(trial_days, int) or not 0 <= trial_days <= 365:
        errors["trial_days"] = ["A number of days from 0 (no trial) to 365."]
    gated = [engine.name for engine in plan_engines()]
    if engines is not None and (not isinstance(engines, list) or any(name not in gated for name in engines)):
        errors["engines"] = [f"Name engines a plan may leave out: {', '.join(gated)}."]
    for key, value in limits.items():
        if key not in LIMITS:
            errors[key] = ["Not a limit Tessera counts."]
        elif value is not None and (not isinstance(value, int) or value < 0):
            errors[key] = ["A whole number of 0 or more; blank for no limit."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    engines = None if engines is None or set(engines) >= set(gated) else [name for name in gated if name in engines]
    return {"slug": slug, "name": name.strip()[:60], "price": price, "currency": currency, "trial_days": trial_days,
            "engines": engines,
            "limits": {key: value for key, value in limits.items() if value is not None}}


def create_plan(*, slug: str, name: str, price: int, currency: str = "CNY", limits: dict, position: int = 0,
                active: bool = True, trial_days: int = 0, engines: list | None = None,
                actor: Identity | None = None) -> Plan:
    """A plan; `engines` the ones it enables of those a plan may leave out (None: all)."""
    values = _checked(slug=slug, name=name, price=price, currency=currency, limits=limits, plan=None,
                      trial_days=trial_days, engines=engines)
    plan = add_unique(Plan(**values, position=position, active=active),
                      APIError("invalid_input", fields={"slug": ["Another plan has this name."]}))
    audit.record("plan.create", actor=actor, target=plan.slug, details={"limits": plan.limits, "price": plan.price,
                                                                       "trial_days": plan.trial_days,
                                                                       "engines": plan.engines})
    return plan


def update_plan(plan: Plan, *, slug: str, name: str, price: int, currency: str, limits: dict, position: int,
                active: bool, trial_days: int = 0, engines: list | None = None,
                actor: Identity | None = None) -> Plan:
    values = _checked(slug=slug, name=name, price=price, currency=currency, limits=limits, plan=plan,
                      trial_days=trial_days, engines=engines)
    for key, value in {**values, "position": position, "active": active}.items():
        setattr(plan, key, value)
    db.session.flush()
    audit.record("plan.update", actor=actor, target=plan.slug, details={"limits": plan.limits, "price": plan.price,
                                                                       "active": active})
    return plan


def assign_plan(tenant: Tenant, plan: Plan | None, *, actor: Identity | None = None, ip: str | None = None) -> Tenant:
    """Put a shop on a plan (None: no plan, unlimited). What it has already stays; what it adds
    from now on is counted against the new plan's limits."""
    before = tenant.plan_id
    tenant.plan_id = plan.id if plan is not None else None
    if before != tenant.plan_id:
        audit.record("tenant.plan", actor=actor, tenant_id=tenant.id, target=tenant.slug, ip=ip, reseller_id=tenant.reseller_id,
                     details={"plan": plan.slug if plan is not None else None})
    return tenant


def plans_with_shops() -> list[tuple[Plan, int]]:
    """Every plan, in the order offered, with how many shops are on it."""
    counts = dict(db.session.execute(select(Tenant.plan_id, func.count()).where(Tenant.plan_id.is_not(None))
                                     .group_by(Tenant.plan_id)).all())
    return [(plan, counts.get(plan.id, 0)) for plan in all_plans()]

"""Plans and the one entitlement function (DESIGN.md §6): what a tenant's plan lets it have.

A plan (a platform table, managed in the console) names its price and its quotas — `limits`,
{limit name: how many}, a name left out being unlimited. The limits are those registered here
by the part that owns what is counted (`register_limit`: the catalog counts items, core its
staff, the runtime the app's pages); the console offers exactly those. A tenant without a plan
(the CLI's, development's) is unlimited.

`require_room(name)` is asked before something counted is added: under a lock per tenant and
limit (PostgreSQL's transaction-scoped advisory lock; SQLite runs one writer at a time), so two
requests adding the last allowed item at once add one, and the other is refused with 403
`plan_limit_reached`, naming the limit and the plan that lifts it — nothing written.
`require_within(name, count)` checks a count the caller already has (a document's pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from typing import Callable

from flask_babel import gettext as _
from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.errors import APIError, register_codes
from core.ids import new_id
from core.tenancy import Tenant, current_tenant, current_tenant_id

register_codes({"plan_limit_reached": (403, "The shop's plan does not allow more of this; a larger plan does.")})


class Plan(db.Model):
    """What a shop may have, and what it costs a month (minor units of `currency`). Platform table."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    price: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    limits: Mapped[dict] = mapped_column(JSON, default=dict)  # {limit name: how many}; absent: unlimited
    position: Mapped[int] = mapped_column(Integer, default=0)  # the order plans are offered in, smallest first
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # offered to shops (a retired plan keeps its shops)
    trial_days: Mapped[int] = mapped_column(Integer, default=0)  # > 0: a shop signing itself up tries it this long
    # the engines it enables among those a plan may leave out (core.engines.plan_engines); None: all
    engines: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def includes(self, engine: str) -> bool:
        return self.engines is None or engine in self.engines

    def allows(self, limit: str) -> int | None:
        """How many of `limit` the plan allows (None: no limit)."""
        value = (self.limits or {}).get(limit)
        return None if value is None else int(value)


@dataclasses.dataclass(frozen=True)
class Limit:
    name: str
    label: object  # a lazy string: what it counts, as people say it ("Items")
    count: Callable[[], int]  # how many the current tenant has
    scale: int = 1  # what one of the plan's number is in `count`'s units (storage: a plan's MB in bytes)
    refusal: object = None  # what the refusal says when others than the shop's staff meet it (its customers)

    def units(self, plan: Plan) -> int | None:
        """What the plan allows, in `count`'s units (None: no limit)."""
        allowed = plan.allows(self.name)
        return None if allowed is None else allowed * self.scale


LIMITS: dict[str, Limit] = {}


def register_limit(name: str, label: object, count: Callable[[], int], *, scale: int = 1,
                   refusal: object = None) -> None:
    LIMITS[name] = Limit(name, label, count, scale, refusal)


def plan_of(tenant_id: int | None = None) -> Plan | None:
    """The plan of a tenant (the current one by default); None: unlimited."""
    tenant = db.session.get(Tenant, tenant_id or current_tenant_id())
    return db.session.get(Plan, tenant.plan_id) if tenant is not None and tenant.plan_id else None


def all_plans() -> list[Plan]:
    """Every plan, in the order offered (smallest first), retired ones too."""
    return list(db.session.scalars(select(Plan).order_by(Plan.position, Plan.price, Plan.id)))


def offered_plans() -> list[Plan]:
    return [plan for plan in all_plans() if plan.active]


def trial_plan() -> Plan | None:
    """The plan a shop that signs itself up starts on: the first offered with a trial, else the
    first offered (a free plan), else none (unlimited, as development's shops)."""
    offered = offered_plans()
    return next((plan for plan in offered if plan.trial_days > 0), offered[0] if offered else None)


def lifting(limit: str, needed: int) -> Plan | None:
    """The first plan offered that allows `needed` of `limit` (in its count's units)."""
    counted = LIMITS[limit]
    return next((plan for plan in offered_plans()
                 if counted.units(plan) is None or counted.units(plan) >= needed), None)


def require_room(limit: str, *, adding: int = 1) -> None:
    """Refuse (403 plan_limit_reached) adding `adding` more of `limit` (in its count's units: bytes
    of storage) beyond what the current tenant's plan allows. Takes a lock per tenant and limit
    first, held to the end of the transaction: whoever adds next counts after this one committed."""
    context = current_tenant()
    if context is not None and context.plan_id is None:  # no plan, no limit: no query (the checkout's path)
        return
    plan = plan_of()
    allowed = LIMITS[limit].units(plan) if plan is not None else None
    if allowed is None:
        return
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        key = zlib.crc32(f"{current_tenant_id()}:{limit}".encode()) - 2**31
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    have = LIMITS[limit].count()
    if have + adding > allowed:
        _refuse(limit, plan, allowed, have + adding)


def require_engine(engine: str, label: object) -> None:
    """Refuse (403 plan_limit_reached, `limit` "engine:<name>") what an engine does for a shop whose
    plan leaves the engine out, naming the first plan offered that includes it."""
    context = current_tenant()
    if context is None or context.plan_id is None:  # no plan: every engine (no query)
        return
    plan = db.session.get(Plan, context.plan_id)
    if plan is None or plan.includes(engine):
        return
    larger = next((option for option in offered_plans() if option.includes(engine)), None)
    message = (_("%(what)s is not in the %(plan)s plan. The %(larger)s plan includes it.", what=label,
                 plan=plan.name, larger=larger.name) if larger is not None
               else _("%(what)s is not in the %(plan)s plan.", what=label, plan=plan.name))
    raise APIError("plan_limit_reached", message, extra={
        "limit": f"engine:{engine}", "allowed": 0, "plan": plan.slug, "upgrade_to": larger.slug if larger else None})


def require_within(limit: str, count: int) -> None:
    """Refuse (403 plan_limit_reached) `count` of `limit` when the plan allows fewer."""
    plan = plan_of()
    allowed = LIMITS[limit].units(plan) if plan is not None else None
    if allowed is not None and count > allowed:
        _refuse(limit, plan, allowed, count)


def _refuse(limit: str, plan: Plan, allowed: int, needed: int) -> None:
    larger = lifting(limit, needed)
    label, allowed = str(LIMITS[limit].label), plan.allows(limit)  # said in the plan's terms (MB, not bytes)
    message = (_("%(what)s: the %(plan)s plan allows %(allowed)s. The %(larger)s plan allows more.", what=label,
                 plan=plan.name, allowed=allowed, larger=larger.name) if larger is not None and larger.id != plan.id
               else _("%(what)s: the %(plan)s plan allows %(allowed)s.", what=label, plan=plan.name, allowed=allowed))
    message = str(LIMITS[limit].refusal) if LIMITS[limit].refusal is not None else message
    raise APIError("plan_limit_reached", message, extra={
        "limit": limit, "allowed": allowed, "plan": plan.slug,
        "upgrade_to": larger.slug if larger is not None and larger.id != plan.id else None})


def usage() -> list[dict]:
    """The current tenant's use of each limit, in the plan's terms: {name, label, used, allowed
    (None: unlimited), full, share (a percentage), larger (the first plan offered that allows one
    more, when it is full)}."""
    plan = plan_of()
    rows = []
    for limit in LIMITS.values():
        counted = limit.count()
        units = limit.units(plan) if plan is not None else None
        full = units is not None and counted >= units
        larger = lifting(limit.name, counted + 1) if full else None
        used = counted if limit.scale == 1 else round(counted / limit.scale, 1)
        rows.append({"name": limit.name, "label": limit.label, "used": used,
                     "allowed": plan.allows(limit.name) if plan is not None else None, "full": full,
                     "share": min(100, counted * 100 // units) if units else (100 if units == 0 else 0),
                     "larger": larger if larger is not None and larger.id != plan.id else None})
    return rows

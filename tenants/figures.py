"""The platform's figures for its admins (/console/figures): shops by state and by plan, monthly
recurring revenue, trials, churn and sign-ups a week. Read from platform tables only (tenants,
plans, subscriptions, the audit log): no tenant's own data is read."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.money import Money
from core.plans import Plan, all_plans
from core.tenancy import Tenant, TenantStatus
from tenants.billing import BillingStatus, Subscription

WEEKS = 12
CHURN_DAYS = 30


@dataclasses.dataclass
class Figures:
    shops: dict[str, int]  # active, pending, suspended (by an admin), closed (by billing), total
    by_plan: list[tuple[str, int]]  # plan name (or "" for none) → shops
    mrr: list[str]  # formatted, one a currency
    paying: int
    trialing: int
    churned: int  # closed by billing in the last CHURN_DAYS, and closed still
    churn_percent: float
    signups: list[dict]  # {"week": "2026-11-23", "count": n}, oldest first


def platform_figures(now: dt.datetime | None = None) -> Figures:
    now = now or utcnow()
    states = dict(db.session.execute(
        select(Tenant.status, func.count()).where(Tenant.status != TenantStatus.SUSPENDED).group_by(Tenant.status)).all())
    suspended = dict(db.session.execute(select(Tenant.suspended_by, func.count()).where(
        Tenant.status == TenantStatus.SUSPENDED).group_by(Tenant.suspended_by)).all())
    shops = {"active": states.get(TenantStatus.ACTIVE, 0), "pending": states.get(TenantStatus.PENDING, 0),
             "suspended": sum(n for by, n in suspended.items() if by != "billing"),
             "closed": suspended.get("billing", 0)}
    shops["total"] = sum(shops.values())

    per_plan = dict(db.session.execute(select(Tenant.plan_id, func.count()).group_by(Tenant.plan_id)).all())
    by_plan = [(plan.name, per_plan[plan.id]) for plan in all_plans() if plan.id in per_plan]  # in the order offered
    if None in per_plan:
        by_plan.append(("", per_plan[None]))

    paying_rows = db.session.execute(
        select(Plan.price, Plan.currency).select_from(Subscription)
        .join(Tenant, Tenant.id == Subscription.tenant_id).join(Plan, Plan.id == Tenant.plan_id)
        .where(Subscription.status.in_((BillingStatus.ACTIVE, BillingStatus.PAST_DUE)),
               Subscription.paid_until.is_not(None), Plan.price > 0)).all()
    revenue: Counter = Counter()
    for price, currency in paying_rows:
        revenue[currency] += price
    trialing = db.session.scalar(select(func.count()).select_from(Subscription)
                                 .where(Subscription.status == BillingStatus.TRIALING)) or 0

    since = now - dt.timedelta(days=CHURN_DAYS)  # shops billing closed in the window and still closed
    closings = db.session.execute(select(AuditEntry.tenant_id, AuditEntry.details).where(
        AuditEntry.action == "tenant.suspend", AuditEntry.at >= since)).all()
    closed_ids = {tenant_id for tenant_id, details in closings if (details or {}).get("by") == "billing"}
    churned = db.session.scalar(select(func.count()).select_from(Tenant).where(
        Tenant.id.in_(closed_ids), Tenant.suspended_by == "billing")) if closed_ids else 0
    base = len(paying_rows) + churned
    churn = round(churned * 100 / base, 1) if base else 0.0

    first_week = (now - dt.timedelta(days=now.weekday())).date() - dt.timedelta(weeks=WEEKS - 1)
    created = db.session.scalars(select(Tenant.created_at).where(
        Tenant.created_at >= dt.datetime.combine(first_week, dt.time(), dt.UTC))).all()
    weeks = Counter((moment.date() - dt.timedelta(days=moment.weekday())) for moment in created)
    signups = [{"week": (first_week + dt.timedelta(weeks=n)).isoformat(),
                "count": weeks.get(first_week + dt.timedelta(weeks=n), 0)} for n in range(WEEKS)]
    return Figures(shops=shops, by_plan=by_plan,
                   mrr=[Money(amount, currency).format() for currency, amount in sorted(revenue.items())],
                   paying=len(paying_rows), trialing=trialing, churned=churned, churn_percent=churn, signups=signups)

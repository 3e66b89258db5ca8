"""The platform's figures: shops by state and plan, monthly recurring revenue from paying shops
only, trials, churn from shops billing closed in the last 30 days, and sign-ups a week."""

from __future__ import annotations

import datetime as dt

from core.db import utcnow
from core.tenancy import Tenant, TenantStatus
from tenants.billing import BillingStatus, Subscription
from tenants.figures import platform_figures


def test_the_figures_count_what_they_say(app, client, db_session, create_tenant, create_identity, sign_in):
    from tenants.plans import assign_plan, create_plan
    from tenants.services import suspend_tenant

    pro = create_plan(slug="pro", name="Pro", price=29900, limits={}, position=2)
    usd = create_plan(slug="intl", name="International", price=4900, currency="USD", limits={}, position=3)
    free = create_plan(slug="free", name="Free", price=0, limits={}, position=1)
    shops = {name: db_session.get(Tenant, create_tenant(name).id)
             for name in ("paying", "paying-usd", "past-due", "trial", "free-shop", "closed", "waiting", "banned")}
    month = utcnow() + dt.timedelta(days=20)
    for name, plan, status, paid_until in [
            ("paying", pro, BillingStatus.ACTIVE, month), ("paying-usd", usd, BillingStatus.ACTIVE, month),
            ("past-due", pro, BillingStatus.PAST_DUE, utcnow()), ("trial", pro, BillingStatus.TRIALING, None),
            ("free-shop", free, BillingStatus.ACTIVE, None), ("closed", pro, BillingStatus.SUSPENDED, None)]:
        assign_plan(shops[name], plan)
        db_session.add(Subscription(tenant_id=shops[name].id, status=status, paid_until=paid_until))
    suspend_tenant(tenant=shops["closed"], reason="unpaid", by="billing")
    suspend_tenant(tenant=shops["banned"], reason="fraud")
    shops["waiting"].status = TenantStatus.PENDING
    db_session.commit()

    with app.test_request_context():
        figures = platform_figures()
    assert figures.shops == {"active": 5, "pending": 1, "suspended": 1, "closed": 1, "total": 8}
    assert figures.mrr == ["¥598.00", "$49.00"] and (figures.paying, figures.trialing) == (3, 1)
    assert (figures.churned, figures.churn_percent) == (1, 25.0)
    assert dict(figures.by_plan) == {"Free": 1, "Pro": 4, "International": 1, "": 2}
    assert sum(week["count"] for week in figures.signups) == 8 and len(figures.signups) == 12

    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    page = client.get("/console/figures").get_data(as_text=True)
    assert 'data-figure="mrr">¥598.00 + $49.00' in page and 'data-figure="churn">25.0%' in page

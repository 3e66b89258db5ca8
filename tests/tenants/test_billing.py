"""SaaS billing by the clock: a trial ends → past due (mailed) → closed after the grace period
(mailed; storefront closed, back office leads to the billing page) → paid in the sandbox →
open again, paid a month on; renewals charge the card on file and a declining card starts the
grace period again. A payment told twice counts once; free plans apply at once; only owners
pay; another shop's checkout is not found; without a provider, paid plans say so."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.tenancy import Tenant, TenantStatus
from tenants.billing import GRACE_DAYS, PERIOD, BillingStatus, Subscription, start_trial, sweep_billing
from tests.conftest import csrf_token_of
from tests.tenants.test_signup import mails_to

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def plans(db_session):
    from tenants.plans import create_plan

    free = create_plan(slug="free", name="Free", price=0, limits={"items": 5}, position=1)
    pro = create_plan(slug="pro", name="Pro", price=29900, limits={}, position=2, trial_days=14)
    db_session.commit()
    return free, pro


@pytest.fixture
def trialing(app, db_session, tenant_a, plans):
    """Tenant A on a 14-day trial of Pro that began at T0."""
    from tenants.plans import assign_plan

    shop = db_session.get(Tenant, tenant_a.id)
    with app.test_request_context():
        assign_plan(shop, plans[1])
        start_trial(shop, plans[1], now=T0)
    db_session.commit()
    return shop


def subscription(db_session, tenant) -> Subscription:
    db_session.expire_all()
    return db_session.scalar(select(Subscription).where(Subscription.tenant_id == tenant.id))


def actions(db_session, tenant) -> list[str]:
    return [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id)
                                                 .order_by(AuditEntry.at, AuditEntry.id))]


def pay(client, plan_id: int, card: str = "pays"):
    """Choose a paid plan on the billing page and pay on the sandbox's checkout."""
    page = client.get("/merchant/billing/").get_data(as_text=True)
    to_checkout = client.post(f"/merchant/billing/choose/{plan_id}", data={"csrf_token": csrf_token_of(page)})
    assert to_checkout.status_code == 302 and "/merchant/billing/sandbox/" in to_checkout.headers["Location"]
    checkout = to_checkout.headers["Location"]
    form = client.get(checkout).get_data(as_text=True)
    assert "Sandbox: development only" in form
    return checkout, client.post(checkout, data={"csrf_token": csrf_token_of(form), "card": card})


def test_a_trial_runs_out_is_mailed_closes_the_shop_and_paying_opens_it(app, client, db_session, enter, trialing,
                                                                          plans):
    owner = enter("owner")
    assert 'data-billing="trialing"' in client.get("/merchant/billing/").get_data(as_text=True)
    for day in (10, 11, 12):  # (a sweep's mails leave at the end of its context, as a job's do)
        with app.test_request_context():
            assert sweep_billing(T0 + dt.timedelta(days=day)) == 0
        assert [m["Subject"] for m in mails_to(app, owner.email)] == ([] if day < 11 else ["Your trial ends soon"])
    with app.test_request_context():
        assert sweep_billing(T0 + dt.timedelta(days=14)) == 1
    row = subscription(db_session, trialing)
    assert (row.status, row.past_due_since, row.grace_ends_at) == (
        BillingStatus.PAST_DUE, T0 + dt.timedelta(days=14), T0 + dt.timedelta(days=14 + GRACE_DAYS))
    assert [m["Subject"] for m in mails_to(app, owner.email)] == ["Your trial ends soon", "Your shop's plan is due"]
    assert client.get("/merchant/").status_code == 200  # past due: the shop works on
    assert 'data-billing="past_due"' in client.get("/merchant/billing/").get_data(as_text=True)

    with app.test_request_context():
        assert sweep_billing(T0 + dt.timedelta(days=14 + GRACE_DAYS) - dt.timedelta(seconds=1)) == 0
        assert sweep_billing(T0 + dt.timedelta(days=14 + GRACE_DAYS)) == 1
    shop = db_session.get(Tenant, trialing.id)
    assert (shop.status, shop.suspended_by, subscription(db_session, shop).status) == (
        TenantStatus.SUSPENDED, "billing", BillingStatus.SUSPENDED)
    assert mails_to(app, owner.email)[-1]["Subject"] == "Your shop is closed until its plan is paid"
    assert client.get(f"/s/{shop.slug}/").status_code == 403  # customers: closed
    assert client.get("/api/v1/items", headers={"X-Tenant": shop.slug}).status_code == 403
    led = client.get("/merchant/")
    assert led.status_code == 302 and led.headers["Location"].endswith("/merchant/billing/")
    assert 'data-billing="suspended"' in client.get("/merchant/billing/").get_data(as_text=True)

    _checkout, paid = pay(client, plans[1].id)
    assert paid.status_code == 302
    shop = db_session.get(Tenant, trialing.id)
    row = subscription(db_session, shop)
    assert (shop.status, shop.suspended_by, row.status, row.last_paid) == (TenantStatus.ACTIVE, None,
                                                                            BillingStatus.ACTIVE, 29900)
    assert dt.timedelta(days=29, hours=23) < row.paid_until - dt.datetime.now(dt.UTC) <= PERIOD
    assert client.get("/merchant/").status_code == 200 and client.get(f"/s/{shop.slug}/").status_code != 403
    assert actions(db_session, shop)[-4:] == ["billing.past_due", "tenant.suspend", "tenant.resume", "billing.paid"]


def test_renewals_charge_the_card_on_file_and_a_declining_card_starts_the_grace_period(app, client, db_session, enter,
                                                                                       trialing, plans):
    enter("owner")
    pay(client, plans[1].id)
    paid_until = subscription(db_session, trialing).paid_until
    with app.test_request_context():
        assert sweep_billing(paid_until) == 1
    assert subscription(db_session, trialing).paid_until == paid_until + PERIOD
    pay(client, plans[1].id, card="declines")  # early: a month on from what was paid
    row = subscription(db_session, trialing)
    assert (row.paid_until, row.payment_method) == (paid_until + 2 * PERIOD, "sandbox:declines")
    with app.test_request_context():
        assert sweep_billing(row.paid_until) == 1
    row = subscription(db_session, trialing)
    assert (row.status, row.grace_ends_at) == (BillingStatus.PAST_DUE,
                                               paid_until + 2 * PERIOD + dt.timedelta(days=GRACE_DAYS))


def test_a_payment_told_twice_counts_once(client, db_session, enter, trialing, plans):
    enter("owner")
    checkout, _paid = pay(client, plans[1].id)
    first = subscription(db_session, trialing).paid_until
    again = client.post(checkout, data={"csrf_token": csrf_token_of(client.get(checkout).get_data(as_text=True)),
                                        "card": "pays"})
    assert again.status_code == 302 and subscription(db_session, trialing).paid_until == first
    assert actions(db_session, trialing).count("billing.paid") == 1
    _second, _paid = pay(client, plans[1].id)  # another payment, then the first told again: still once
    second_until = subscription(db_session, trialing).paid_until
    assert second_until == first + PERIOD
    client.post(checkout, data={"csrf_token": csrf_token_of(client.get(checkout).get_data(as_text=True)),
                                "card": "pays"})
    assert subscription(db_session, trialing).paid_until == second_until
    assert actions(db_session, trialing).count("billing.paid") == 2


def test_a_free_plan_applies_at_once_and_only_owners_choose(client, db_session, enter, trialing, plans):
    enter("clerk")
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert "Only the shop’s owners" in page and "data-choose" not in page
    assert client.post(f"/merchant/billing/choose/{plans[0].id}",
                       data={"csrf_token": csrf_token_of(page)}).status_code == 403
    enter("owner")
    page = client.get("/merchant/billing/").get_data(as_text=True)
    chosen = client.post(f"/merchant/billing/choose/{plans[0].id}", data={"csrf_token": csrf_token_of(page)})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/merchant/billing/")
    shop = db_session.get(Tenant, trialing.id)
    row = subscription(db_session, shop)
    assert (shop.plan_id, row.status, row.paid_until, row.trial_ends_at) == (plans[0].id, BillingStatus.ACTIVE,
                                                                             None, None)
    assert 'data-billing="free"' in client.get("/merchant/billing/").get_data(as_text=True)


def test_another_shops_checkout_is_not_found(app, client, db_session, enter, trialing, plans, tenant_b):
    from tenants.billing import checkout_token

    enter("owner")
    with app.test_request_context():
        theirs = checkout_token(db_session.get(Tenant, tenant_b.id), plans[1])
    assert client.get(f"/merchant/billing/sandbox/{theirs}").status_code == 404
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert client.post(f"/merchant/billing/sandbox/{theirs}", data={"csrf_token": csrf_token_of(page)}).status_code == 404
    assert client.get("/merchant/billing/sandbox/forged-token").status_code == 404
    assert subscription(db_session, trialing).status == BillingStatus.TRIALING


def test_without_a_provider_paid_plans_say_so_and_the_sandbox_is_gone(app, client, db_session, enter, trialing, plans,
                                                                      monkeypatch):
    from tenants.billing import checkout_token

    enter("owner")
    monkeypatch.setitem(app.config, "BILLING_PROVIDER", "none")
    page = client.get("/merchant/billing/").get_data(as_text=True)
    assert "cannot be paid for online here yet" in page and 'data-choose="pro"' not in page
    refused = client.post(f"/merchant/billing/choose/{plans[1].id}", data={"csrf_token": csrf_token_of(page)})
    assert "cannot be paid for online" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.test_request_context():
        token = checkout_token(db_session.get(Tenant, trialing.id), plans[1])
    assert client.get(f"/merchant/billing/sandbox/{token}").status_code == 404


def test_a_shop_the_console_suspended_stays_closed_billing_page_too(client, db_session, enter, trialing):
    from tenants.services import suspend_tenant

    enter("owner")
    suspend_tenant(tenant=db_session.get(Tenant, trialing.id), reason="fraud")
    db_session.commit()
    assert client.get("/merchant/billing/").status_code == 403
    assert client.get("/merchant/").status_code == 403


def test_the_console_shows_where_a_shops_billing_stands(client, db_session, create_identity, sign_in, trialing):
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    page = client.get(f"/console/tenants/{trialing.id}").get_data(as_text=True)
    assert re.search(r'data-billing="trialing">\s*Trial until 2026-12-15', page)

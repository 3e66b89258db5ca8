"""SaaS billing: what a shop pays the platform for its plan (DESIGN.md §6), as dated steps.

A shop's `Subscription` (a platform table, one row a shop) is in one status, each entered at a
dated column that the sweeper `billing.sweep` reads with the clock it is given:

    trialing ──trial_ends_at──▶ past_due ──grace_ends_at──▶ suspended
        │                         ▲   │                        │
        └── paid ──▶ active ──paid_until, renewal fails──┘   └── paid ──▶ active (reopened)
                     (renewal succeeds: paid_until moves a month on)

A free plan (price 0) is `active` with no `paid_until`. Past due, the shop works for
GRACE_DAYS; then the sweeper suspends it `by="billing"`: its storefront and back office are
closed and say why, but its billing page stays open so paying reopens it, and money already in
flight (refunds, sweeps) carries on (DESIGN.md §2). Each step is mailed to the shop's owners.

Payments go through the provider TESSERA_BILLING_PROVIDER names (a `BillingProvider`):
`sandbox` (development only, like the payment sandbox: a page of this app stands for the
provider's checkout, where the merchant pays or pays with a card that will decline its
renewals), `stripe` (tenants.billing_stripe: Stripe Checkout, Subscriptions with proration, the
customer portal, signed webhooks; Stripe renews, so the sweeper waits RENEWAL_WAIT for its word)
or `none` (the billing page says paid plans are changed by the platform's admins). Every write
here runs in the caller's transaction and leaves an audit row."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass
from typing import Protocol

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import UTCDateTime, add_unique, db, str_enum, utcnow
from core.errors import APIError, register_codes
from core.ids import new_id
from core.identities import Identity, StaffMember
from core.jobs import periodic
from core.mail import can_send_mail, send_mail
from core.permissions import Role
from core.plans import Plan
from core.tenancy import Tenant, TenantStatus, platform_scope, tenant_scope
from tenants.plans import assign_plan
from tenants.services import resume_tenant, suspend_tenant

register_codes({"billing_unavailable": (503, "Plans cannot be paid for online here yet; the platform's support "
                                             "changes them."),
                "billing_provider_failed": (502, "The payment provider did not answer; nothing was changed. Try again "
                                                 "in a minute.")})

GRACE_DAYS = 7  # past due this long, a shop works on; then it is closed until it pays
REMIND_DAYS = 3  # the owners are told this long before a trial ends
PERIOD = dt.timedelta(days=30)  # what one payment buys
RENEWAL_WAIT = dt.timedelta(days=1)  # a provider that renews itself has this long to say it did


class BillingStatus(enum.StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    SUSPENDED = "suspended"


class Subscription(db.Model):
    """What a shop pays for its plan (the plan itself is `tenants.plan_id`). Platform table."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), unique=True)
    status: Mapped[BillingStatus] = mapped_column(str_enum(BillingStatus), default=BillingStatus.ACTIVE)
    trial_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paid_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # None on a free plan
    past_due_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    grace_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str] = mapped_column(String(20), default="sandbox")
    payment_method: Mapped[str | None] = mapped_column(String(120))  # the provider's reference ("sandbox:declines")
    last_paid: Mapped[int | None] = mapped_column(BigInteger)  # minor units of the plan's currency
    last_payment: Mapped[str | None] = mapped_column(String(120))  # the provider's id of it: a replay counts once
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # told the trial ends soon
    customer_ref: Mapped[str | None] = mapped_column(String(120), index=True)  # the shop at the provider ("cus_…")
    provider_subscription: Mapped[str | None] = mapped_column(String(120))  # the provider's live one ("sub_…")
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # cancelled at the provider: it stops then
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BillingEvent(db.Model):
    """A billing provider's event id, seen once: a webhook told twice finds its row and does
    nothing. Platform table."""

    __tablename__ = "billing_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class _Seen(Exception):
    pass


def seen_before(provider: str, event_id: str, kind: str) -> bool:
    """Record a provider's event; True when it was recorded already (a duplicate webhook)."""
    try:
        add_unique(BillingEvent(provider=provider, event_id=event_id[:120], kind=kind[:80]), _Seen())
    except _Seen:
        return True
    return False


def subscription_of(tenant: Tenant, *, fresh: bool = False) -> Subscription | None:
    query = select(Subscription).where(Subscription.tenant_id == tenant.id)
    return db.session.scalar(query.execution_options(populate_existing=True) if fresh else query)


def start_trial(tenant: Tenant, plan: Plan | None, *, now: dt.datetime | None = None) -> Subscription | None:
    """A new shop's subscription: trialing its plan when the plan has a trial, active on a free
    plan, none without a plan (unlimited, as development's shops)."""
    if plan is None:
        return None
    now = now or utcnow()
    if plan.trial_days > 0:
        row = Subscription(tenant_id=tenant.id, status=BillingStatus.TRIALING, provider=provider_name(),
                           trial_ends_at=now + dt.timedelta(days=plan.trial_days))
    else:
        row = Subscription(tenant_id=tenant.id, status=BillingStatus.ACTIVE, provider=provider_name(),
                           paid_until=None if plan.price == 0 else now)  # a paid plan without a trial: due now
    db.session.add(row)
    return row


# -- the provider -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """What choosing a plan came to: "applied" (the shop is on it now) or "pay" (the merchant
    goes to `url`, the provider's checkout or invoice, and the plan follows its payment)."""

    kind: str
    url: str | None = None


@dataclass(frozen=True)
class Invoice:
    """One of the shop's invoices at the provider, as its billing page lists them."""

    number: str
    issued: dt.datetime
    amount: int  # minor units
    currency: str
    status: str  # the provider's word: paid, open, void…
    url: str | None  # the provider's page of it


class BillingProvider(Protocol):
    name: str
    renews_itself: bool  # charges each period on its own, and tells us (the sweeper waits for it)

    def checkout(self, tenant: Tenant, plan: Plan, row: Subscription, *, email: str) -> Step:
        """Start paying for the paid `plan` (or change a live subscription to it); adds `row` to
        the session when it writes to it."""

    def leave(self, row: Subscription) -> None:
        """The shop chose a free plan: stop charging it."""

    def portal(self, row: Subscription, return_url: str) -> str | None:
        """Where the merchant manages the card and sees invoices at the provider (None: nowhere)."""

    def invoices(self, row: Subscription) -> list[Invoice]:
        """The shop's latest invoices (empty when the provider keeps none or does not answer)."""

    def pages(self) -> tuple[str, ...]:
        """The origins of the provider's hosted pages the billing page's forms lead to."""


class SandboxBilling:
    """Development's provider: a page of this app (billing_pages) stands for the checkout."""

    name, renews_itself = "sandbox", False

    def checkout(self, tenant: Tenant, plan: Plan, row: Subscription, *, email: str) -> Step:
        return Step("pay", url_for("billing.sandbox_checkout", token=checkout_token(tenant, plan)))

    def leave(self, row: Subscription) -> None:
        row.payment_method = None  # nothing to charge any more

    def portal(self, row: Subscription, return_url: str) -> str | None:
        return None

    def invoices(self, row: Subscription) -> list[Invoice]:
        return []

    def pages(self) -> tuple[str, ...]:
        return ()


class NoBilling(SandboxBilling):
    """Production without a provider: paid plans are set by the platform's admins."""

    name = "none"

    def checkout(self, tenant: Tenant, plan: Plan, row: Subscription, *, email: str) -> Step:
        raise APIError("billing_unavailable")


PROVIDERS: dict[str, BillingProvider] = {"sandbox": SandboxBilling(), "none": NoBilling()}


def register_provider(provider: BillingProvider) -> None:
    PROVIDERS[provider.name] = provider


def provider_name() -> str:
    return current_app.config["BILLING_PROVIDER"]


def billing_provider() -> BillingProvider:
    return PROVIDERS[provider_name()]


_SALT = "tessera.billing-sandbox"


def checkout_token(tenant: Tenant, plan: Plan) -> str:
    """A sandbox checkout of `plan` for `tenant`; its own id (the payment's, once paid) inside."""
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT).dumps(
        [str(tenant.id), str(plan.id), secrets.token_hex(8)])


def read_checkout_token(token: str) -> tuple[int, int, str]:
    """The shop, plan and payment id of a sandbox checkout (404 when the token is not one of
    ours, or older than a day)."""
    try:
        tenant_id, plan_id, nonce = URLSafeTimedSerializer(current_app.secret_key, salt=_SALT).loads(
            token, max_age=86_400)
        return int(tenant_id), int(plan_id), f"sandbox:{nonce}"
    except (BadSignature, ValueError, TypeError):
        raise APIError("not_found") from None


def _renewal_succeeds(row: Subscription) -> bool:
    """Charge the card on file for the next period (the sandbox's card declines when the merchant
    chose so on its checkout page; a provider that renews itself has not said it did)."""
    if PROVIDERS.get(row.provider, SandboxBilling).renews_itself:
        return False
    return row.payment_method is not None and not row.payment_method.endswith(":declines")


# -- the steps --------------------------------------------------------------------------------

def choose_plan(tenant: Tenant, plan: Plan, *, email: str, actor: Identity | None = None) -> Step:
    """The merchant chose `plan`: a free plan applies at once (and the provider stops charging);
    a paid one goes through the provider — its checkout, or, for a live subscription, a change
    charged or credited pro rata at once. 503 billing_unavailable when no provider takes
    payments, 502 billing_provider_failed when it does not answer (nothing changed)."""
    if not plan.active:
        raise APIError("not_found")
    row = subscription_of(tenant) or Subscription(tenant_id=tenant.id, provider=provider_name())
    provider = billing_provider()
    if plan.price == 0:
        db.session.add(row)
        provider.leave(row)
        assign_plan(tenant, plan, actor=actor)
        _settle(tenant, row, status=BillingStatus.ACTIVE, paid_until=None, actor=actor)
        return Step("applied")
    step = provider.checkout(tenant, plan, row, email=email)
    if step.kind == "applied":  # a live subscription changed plan, paid pro rata
        assign_plan(tenant, plan, actor=actor)
    return step


def record_payment(tenant: Tenant, plan: Plan, *, payment: str, payment_method: str, actor: Identity | None = None,
                   now: dt.datetime | None = None, paid_until: dt.datetime | None = None,
                   amount: int | None = None) -> Subscription:
    """A payment (the provider's id `payment`, of `amount`, the plan's price unless said) for
    `plan` went through: the shop is on it, paid until `paid_until` (the provider's period) or
    else a period on from now (or from the end of what it had paid, when it pays early), and
    reopened if billing had closed it. The same payment told twice, or at once, counts once
    (the shop's row is locked first; each payment is kept among the provider's events), however
    many came between."""
    now = now or utcnow()
    db.session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())
    row = subscription_of(tenant, fresh=True)
    if seen_before(provider_name(), f"payment:{payment}", "payment"):
        return row
    row = row or Subscription(tenant_id=tenant.id, provider=provider_name())
    db.session.add(row)
    row.last_payment, row.provider = payment[:120], provider_name()
    assign_plan(tenant, plan, actor=actor)
    paid_ahead = row.paid_until if row.status == BillingStatus.ACTIVE and row.paid_until else None
    if paid_until is None:
        paid_until = (paid_ahead if paid_ahead and paid_ahead > now else now) + PERIOD
    elif paid_ahead and paid_ahead > paid_until:
        paid_until = paid_ahead  # an older invoice told late moves nothing back
    row.payment_method, row.last_paid = payment_method[:120], plan.price if amount is None else amount
    _settle(tenant, row, status=BillingStatus.ACTIVE, paid_until=paid_until, actor=actor)
    audit.record("billing.paid", actor=actor, tenant_id=tenant.id, target=tenant.slug,
                 details={"plan": plan.slug, "amount": row.last_paid, "currency": plan.currency,
                          "paid_until": row.paid_until.isoformat()})
    return row


def _settle(tenant: Tenant, row: Subscription, *, status: BillingStatus, paid_until, actor) -> None:
    row.status, row.paid_until = status, paid_until
    row.trial_ends_at = row.past_due_since = row.grace_ends_at = None
    if tenant.status == TenantStatus.SUSPENDED and tenant.suspended_by == "billing":
        resume_tenant(tenant=tenant, actor=actor, note="paid")


def sweep_billing(now: dt.datetime | None = None) -> int:
    """Move every subscription whose date has come to its next step; how many moved."""
    now = now or utcnow()
    moved = 0
    with platform_scope():
        due = list(db.session.execute(
            select(Subscription, Tenant).join(Tenant, Tenant.id == Subscription.tenant_id).where(
                ((Subscription.status == BillingStatus.TRIALING) & (Subscription.trial_ends_at <= now))
                | ((Subscription.status == BillingStatus.ACTIVE) & (Subscription.paid_until <= now)
                   & (Subscription.provider.not_in(_self_renewing()) | (Subscription.paid_until <= now - RENEWAL_WAIT)))
                | ((Subscription.status == BillingStatus.PAST_DUE) & (Subscription.grace_ends_at <= now)))
            .order_by(Subscription.tenant_id).limit(500).with_for_update(of=Subscription, skip_locked=True)))
        for row, tenant in due:
            moved += _step(row, tenant, now)
        _remind_trials_ending(now)
    db.session.commit()
    return moved


def _self_renewing() -> list[str]:
    return [name for name, provider in PROVIDERS.items() if provider.renews_itself]


def _remind_trials_ending(now: dt.datetime) -> None:
    """Tell the owners of a trial ending within REMIND_DAYS, once."""
    ending = list(db.session.execute(
        select(Subscription, Tenant).join(Tenant, Tenant.id == Subscription.tenant_id).where(
            Subscription.status == BillingStatus.TRIALING, Subscription.reminded_at.is_(None),
            Subscription.trial_ends_at <= now + dt.timedelta(days=REMIND_DAYS))
        .order_by(Subscription.tenant_id).limit(500).with_for_update(of=Subscription, skip_locked=True)))
    for row, tenant in ending:
        row.reminded_at = now
        _tell_owners(tenant, _("Your trial ends soon"), _(
            "The trial of %(shop)s ends on %(day)s. Choose a plan and pay from the back office's Billing page to "
            "keep the shop open.", shop=tenant.name, day=f"{row.trial_ends_at:%Y-%m-%d}"))


@periodic("billing.sweep", seconds=300)
def billing_sweep(now: dt.datetime | None = None) -> int:
    return sweep_billing(now)


def _step(row: Subscription, tenant: Tenant, now: dt.datetime) -> int:
    if row.status == BillingStatus.ACTIVE and _renewal_succeeds(row):
        row.paid_until = row.paid_until + PERIOD
        audit.record("billing.renewed", tenant_id=tenant.id, target=tenant.slug,
                     details={"paid_until": row.paid_until.isoformat(), "amount": row.last_paid})
        return 1
    if row.status in (BillingStatus.TRIALING, BillingStatus.ACTIVE):
        fall_due(row, tenant, since=row.trial_ends_at if row.status == BillingStatus.TRIALING else row.paid_until)
        return 1
    row.status = BillingStatus.SUSPENDED
    suspend_tenant(tenant=tenant, reason="plan unpaid past the grace period", by="billing")
    _tell_owners(tenant, _("Your shop is closed until its plan is paid"), _(
        "%(shop)s is closed: its plan was not paid. Your data is kept. Pay from the back office's Billing page and "
        "it opens again at once.", shop=tenant.name))
    return 1


def fall_due(row: Subscription, tenant: Tenant, *, since: dt.datetime) -> None:
    """The shop's payment is due since `since` (a trial or a paid period ended, or the provider
    could not charge the card): it works on for GRACE_DAYS, and its owners are told."""
    row.status, row.past_due_since = BillingStatus.PAST_DUE, since
    row.grace_ends_at = since + dt.timedelta(days=GRACE_DAYS)
    audit.record("billing.past_due", tenant_id=tenant.id, target=tenant.slug,
                 details={"since": since.isoformat(), "grace_ends_at": row.grace_ends_at.isoformat()})
    _tell_owners(tenant, _("Your shop's plan is due"), _(
        "The plan of %(shop)s is due: pay it from the back office's Billing page by %(day)s to keep the shop "
        "open. Your shop works as before until then.", shop=tenant.name, day=f"{row.grace_ends_at:%Y-%m-%d}"))


def _tell_owners(tenant: Tenant, subject: str, text: str) -> None:
    if not can_send_mail():
        return  # the steps hold without mail; the back office says the same
    with tenant_scope(tenant):
        owners = db.session.scalars(select(Identity.email).join(StaffMember, StaffMember.identity_id == Identity.id)
                                    .where(StaffMember.role == Role.OWNER)).all()
    for owner in owners:
        send_mail(to=owner, subject=subject, text=text)

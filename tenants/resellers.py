"""Running resellers (core.resellers holds who they are and their brand): the one write path for
the platform console, the resellers' own console, their provisioning API and the CLI. Each
function runs in the caller's transaction and leaves an audit row carrying the reseller.

A reseller may run `quota` shops: a new one is counted under a lock on the reseller's row, so
parallel requests for the last place make one shop. It sells the plans the platform prices for
it — the platform's wholesale price, which the reseller owes for each open shop a month, and the
reseller's own retail price, what its merchants pay it (a reseller's shops are billed by the
reseller, not by the platform's billing). Its API tokens read `trt_<reseller>_<token>_<secret>`;
only a SHA-256 of the secret is kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import BigInteger, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import UTCDateTime, add_unique, db, utcnow
from core.errors import APIError, register_codes
from core.identities import Identity, create_identity, find_identity, normalize_email
from core.ids import new_id, parse_id
from core.paging import newest_first
from core.plans import Plan
from core.resellers import COLOUR, Reseller, ResellerPrice, ResellerRole, ResellerStaff, ResellerStatus, sellable_plans
from core.tenancy import Domain, Tenant, TenantStatus, tenant_scope
from tenants.plans import assign_plan
from tenants.services import SLUG, create_tenant, resume_tenant, slug_problem, suspend_tenant
from tenants.starters import require_offered, start_shop

register_codes({"reseller_quota_reached": (403, "The reseller has as many shops as its quota allows.")})

TOKEN_PREFIX = "trt"
HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ResellerToken(db.Model):
    """A key of a reseller's own site to the provisioning API, made by one of its staff: it goes
    when they leave the team or it is revoked."""

    __tablename__ = "reseller_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id", ondelete="RESTRICT"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(80))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


# -- resellers -----------------------------------------------------------------------------------

def _host_problem(domain: str, *, reseller: Reseller | None = None) -> str | None:
    from flask import current_app

    base = current_app.config["BASE_DOMAIN"]
    if not HOST.match(domain):
        return _("Enter a host name such as shops.example.com.")
    if domain == base or domain.endswith("." + base):
        return _("Use a name of the reseller's own, not one of the platform's.")
    taken = db.session.scalar(select(Reseller.id).where(Reseller.domain == domain))
    if (taken and (reseller is None or taken != reseller.id)) or db.session.scalar(
            select(Domain.id).where(Domain.host == domain)):
        return _("This name is taken.")
    return None


def _checked(*, name: str, domain: str, quota, reseller: Reseller | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not 1 <= len((name or "").strip()) <= 80:
        errors["name"] = [_("Give the brand a name of at most 80 characters.")]
    problem = _host_problem(domain, reseller=reseller)
    if problem:
        errors["domain"] = [problem]
    if type(quota) is not int or not 0 <= quota <= 1_000_000:
        errors["quota"] = [_("The quota is a number of shops, from 0.")]
    return errors


def create_reseller(*, slug: str, name: str, domain: str, quota: int, owner_email: str,
                    owner_password: str | None = None, actor: Identity | None = None, via: str = "console",
                    ip: str | None = None) -> Reseller:
    """A reseller and its owner (an existing account, or a new one with `owner_password`); 422 by
    field on a bad or taken slug or domain, a negative quota, a new owner without a password."""
    slug, domain = (slug or "").strip().lower(), (domain or "").strip().lower().rstrip(".")
    errors = _checked(name=name, domain=domain, quota=quota)
    problem = slug_problem(slug) if SLUG.match(slug or "") else _("Use 3 to 40 lowercase letters, digits and dashes.")
    if problem is None and db.session.scalar(select(Reseller.id).where(Reseller.slug == slug)):
        problem = _("This name is taken.")
    if problem:
        errors["slug"] = [problem]
    try:
        owner_email = normalize_email(owner_email)
    except APIError as error:
        errors.update({"owner_email": error.fields["email"]})
        owner = None
    else:
        owner = find_identity(owner_email)
        if owner is None and not owner_password:
            errors["owner_password"] = [_("Set a password for the new owner account.")]
    if errors:
        raise APIError("invalid_input", fields=errors)
    if owner is None:
        owner = create_identity(email=owner_email, password=owner_password)
    reseller = add_unique(Reseller(slug=slug, name=name.strip(), domain=domain, quota=quota),
                          APIError("invalid_input", fields={"slug": [_("This name is taken.")]}))
    db.session.add(ResellerStaff(reseller_id=reseller.id, identity_id=owner.id, role=ResellerRole.OWNER))
    audit.record("reseller.create", actor=actor, reseller_id=reseller.id, target=slug, ip=ip,
                 details={"domain": domain, "quota": quota, "owner": owner.email, "via": via})
    return reseller


def update_reseller(reseller: Reseller, *, name: str, domain: str, quota: int, actor: Identity | None,
                    ip: str | None = None) -> Reseller:
    """The platform changes a reseller's name, domain or quota (a quota below its shops stops new
    ones, never closes any)."""
    domain = (domain or "").strip().lower().rstrip(".")
    errors = _checked(name=name, domain=domain, quota=quota, reseller=reseller)
    if errors:
        raise APIError("invalid_input", fields=errors)
    before = {"name": reseller.name, "domain": reseller.domain, "quota": reseller.quota}
    reseller.name, reseller.domain, reseller.quota = name.strip(), domain, quota
    audit.record("reseller.update", actor=actor, reseller_id=reseller.id, target=reseller.slug, ip=ip,
                 details={"before": before, "after": {"name": reseller.name, "domain": domain, "quota": quota}})
    return reseller


def set_reseller_status(reseller: Reseller, status: ResellerStatus, *, actor: Identity | None, reason: str = "",
                        ip: str | None = None) -> Reseller:
    """Suspend (its staff and API are refused; its shops carry on) or resume a reseller."""
    if reseller.status != status:
        reseller.status = status
        audit.record(f"reseller.{'suspend' if status == ResellerStatus.SUSPENDED else 'resume'}", actor=actor,
                     reseller_id=reseller.id, target=reseller.slug, ip=ip, details={"reason": reason.strip()})
    return reseller


def update_brand(reseller: Reseller, *, name: str, colour: str, support_email: str, logo_key: str | None = None,
                 actor: Identity | None, ip: str | None = None) -> Reseller:
    """The reseller's own brand: its name, colour (`#rrggbb`), support address and logo."""
    colour = (colour or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not 1 <= len((name or "").strip()) <= 80:
        errors["name"] = [_("Give the brand a name of at most 80 characters.")]
    if not COLOUR.match(colour):
        errors["colour"] = [_("A colour reads #rrggbb, such as #0054a6.")]
    support = (support_email or "").strip()
    if support:
        try:
            support = normalize_email(support)
        except APIError as error:
            errors["support_email"] = error.fields["email"]
    if errors:
        raise APIError("invalid_input", fields=errors)
    reseller.name, reseller.colour, reseller.support_email = name.strip(), colour, support or None
    if logo_key is not None:
        reseller.logo_key = logo_key
    audit.record("reseller.brand", actor=actor, reseller_id=reseller.id, target=reseller.slug, ip=ip,
                 details={"name": reseller.name, "colour": colour, "support_email": reseller.support_email,
                          "logo": logo_key is not None})
    return reseller


def all_resellers() -> list[Reseller]:
    return list(db.session.scalars(select(Reseller).order_by(Reseller.slug)))


def shop_counts() -> dict[int, int]:
    """How many shops each reseller has (for the console's list)."""
    return dict(db.session.execute(select(Tenant.reseller_id, func.count()).where(Tenant.reseller_id.is_not(None))
                                   .group_by(Tenant.reseller_id)).all())


# -- staff ---------------------------------------------------------------------------------------

def membership(reseller: Reseller, identity: Identity | None) -> ResellerStaff | None:
    if identity is None or not identity.is_active:
        return None
    return db.session.scalar(select(ResellerStaff).where(ResellerStaff.reseller_id == reseller.id,
                                                         ResellerStaff.identity_id == identity.id))


def team(reseller: Reseller) -> list[tuple[ResellerStaff, Identity]]:
    return list(db.session.execute(select(ResellerStaff, Identity).join(Identity, Identity.id == ResellerStaff.identity_id)
                                   .where(ResellerStaff.reseller_id == reseller.id).order_by(ResellerStaff.created_at)))


def add_member(reseller: Reseller, *, email: str, password: str | None, role: ResellerRole, actor: Identity | None,
               ip: str | None = None) -> ResellerStaff:
    try:
        email = normalize_email(email)
    except APIError as error:
        raise APIError("invalid_input", fields={"email": error.fields["email"]}) from None
    identity = find_identity(email)
    if identity is None and not password:
        raise APIError("invalid_input", fields={"password": [_("Set a password for the new account.")]})
    if identity is not None and membership(reseller, identity) is not None:
        raise APIError("invalid_input", fields={"email": [_("This person is already on the team.")]})
    identity = identity or create_identity(email=email, password=password)
    member = ResellerStaff(reseller_id=reseller.id, identity_id=identity.id, role=role)
    db.session.add(member)
    audit.record("reseller.staff_add", actor=actor, reseller_id=reseller.id, target=email, ip=ip,
                 details={"role": role.value})
    return member


def remove_member(reseller: Reseller, member: ResellerStaff, *, actor: Identity | None, ip: str | None = None) -> None:
    """A member leaves, and their API tokens with them; the last owner stays."""
    if member.role == ResellerRole.OWNER and db.session.scalar(
            select(func.count()).select_from(ResellerStaff).where(ResellerStaff.reseller_id == reseller.id,
                                                                 ResellerStaff.role == ResellerRole.OWNER)) <= 1:
        raise APIError("conflict", _("The team keeps at least one owner."))
    identity = db.session.get(Identity, member.identity_id)
    for token in db.session.scalars(select(ResellerToken).where(ResellerToken.reseller_id == reseller.id,
                                                                ResellerToken.identity_id == member.identity_id,
                                                                ResellerToken.revoked_at.is_(None))):
        token.revoked_at = utcnow()
    db.session.delete(member)
    audit.record("reseller.staff_remove", actor=actor, reseller_id=reseller.id, target=identity.email, ip=ip)


# -- shops ---------------------------------------------------------------------------------------

def shops_of(reseller: Reseller, *, before: int | None = None, limit: int = 50) -> tuple[list[Tenant], int | None]:
    """The reseller's shops, newest first, keyset-paged."""
    return newest_first(select(Tenant).where(Tenant.reseller_id == reseller.id), Tenant.id, limit=limit, before=before)


def shop_of(reseller: Reseller, tenant_id) -> Tenant:
    """One of the reseller's shops; 404 for any other (another reseller's, the platform's)."""
    tenant_id = parse_id(str(tenant_id))
    tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
    if tenant is None or tenant.reseller_id != reseller.id:
        raise APIError("not_found", _("The reseller has no such shop."))
    return tenant


def _plan_named(reseller: Reseller, plan_slug: str | None) -> Plan | None:
    sellable = sellable_plans(reseller)
    if not plan_slug:
        return sellable[0][0] if sellable else None
    for plan, _price in sellable:
        if plan.slug == plan_slug:
            return plan
    raise APIError("invalid_input", fields={"plan": [_("Choose one of the plans you sell.")]})


def provision_tenant(reseller: Reseller, *, slug: str, name: str, owner_email: str, owner_password: str | None = None,
                     template: str | None = None, demo_data: bool = True, plan: str | None = None,
                     currency: str = "CNY", timezone: str = "Asia/Shanghai", actor,
                     ip: str | None = None, status: TenantStatus = TenantStatus.ACTIVE,
                     action: str = "reseller.tenant_create") -> Tenant:
    """A new shop of the reseller, on one of the plans it sells (the first when none is named),
    started from `template`; 403 `reseller_quota_reached` when it has `quota` shops already (counted
    under a lock on the reseller's row), 422 by field on bad input — nothing written."""
    if not reseller.is_active:
        raise APIError("forbidden", _("This reseller account is suspended."))
    # (SQLite: the request's write transaction began IMMEDIATE, one writer at a time)
    db.session.execute(select(Reseller.id).where(Reseller.id == reseller.id).with_for_update())
    used = db.session.scalar(select(func.count()).select_from(Tenant).where(Tenant.reseller_id == reseller.id))
    if used >= reseller.quota:
        raise APIError("reseller_quota_reached",
                       _("You have %(used)d shops of the %(quota)d your account allows: ask the platform for more.",
                         used=used, quota=reseller.quota))
    chosen = _plan_named(reseller, plan)
    if template:
        require_offered(template)
    tenant = create_tenant(slug=slug, name=name, currency=currency, timezone=timezone, owner_email=owner_email,
                           owner_password=owner_password, actor=actor, action=action, ip=ip,
                           reseller_id=reseller.id, status=status)
    if chosen is not None:
        assign_plan(tenant, chosen, actor=actor, ip=ip)
    if template:
        with tenant_scope(tenant):
            start_shop(template, demo_data=demo_data, tenant_id=tenant.id, actor=actor)
    return tenant


def suspend_shop(reseller: Reseller, tenant: Tenant, *, actor, reason: str, ip: str | None = None) -> Tenant:
    if not (reason or "").strip():
        raise APIError("invalid_input", fields={"reason": [_("Say why: the audit log keeps it.")]})
    if tenant.is_suspended and tenant.suspended_by != "reseller":
        raise APIError("conflict", _("The platform closed this shop."))
    return suspend_tenant(tenant=tenant, actor=actor, reason=reason, ip=ip, by="reseller")


def resume_shop(reseller: Reseller, tenant: Tenant, *, actor, ip: str | None = None) -> Tenant:
    """Reopen a shop the reseller closed (one the platform closed stays closed: 409)."""
    if tenant.is_suspended and tenant.suspended_by != "reseller":
        raise APIError("conflict", _("The platform closed this shop: ask its support to reopen it."))
    return resume_tenant(tenant=tenant, actor=actor, ip=ip) if tenant.is_suspended else tenant


def change_shop_plan(reseller: Reseller, tenant: Tenant, plan_slug: str, *, actor, ip: str | None = None) -> Tenant:
    plan = _plan_named(reseller, plan_slug or "")
    return assign_plan(tenant, plan, actor=actor, ip=ip)


# -- prices and what is owed ---------------------------------------------------------------------

def set_wholesale(reseller: Reseller, plan: Plan, wholesale: int | None, *, actor: Identity | None,
                  ip: str | None = None) -> ResellerPrice | None:
    """The platform lets the reseller sell `plan` at `wholesale` (None: no longer sells it — its
    shops on it keep it)."""
    row = db.session.scalar(select(ResellerPrice).where(ResellerPrice.reseller_id == reseller.id,
                                                        ResellerPrice.plan_id == plan.id))
    if wholesale is not None and (type(wholesale) is not int or wholesale < 0):
        raise APIError("invalid_input", fields={"wholesale": [_("A price is an amount from 0.")]})
    if wholesale is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        row = ResellerPrice(reseller_id=reseller.id, plan_id=plan.id, wholesale=wholesale, retail=max(wholesale, plan.price))
        db.session.add(row)
    else:
        row.wholesale = wholesale
    audit.record("reseller.wholesale", actor=actor, reseller_id=reseller.id, target=plan.slug, ip=ip,
                 details={"wholesale": wholesale})
    return row if wholesale is not None else None


def set_retail(reseller: Reseller, plan: Plan, retail: int, *, actor, ip: str | None = None) -> ResellerPrice:
    row = db.session.scalar(select(ResellerPrice).where(ResellerPrice.reseller_id == reseller.id,
                                                        ResellerPrice.plan_id == plan.id))
    if row is None:
        raise APIError("not_found", _("You do not sell this plan."))
    if type(retail) is not int or retail < 0:
        raise APIError("invalid_input", fields={"retail": [_("A price is an amount from 0.")]})
    row.retail = retail
    audit.record("reseller.retail", actor=actor, reseller_id=reseller.id, target=plan.slug, ip=ip,
                 details={"retail": retail})
    return row


@dataclasses.dataclass(frozen=True)
class PlanLine:
    plan: Plan
    shops: int  # open shops on it
    wholesale: int  # a shop a month
    retail: int

    @property
    def revenue(self) -> int:
        return self.shops * self.retail

    @property
    def owed(self) -> int:
        return self.shops * self.wholesale


@dataclasses.dataclass(frozen=True)
class Statement:
    """What a reseller's shops bring in and what it owes the platform a month, by plan; shops on
    a plan it no longer sells count at their last prices, at none when it never sold them."""

    lines: list[PlanLine]
    by_status: dict[str, int]
    used: int
    quota: int

    def totals(self) -> dict[str, tuple[int, int]]:
        """currency -> (revenue, owed)"""
        sums: dict[str, tuple[int, int]] = {}
        for line in self.lines:
            revenue, owed = sums.get(line.plan.currency, (0, 0))
            sums[line.plan.currency] = (revenue + line.revenue, owed + line.owed)
        return sums


def statement(reseller: Reseller) -> Statement:
    by_status = {status.value if hasattr(status, "value") else status: count for status, count in db.session.execute(
        select(Tenant.status, func.count()).where(Tenant.reseller_id == reseller.id).group_by(Tenant.status))}
    open_by_plan = dict(db.session.execute(
        select(Tenant.plan_id, func.count()).where(Tenant.reseller_id == reseller.id, Tenant.plan_id.is_not(None),
                                                   Tenant.status == TenantStatus.ACTIVE).group_by(Tenant.plan_id)).all())
    prices = {price.plan_id: price for _plan, price in sellable_plans(reseller)}
    plans = {plan.id: plan for plan in db.session.scalars(select(Plan).where(Plan.id.in_(set(open_by_plan) | set(prices))))}
    lines = [PlanLine(plan, open_by_plan.get(plan.id, 0), getattr(prices.get(plan.id), "wholesale", 0),
                      getattr(prices.get(plan.id), "retail", 0))
             for plan in sorted(plans.values(), key=lambda p: (p.position, p.price, p.id))]
    return Statement(lines, by_status, sum(by_status.values()), reseller.quota)


# -- API tokens ----------------------------------------------------------------------------------

def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(reseller: Reseller, *, identity: Identity, name: str, ip: str | None = None) -> tuple[ResellerToken, str]:
    """A token of the reseller made by `identity`, and its text: the only time it is seen."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise APIError("invalid_input", fields={"name": [_("Name the token after what will use it (at most 80 characters).")]})
    secret = secrets.token_urlsafe(32)
    token = ResellerToken(reseller_id=reseller.id, identity_id=identity.id, name=name, secret_hash=_digest(secret))
    db.session.add(token)
    db.session.flush()
    audit.record("reseller.token_create", actor=identity, reseller_id=reseller.id, target=f"reseller token {token.id}",
                 details={"name": name}, ip=ip)
    return token, f"{TOKEN_PREFIX}_{reseller.id}_{token.id}_{secret}"


def tokens_of(reseller: Reseller) -> list[ResellerToken]:
    return list(db.session.scalars(select(ResellerToken).where(ResellerToken.reseller_id == reseller.id)
                                   .order_by(ResellerToken.created_at.desc())))


def revoke_token(reseller: Reseller, token_id, *, actor: Identity, ip: str | None = None) -> ResellerToken:
    token_id = parse_id(str(token_id))
    token = db.session.get(ResellerToken, token_id) if token_id is not None else None
    if token is None or token.reseller_id != reseller.id:
        raise APIError("not_found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("reseller.token_revoke", actor=actor, reseller_id=reseller.id, target=f"reseller token {token.id}",
                     details={"name": token.name}, ip=ip)
    return token


@dataclasses.dataclass(frozen=True)
class ResellerCaller:
    """Who calls the provisioning API: the token, its reseller, and the person who made it (`id`
    and `email`: the actor of the audit rows)."""

    token_id: int
    reseller_id: int
    id: int
    email: str


def caller_for(raw: str) -> ResellerCaller | None:
    """The caller of a live token (its maker still on the team, the reseller active), or None."""
    parts = (raw or "").split("_", 3)
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX or not parts[3]:
        return None
    reseller_id, token_id = parse_id(parts[1]), parse_id(parts[2])
    if reseller_id is None or token_id is None:
        return None
    row = db.session.execute(
        select(ResellerToken, Identity, Reseller).join(Identity, Identity.id == ResellerToken.identity_id)
        .join(Reseller, Reseller.id == ResellerToken.reseller_id)
        .join(ResellerStaff, (ResellerStaff.reseller_id == ResellerToken.reseller_id)
              & (ResellerStaff.identity_id == ResellerToken.identity_id))
        .where(ResellerToken.id == token_id, ResellerToken.reseller_id == reseller_id)).first()
    if row is None:
        return None
    token, identity, reseller = row
    if (not hmac.compare_digest(token.secret_hash, _digest(parts[3])) or token.revoked_at is not None
            or not identity.is_active or not reseller.is_active):
        return None
    return ResellerCaller(token_id=token.id, reseller_id=reseller.id, id=identity.id, email=identity.email)

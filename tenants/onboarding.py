"""A merchant signing themselves up: their account and shop made in one transaction, on the trial
plan, the shop waiting (`pending`) until they follow the link mailed to them; then it may
publish. The one write path for /signup; each function runs in the caller's transaction and
leaves an audit row."""

from __future__ import annotations

import datetime as dt

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from zxcvbn import zxcvbn

from core import audit
from core.db import db, utcnow
from core.errors import APIError
from core.identities import Identity, StaffMember, find_identity, memberships_of, normalize_email
from core.jobs import periodic
from core.mail import send_mail
from core.permissions import Role
from core.plans import trial_plan
from core.resellers import Reseller, brand
from core.resolution import directory
from core.tenancy import Tenant, TenantStatus, platform_scope, tenant_scope
from tenants.billing import start_trial
from tenants.deletion import purge_tenant
from tenants.plans import assign_plan
from tenants.resellers import provision_tenant
from tenants.services import create_tenant, slug_refusal

CONFIRM_DAYS = 7  # a confirmation link works this long; another can be asked for from the back office
UNCONFIRMED_DAYS = 14  # a sign-up never confirmed is removed after this long (its address may sign up again)
_SALT = "tessera.confirm-email"


def password_weakness(password: str, *hints: str) -> str | None:
    """Why a merchant's new password is too easy to guess (zxcvbn's estimate, knowing the e-mail
    and shop name it must not be made of), or None."""
    if len(password) < 8:
        return _("Use at least 8 characters.")
    if len(password) > 256:
        return _("Use at most 256 characters.")
    found = zxcvbn(password[:100], user_inputs=[hint for hint in hints if hint])
    if found["score"] >= 2:
        return None
    advice = found["feedback"].get("warning") or " ".join(found["feedback"].get("suggestions") or [])
    return _("This password is too easy to guess.") + (f" {advice}" if advice else "")


def sign_up(*, email: str, password: str, shop_name: str, slug: str, ip: str | None = None,
            reseller: Reseller | None = None) -> tuple[Identity, Tenant]:
    """A new owner (e-mail not yet confirmed) and their pending shop (`put_on_trial` next) — a
    reseller's, within its quota, when they sign up at its domain; refuses (422, by field) a taken
    e-mail or address name, a weak password — nothing written."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalize_email(email)
    except APIError as error:
        errors.update(error.fields)
    else:
        if find_identity(email) is not None:
            errors["email"] = [_("This e-mail already has an account: sign in, and ask the platform for another shop.")]
    weakness = password_weakness(password or "", email, shop_name, slug)
    if weakness:
        errors["password"] = [weakness]
    slug = (slug or "").strip().lower()
    if slug_refusal(slug):
        errors["slug"] = [slug_refusal(slug)]
    if not (shop_name or "").strip():
        errors["shop_name"] = [_("Give the shop a name.")]
    if errors:
        raise APIError("invalid_input", fields=errors)
    if reseller is not None:
        tenant = provision_tenant(reseller, slug=slug, name=shop_name.strip(), owner_email=email, owner_password=password,
                                  actor=None, ip=ip, status=TenantStatus.PENDING, action="tenant.signup")
    else:
        tenant = create_tenant(slug=slug, name=shop_name.strip(), owner_email=email, owner_password=password,
                               action="tenant.signup", ip=ip, status=TenantStatus.PENDING)
    owner = find_identity(email)
    owner.email_verified_at = None
    return owner, tenant


def put_on_trial(tenant: Tenant) -> None:
    """The new shop on the trial plan (core.plans.trial_plan) — once its template's demo items are
    in: what it starts with is kept even where the plan allows fewer, as for any plan change. A
    reseller's shop is on the plan its reseller sells and is billed by it: no trial here."""
    if tenant.reseller_id is not None:
        return
    plan = trial_plan()
    if plan is not None:
        assign_plan(tenant, plan)
        start_trial(tenant, plan)


def confirmation_token(identity: Identity) -> str:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT).dumps([str(identity.id), identity.email])


def send_confirmation(identity: Identity) -> None:
    """Mail `identity` the link that confirms their address (after the caller's commit), under the
    brand of the host they signed up at."""
    link = url_for("signup.confirm", token=confirmation_token(identity), _external=True)
    maker = brand()
    send_mail(to=identity.email, subject=_("Confirm your e-mail to open your shop"), sender_name=maker.name,
              text=_("Welcome to %(brand)s.\n\nFollow this link to confirm your e-mail address and open your shop "
                     "(it works for %(days)d days):\n\n%(link)s\n\nIf you did not sign up, ignore this message: "
                     "nothing happens without the link.", brand=maker.name, days=CONFIRM_DAYS, link=link))


def confirm_email(token: str, *, ip: str | None = None) -> Identity:
    """The identity a confirmation link names, its address now confirmed and every shop it owns
    that was waiting for that opened (400 `invalid_input` on a bad, expired or outdated link)."""
    try:
        identity_id, email = URLSafeTimedSerializer(current_app.secret_key, salt=_SALT).loads(
            token, max_age=CONFIRM_DAYS * 86_400)
    except SignatureExpired:
        raise APIError("invalid_input", _("This link has expired: sign in and ask for another.")) from None
    except (BadSignature, ValueError, TypeError):
        raise APIError("invalid_input", _("This link is not valid: copy the whole address from the e-mail.")) from None
    identity = find_identity(str(email))
    if identity is None or str(identity.id) != str(identity_id):
        raise APIError("invalid_input", _("This link is for an address that is no longer the account's."))
    if identity.email_verified_at is None:
        identity.email_verified_at = utcnow()
        audit.record("identity.confirm_email", actor=identity, target=identity.email, ip=ip)
    for member, tenant in memberships_of(identity.id):
        if member.role == Role.OWNER and tenant.status == TenantStatus.PENDING:
            tenant.status = TenantStatus.ACTIVE
            audit.record("tenant.open", actor=identity, tenant_id=tenant.id, target=tenant.slug, ip=ip)
            directory.forget(tenant)
    return identity


def expire_unconfirmed(now: dt.datetime | None = None) -> int:
    """Remove the shops signed up more than UNCONFIRMED_DAYS ago whose owner never confirmed
    (nothing of them was ever public), and their owners' accounts when those have no other shop
    and were never confirmed; how many shops went."""
    now = now or utcnow()
    with platform_scope():
        stale = list(db.session.scalars(select(Tenant).where(
            Tenant.status == TenantStatus.PENDING, Tenant.created_at <= now - dt.timedelta(days=UNCONFIRMED_DAYS))
            .order_by(Tenant.id).limit(50)))
    removed = 0
    for tenant in stale:
        tenant_id, slug = tenant.id, tenant.slug
        with tenant_scope(tenant):
            staff = list(db.session.scalars(select(StaffMember.identity_id)))
        if purge_tenant(tenant):
            removed += 1
            audit.record("tenant.signup_expired", tenant_id=tenant_id, target=slug)
            for identity_id in staff:
                identity = db.session.get(Identity, identity_id)
                if identity is not None and identity.email_verified_at is None and not memberships_of(identity_id):
                    db.session.delete(identity)
        db.session.commit()
    return removed


@periodic("tenants.expire_unconfirmed", seconds=3600)
def tenants_expire_unconfirmed(now: dt.datetime | None = None) -> int:
    return expire_unconfirmed(now)

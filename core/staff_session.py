"""Who is signed in to the consoles, and the checks every console view makes.

Staff and admins sign in with a session cookie. In the merchant back office the shop they work
on is kept in the session; `permission_required` checks their membership and role there and
puts that shop in context for the view."""

from __future__ import annotations

import functools
import time

from flask import abort, g, redirect, request, session, url_for

from core.db import db
from core.identities import Identity, StaffMember, staff_member_for
from core.permissions import Role
from core.resellers import serves
from core.tenancy import Tenant, set_request_tenant


def sign_in(identity: Identity) -> None:
    session.clear()  # a new session id for a new sign-in (no fixation)
    session["identity_id"] = str(identity.id)
    session.permanent = True


def sign_out() -> None:
    session.clear()


def signed_in_identity() -> Identity | None:
    if "identity" not in g:
        identity_id = session.get("identity_id")
        identity = db.session.get(Identity, int(identity_id)) if identity_id else None
        g.identity = identity if identity and identity.is_active else None
    return g.identity


def _to_login(endpoint: str):
    return redirect(url_for(endpoint, next=request.full_path.rstrip("?") if request.method == "GET" else None))


def admin_required(view):
    """Platform admins only."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        identity = signed_in_identity()
        if identity is None:
            return _to_login("console.login")
        if not identity.is_platform_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def select_shop(tenant_id: int) -> None:
    session["tenant_id"] = str(tenant_id)


SUPPORT_KEY = "support"  # a platform admin's support session: {"tenant", "until", "reason"} (tenants.support)


def _supporting(identity: Identity, tenant: Tenant) -> StaffMember | None:
    """For a platform admin in a support session of this shop, until it ends: the owner's role,
    as a membership that is never stored (what they do is audited under their own name)."""
    support = session.get(SUPPORT_KEY)
    if not identity.is_platform_admin or not support or support.get("tenant") != str(tenant.id):
        return None
    if support.get("until", 0) < time.time():
        session.pop(SUPPORT_KEY, None)
        return None
    g.support = support
    return StaffMember(identity_id=identity.id, role=Role.OWNER.value)


def _outside_the_plan():
    """The page saying the shop's plan leaves this engine out (403), or None."""
    from flask import render_template

    from core.engines import require_engine_of
    from core.errors import APIError

    try:
        require_engine_of(request.blueprint)
    except APIError as error:
        return render_template("core/plan_refusal.html", message=error.message), 403
    return None


def staff_actor() -> str:
    """Who did it, as order and booking histories say: the staff member, or the platform admin
    in a support session."""
    return f"support:{g.identity.id}" if g.get("support") else f"staff:{g.staff.id}"


def permission_required(permission: str, *, open_while_unpaid: bool = False):
    """Merchant views: a signed-in staff member of the selected shop whose role holds
    `permission`. The shop becomes the current tenant for the view. A suspended shop's views
    are refused — but for those `open_while_unpaid` (its billing page) when billing closed it,
    and the others lead there."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            identity = signed_in_identity()
            if identity is None:
                return _to_login("merchant.login")
            tenant_id = session.get("tenant_id")
            tenant = db.session.get(Tenant, int(tenant_id)) if tenant_id else None
            if tenant is None or not serves(tenant):
                session.pop("tenant_id", None)
                return redirect(url_for("merchant.shops"))
            if tenant.is_suspended and not (open_while_unpaid and tenant.suspended_by == "billing"):
                if tenant.suspended_by == "billing":
                    return redirect(url_for("billing.page"))
                abort(403, description="This shop is suspended.")
            set_request_tenant(tenant.context())
            member = staff_member_for(identity.id) or _supporting(identity, tenant)
            if member is None:
                session.pop("tenant_id", None)
                return redirect(url_for("merchant.shops"))
            if not member.can(permission):
                abort(403, description="Your role does not allow this.")
            g.shop = tenant
            g.staff = member
            refusal = _outside_the_plan()
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        return wrapped

    return decorate


def login_view(*, template: str, area: str, allowed, refusal: str, home_endpoint: str):
    """The sign-in page of a console: the form, the identity check (`allowed(identity)`), an audit
    row, and a redirect to `next` or home. Rate-limited by the caller's decorator."""
    from flask import render_template

    from core import audit
    from core.forms import LoginForm, safe_next
    from core.identities import authenticate_identity

    form = LoginForm()
    if form.validate_on_submit():
        identity = authenticate_identity(form.email.data, form.password.data)
        if identity is not None and allowed(identity):
            sign_in(identity)
            audit.record(f"{area}.login", actor=identity, ip=request.remote_addr)
            db.session.commit()
            return redirect(safe_next() or url_for(home_endpoint))
        db.session.rollback()
        form.password.errors.append(refusal)
    return render_template(template, form=form), 200 if request.method == "GET" else 400

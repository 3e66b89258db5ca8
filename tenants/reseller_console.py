"""/reseller/: a reseller's own console, on its domain only and under its brand — its shops (open
one within the quota, suspend, resume, change the plan), what they bring in and what it owes the
platform, and, for its owners, the prices it asks, its brand, its team and its API tokens. A
reseller sees its own shops and nothing of any other (tenants.resellers.shop_of answers 404)."""

from __future__ import annotations

import functools
import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.identities import Identity, StaffMember
from core.ids import parse_id
from core.media import FORMATS, inspect_image
from core.money import Money
from core.paging import newest_first
from core.permissions import Role
from core.plans import Plan
from core.resellers import ResellerRole, host_reseller
from core.security import account_rate_limit, attempted_account, auth_rate_limit, limiter
from core.staff_session import login_view, sign_out, signed_in_identity
from core.storage import storage
from core.tenancy import tenant_scope
from tenants import resellers as service
from tenants.forms import BrandForm, ResellerShopForm, SuspendForm, TeamMemberForm, TokenForm
from tenants.starters import starters

bp = Blueprint("reseller", __name__, url_prefix="/reseller", template_folder="templates")
LOGO_BYTES = 512 * 1024


@bp.before_request
def _only_on_a_resellers_domain():
    if host_reseller() is None:
        abort(404)


def _may_sign_in(identity) -> bool:
    reseller = host_reseller()
    return reseller.is_active and service.membership(reseller, identity) is not None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth_rate_limit, methods=["POST"])
@limiter.limit(account_rate_limit, methods=["POST"], key_func=attempted_account)
def login():
    return login_view(template="reseller/login.html", area="reseller", allowed=_may_sign_in,
                      refusal=_("Wrong email or password, or not on this team."), home_endpoint="reseller.shops")


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        sign_out()
    return redirect(url_for("reseller.login"))


def team_member_required(owner: bool = False):
    """Views of a signed-in member of this domain's reseller (an owner with `owner`); the reseller
    is `g.reseller`, the membership `g.member`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            identity = signed_in_identity()
            if identity is None:
                return redirect(url_for("reseller.login", next=request.full_path.rstrip("?")
                                        if request.method == "GET" else None))
            reseller = host_reseller()
            member = service.membership(reseller, identity)
            if member is None:
                abort(403, description=_("You are not on this team."))
            if not reseller.is_active:
                abort(403, description=_("This reseller account is suspended: ask the platform's support."))
            if owner and member.role != ResellerRole.OWNER:
                abort(403, description=_("Only the team's owners may do this."))
            g.reseller, g.member = reseller, member
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


@bp.get("/")
@team_member_required()
def shops():
    rows, next_cursor = service.shops_of(g.reseller, before=parse_id(request.args.get("before")))
    plans = {plan.id: plan for plan in db.session.scalars(select(Plan))}
    return render_template("reseller/shops.html", shops=rows, next_cursor=next_cursor, plans=plans,
                           statement=service.statement(g.reseller), money=_money)


@bp.route("/shops/new", methods=["GET", "POST"])
@team_member_required()
def new_shop():
    form = ResellerShopForm()
    sellable = service.sellable_plans(g.reseller)
    form.plan.choices = [(plan.slug, f"{plan.name} · {_money(price.retail, plan.currency)}") for plan, price in sellable]
    form.template.choices = [("", _("Blank: no template"))] + [(s.slug, s.name) for s in starters()]
    if form.validate_on_submit():
        try:
            tenant = service.provision_tenant(
                g.reseller, slug=form.slug.data, name=form.name.data, owner_email=form.owner_email.data,
                owner_password=form.owner_password.data or None, template=form.template.data or None,
                plan=form.plan.data or None, currency=form.currency.data, timezone=form.timezone.data,
                actor=signed_in_identity(), ip=request.remote_addr)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is open: its owner signs in at %(host)s/merchant/.", name=tenant.name,
                    host=g.reseller.domain), "success")
            return redirect(url_for(".shop", tenant_id=tenant.id))
    return render_template("reseller/shop_new.html", form=form, full=_full()), 400 if form.errors else 200


def _full() -> bool:
    statement = service.statement(g.reseller)
    return statement.used >= statement.quota


@bp.get("/shops/<int:tenant_id>")
@team_member_required()
def shop(tenant_id: int):
    tenant = _shop(tenant_id)
    plans = service.sellable_plans(g.reseller)
    with tenant_scope(tenant):
        owners = list(db.session.scalars(select(Identity.email).join(StaffMember, StaffMember.identity_id == Identity.id)
                                         .where(StaffMember.role == Role.OWNER)))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id,
                                                          AuditEntry.reseller_id == g.reseller.id)
                                 .order_by(AuditEntry.at.desc()).limit(20)).all()
    return render_template("reseller/shop.html", shop=tenant, plans=plans, suspend_form=SuspendForm(),
                           action_form=ConfirmForm(), entries=entries, owners=owners,
                           plan=db.session.get(Plan, tenant.plan_id) if tenant.plan_id else None, money=_money)


def _shop(tenant_id: int):
    try:
        return service.shop_of(g.reseller, tenant_id)
    except APIError:
        abort(404)


@bp.post("/shops/<int:tenant_id>/suspend")
@team_member_required()
def suspend(tenant_id: int):
    tenant = _shop(tenant_id)
    form = SuspendForm()
    if not form.validate_on_submit():
        flash(_("Say why the shop is suspended."), "danger")
        return redirect(url_for(".shop", tenant_id=tenant_id))
    return _act(tenant_id, lambda: service.suspend_shop(g.reseller, tenant, actor=signed_in_identity(),
                                                        reason=form.reason.data, ip=request.remote_addr),
                _("%(name)s is suspended: its storefront and back office are closed.", name=tenant.name))


@bp.post("/shops/<int:tenant_id>/resume")
@team_member_required()
def resume(tenant_id: int):
    tenant = _shop(tenant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _act(tenant_id, lambda: service.resume_shop(g.reseller, tenant, actor=signed_in_identity(),
                                                       ip=request.remote_addr), _("%(name)s is open again.", name=tenant.name))


@bp.post("/shops/<int:tenant_id>/plan")
@team_member_required()
def change_plan(tenant_id: int):
    tenant = _shop(tenant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _act(tenant_id, lambda: service.change_shop_plan(g.reseller, tenant, request.form.get("plan", ""),
                                                            actor=signed_in_identity(), ip=request.remote_addr),
                _("The plan is changed."))


def _act(tenant_id: int, work, done: str):
    try:
        work()
    except APIError as error:
        db.session.rollback()
        flash(error.message if not error.fields else " ".join(m for ms in error.fields.values() for m in ms), "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".shop", tenant_id=tenant_id))


@bp.route("/prices", methods=["GET", "POST"])
@team_member_required(owner=True)
def prices():
    sellable = service.sellable_plans(g.reseller)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        for plan, _price in sellable:
            try:
                retail = Money.parse(request.form.get(f"retail-{plan.id}", ""), plan.currency).amount
                service.set_retail(g.reseller, plan, retail, actor=signed_in_identity(), ip=request.remote_addr)
            except (APIError, ValueError):
                errors[str(plan.id)] = _("Enter an amount such as 99.00.")
        if not errors:
            db.session.commit()
            flash(_("Your prices are saved."), "success")
            return redirect(url_for(".prices"))
        db.session.rollback()
    return render_template("reseller/prices.html", sellable=sellable, errors=errors, form=ConfirmForm(), money=_money,
                           typed=lambda amount, currency: str(Money(amount, currency).to_decimal())), \
        400 if errors else 200


@bp.route("/brand", methods=["GET", "POST"])
@team_member_required(owner=True)
def brand():
    reseller = g.reseller
    form = BrandForm(obj=None if request.method == "POST" else reseller)
    if form.validate_on_submit():
        try:
            logo_key = _stored_logo(form.logo.data)
            service.update_brand(reseller, name=form.name.data, colour=form.colour.data,
                                 support_email=form.support_email.data or "", logo_key=logo_key,
                                 actor=signed_in_identity(), ip=request.remote_addr)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Your brand is saved: your merchants see it from their next page."), "success")
            return redirect(url_for(".brand"))
    return render_template("reseller/brand.html", form=form), 400 if form.errors else 200


def _stored_logo(upload) -> str | None:
    """The storage key of an uploaded logo (checked: a real image, at most LOGO_BYTES), or None."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read(LOGO_BYTES + 1)
    image_format, _size = inspect_image(data, field="logo", max_bytes=LOGO_BYTES)
    content_type, extension = FORMATS[image_format]
    key = f"resellers/{g.reseller.id}/logo-{secrets.token_hex(8)}.{extension}"
    storage().put(key, data, content_type)
    return key


@bp.route("/team", methods=["GET", "POST"])
@team_member_required(owner=True)
def team():
    form = TeamMemberForm()
    if form.validate_on_submit():
        try:
            service.add_member(g.reseller, email=form.email.data, password=form.password.data or None,
                               role=ResellerRole(form.role.data), actor=signed_in_identity(), ip=request.remote_addr)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("%(email)s is on the team: they sign in at %(host)s/reseller/.", email=form.email.data,
                    host=g.reseller.domain), "success")
            return redirect(url_for(".team"))
    return render_template("reseller/team.html", form=form, members=service.team(g.reseller), action_form=ConfirmForm()), \
        400 if form.errors else 200


@bp.post("/team/<int:member_id>/remove")
@team_member_required(owner=True)
def remove_member(member_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    member = next((m for m, _identity in service.team(g.reseller) if m.id == member_id), None) or abort(404)
    try:
        service.remove_member(g.reseller, member, actor=signed_in_identity(), ip=request.remote_addr)
    except APIError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("They have left the team, and their API tokens no longer work."), "success")
    return redirect(url_for(".team"))


@bp.route("/tokens", methods=["GET", "POST"])
@team_member_required(owner=True)
def tokens():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            _token, secret = service.create_token(g.reseller, identity=signed_in_identity(), name=form.name.data,
                                                  ip=request.remote_addr)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    return render_template("reseller/tokens.html", form=form, secret=secret, tokens=service.tokens_of(g.reseller),
                           action_form=ConfirmForm()), 400 if form.errors else 200


@bp.post("/tokens/<int:token_id>/revoke")
@team_member_required(owner=True)
def revoke_token(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.revoke_token(g.reseller, token_id, actor=signed_in_identity(), ip=request.remote_addr)
    except APIError:
        abort(404)
    db.session.commit()
    flash(_("The token is revoked: requests made with it are refused from now on."), "success")
    return redirect(url_for(".tokens"))


@bp.get("/audit")
@team_member_required()
def audit_log():
    entries, next_cursor = newest_first(select(AuditEntry).where(AuditEntry.reseller_id == g.reseller.id),
                                        AuditEntry.id, limit=50, before=parse_id(request.args.get("before")))
    return render_template("reseller/audit.html", entries=entries, next_cursor=next_cursor)


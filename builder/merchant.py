"""/merchant/: the back office — sign in, choose a shop, the dashboard, staff and roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from builder.forms import RoleForm, StaffInviteForm, role_choices
from builder.staff import dismiss_staff, invite_staff, set_staff_role
from core.backoffice import register_nav
from core.consumers import Consumer
from core.db import db
from core.engines import load, registry
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.identities import Identity, StaffMember, memberships_of
from core.money import Money
from core.plans import plan_of, usage
from core.resellers import serves, shop_price_list
from core.security import account_rate_limit, attempted_account, auth_rate_limit, limiter
from core.staff_session import login_view, permission_required, select_shop, sign_out, signed_in_identity

bp = Blueprint("merchant", __name__, url_prefix="/merchant", template_folder="templates",
               static_folder="static/merchant", static_url_path="/static")

register_nav("merchant.dashboard", _l("Dashboard"), icon="dashboard", permission="dashboard.view", order=0)
register_nav("merchant.staff", _l("Staff"), icon="users", permission="staff.view", order=90)
register_nav("merchant.plan", _l("Plan and usage"), icon="stack-2", permission="dashboard.view", order=95)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth_rate_limit, methods=["POST"])
@limiter.limit(account_rate_limit, methods=["POST"], key_func=attempted_account)
def login():
    return login_view(template="merchant/login.html", area="merchant", allowed=lambda identity: True,
                      refusal=_("Wrong email or password."), home_endpoint="merchant.shops")


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        sign_out()
    return redirect(url_for("merchant.login"))


@bp.route("/shops", methods=["GET", "POST"])
def shops():
    """Which shop to work on, when the person works in several."""
    identity = signed_in_identity()
    if identity is None:
        return redirect(url_for("merchant.login"))
    memberships = [(m, t) for m, t in memberships_of(identity.id) if serves(t)]  # a reseller's domain: its shops
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        chosen = request.form.get("tenant_id", type=int)
        if chosen not in {tenant.id for _, tenant in memberships}:
            abort(403)
        select_shop(chosen)
        return redirect(url_for("merchant.dashboard"))
    active = [(m, t) for m, t in memberships if not t.is_suspended or t.suspended_by == "billing"]  # may pay
    if request.method == "GET" and len(active) == 1 and len(memberships) == 1:
        select_shop(active[0][1].id)
        return redirect(url_for("merchant.dashboard"))
    return render_template("merchant/shops.html", memberships=memberships, form=form)


@bp.get("/")
@permission_required("dashboard.view")
def dashboard():
    """What the shop's engines report (each engine's dashboard part), as far as the staff member's
    role allows: a figure shows to those who hold its permission, links for those who may open
    its list; then the customers and staff counts."""
    cards, trends = [], []
    for engine in registry():
        if not engine.dashboard:
            continue
        part = load(engine.dashboard)()
        cards += [{"card": card, "link": card.url if g.staff.can(card.link_permission or card.permission) else None}
                  for card in part.cards if g.staff.can(card.permission)]
        if part.trend is not None and g.staff.can(part.trend.permission):
            trends.append({"trend": part.trend, "chart": {
                "periods": {str(period.days): period.points for period in part.trend.periods},
                "text": {"orders": _("Orders")}}})
    consumers, staff = db.session.execute(select(select(func.count()).select_from(Consumer).scalar_subquery(),
                                                 select(func.count()).select_from(StaffMember).scalar_subquery())).one()
    return render_template("merchant/dashboard.html", cards=cards, trends=trends,
                           counts={"consumers": consumers, "staff": staff})


@bp.route("/staff", methods=["GET", "POST"])
@permission_required("staff.view")
def staff():
    form = StaffInviteForm()
    if request.method == "POST":
        if not g.staff.can("staff.manage"):
            abort(403, description=_("Your role does not allow managing staff."))
        if form.validate_on_submit():
            try:
                invite_staff(email=form.email.data, role=form.role.data, name=form.name.data or "",
                             password=form.password.data or None, actor=signed_in_identity())
            except APIError as error:
                db.session.rollback()
                show_errors(form, error)
            else:
                db.session.commit()
                flash(_("%(email)s joined the staff.", email=form.email.data), "success")
                return redirect(url_for("merchant.staff"))
    members = db.session.execute(select(StaffMember, Identity).join(Identity, Identity.id == StaffMember.identity_id)
                                 .order_by(StaffMember.created_at)).all()
    return render_template("merchant/staff.html", members=members, form=form, role_choices=role_choices(),
                           action_form=ConfirmForm()), 400 if form.errors else 200


@bp.get("/plan")
@permission_required("dashboard.view")
def plan():
    """The shop's plan, what it uses of each limit, and the plans that allow more."""
    current = plan_of()
    offered = [(option, Money(price, option.currency).format()) for option, price in shop_price_list(g.shop)]
    return render_template("merchant/plan.html", plan=current, usage=usage(), offered=offered)


@bp.post("/staff/<int:member_id>/role")
@permission_required("staff.manage")
def staff_role(member_id: int):
    member = StaffMember.get(member_id) or abort(404)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            set_staff_role(member=member, role=form.role.data, actor=signed_in_identity())
            db.session.commit()
            flash(_("Role changed."), "success")
        except APIError as error:
            db.session.rollback()
            flash(error.message, "danger")
    else:
        flash(_("Choose a valid role."), "danger")
    return redirect(url_for("merchant.staff"))


@bp.post("/staff/<int:member_id>/remove")
@permission_required("staff.manage")
def staff_remove(member_id: int):
    member = StaffMember.get(member_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            dismiss_staff(member=member, actor=signed_in_identity())
            db.session.commit()
            flash(_("Removed from the staff."), "success")
        except APIError as error:
            db.session.rollback()
            flash(error.message, "danger")
    return redirect(url_for("merchant.staff"))

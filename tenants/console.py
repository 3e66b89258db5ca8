"""/console/: the platform admins' console — sign in, tenants (list, search, create, suspend,
resume) and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.ids import parse_id
from core.paging import newest_first
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.identities import StaffMember
from core.security import account_rate_limit, attempted_account, auth_rate_limit, limiter
from core.staff_session import admin_required, login_view, sign_out, signed_in_identity
from core.tenancy import Tenant, platform_scope
from tenants.forms import TenantForm
from tenants.services import create_tenant, resume_tenant, search_tenants, suspend_tenant

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth_rate_limit, methods=["POST"])
@limiter.limit(account_rate_limit, methods=["POST"], key_func=attempted_account)
def login():
    return login_view(template="console/login.html", area="console", allowed=lambda i: i.is_platform_admin,
                      refusal=_("Wrong email or password, or not a platform admin."), home_endpoint="console.tenants")


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        sign_out()
    return redirect(url_for("console.login"))


@bp.get("/")
@admin_required
def tenants():
    query = request.args.get("q", "").strip()[:100]
    status = request.args.get("status") or None
    rows, next_cursor = search_tenants(query, status=status, after=request.args.get("after"))
    with platform_scope():
        staff_counts = dict(db.session.execute(
            select(StaffMember.tenant_id, func.count()).where(StaffMember.tenant_id.in_([t.id for t in rows]))
            .group_by(StaffMember.tenant_id)).all()) if rows else {}
    return render_template("console/tenants.html", tenants=rows, next_cursor=next_cursor, query=query,
                           status=status, staff_counts=staff_counts, action_form=ConfirmForm())


@bp.route("/tenants/new", methods=["GET", "POST"])
@admin_required
def new_tenant():
    form = TenantForm()
    if form.validate_on_submit():
        try:
            tenant = create_tenant(slug=form.slug.data, name=form.name.data, currency=form.currency.data,
                                   timezone=form.timezone.data, owner_email=form.owner_email.data,
                                   owner_password=form.owner_password.data or None, actor=signed_in_identity())
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Shop %(name)s created. Choose the template it starts from, or skip.", name=tenant.name), "success")
            return redirect(url_for("template_gallery.console", tenant_id=tenant.id))
    return render_template("console/tenant_new.html", form=form), 400 if form.errors else 200


@bp.get("/tenants/<int:tenant_id>")
@admin_required
def tenant(tenant_id: int):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    with platform_scope():
        staff = db.session.execute(
            select(StaffMember).where(StaffMember.tenant_id == tenant_id).order_by(StaffMember.created_at)).scalars().all()
    from core.identities import Identity

    identities = {i.id: i for i in db.session.scalars(select(Identity).where(Identity.id.in_([s.identity_id for s in staff])))} if staff else {}
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
                                 .order_by(AuditEntry.at.desc()).limit(20)).all()
    return render_template("console/tenant.html", shop=shop, staff=staff, identities=identities, entries=entries,
                           action_form=ConfirmForm())


@bp.post("/tenants/<int:tenant_id>/suspend")
@admin_required
def suspend(tenant_id: int):
    return _change_status(tenant_id, suspend_tenant, _("Shop suspended: its storefront, API and back office now refuse requests."))


@bp.post("/tenants/<int:tenant_id>/resume")
@admin_required
def resume(tenant_id: int):
    return _change_status(tenant_id, resume_tenant, _("Shop resumed."))


def _change_status(tenant_id: int, change, message: str):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    change(tenant=shop, actor=signed_in_identity())
    db.session.commit()
    flash(message, "success")
    return redirect(request.form.get("back") if request.form.get("back", "").startswith("/console/")
                    else url_for("console.tenant", tenant_id=tenant_id))


@bp.get("/audit")
@admin_required
def audit_log():
    entries, next_cursor = newest_first(select(AuditEntry), AuditEntry.id, limit=50,
                                        before=parse_id(request.args.get("before")))
    return render_template("console/audit.html", entries=entries, next_cursor=next_cursor)

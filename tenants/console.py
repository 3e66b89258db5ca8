"""/console/: the platform admins' console — sign in, tenants (list, search, create, suspend,
resume, their plan and usage), plans (tenants.console_plans) and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.audit import AuditEntry
from core.db import db, utcnow
from core.ids import parse_id
from core.paging import newest_first
from core.errors import APIError
from core.forms import ConfirmForm, local_path, show_errors
from core.identities import StaffMember
from core.security import account_rate_limit, attempted_account, auth_rate_limit, limiter
from core.staff_session import admin_required, login_view, sign_out, signed_in_identity
from core.plans import all_plans, plan_of, usage
from core.resellers import Reseller
from core.tenancy import Tenant, platform_scope, tenant_scope
from tenants.billing import subscription_of
from tenants.domains import domains_of
from tenants.export import export_tenant
from tenants.deletion import DELETION_DAYS, cancel_deletion, schedule_deletion
from tenants.forms import DeleteForm, ResumeForm, SuspendForm, TenantForm
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
                           status=status, staff_counts=staff_counts)


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
    with tenant_scope(shop):
        used = usage()
    return render_template("console/tenant.html", shop=shop, staff=staff, identities=identities, entries=entries,
                           usage=used, plan=plan_of(shop.id), plans=all_plans(), subscription=subscription_of(shop),
                           domains=domains_of(shop.id), action_form=ConfirmForm(),
                           reseller=db.session.get(Reseller, shop.reseller_id) if shop.reseller_id else None)


@bp.route("/tenants/<int:tenant_id>/suspend", methods=["GET", "POST"])
@admin_required
def suspend(tenant_id: int):
    """A page that says what suspending does and asks why; the shop is suspended only when that
    form is sent with a reason, which the audit row keeps."""
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    form = SuspendForm(back=request.args.get("back"))
    if shop.is_suspended:
        flash(_("This shop is already suspended."), "info")
        return redirect(_back(form, tenant_id))
    if form.validate_on_submit():
        suspend_tenant(tenant=shop, actor=signed_in_identity(), reason=form.reason.data, ip=request.remote_addr)
        db.session.commit()
        flash(_("Shop suspended: its storefront, API and back office now refuse requests."), "success")
        return redirect(_back(form, tenant_id))
    return render_template("console/status_change.html", shop=shop, form=form, suspending=True,
                           cancel=_back(form, tenant_id)), 400 if form.errors else 200


@bp.route("/tenants/<int:tenant_id>/resume", methods=["GET", "POST"])
@admin_required
def resume(tenant_id: int):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    form = ResumeForm(back=request.args.get("back"))
    if shop.deletion_due_at is not None:
        flash(_("This shop is to be deleted: call off the deletion on its page to open it again."), "warning")
        return redirect(url_for(".tenant", tenant_id=tenant_id))
    if not shop.is_suspended:
        flash(_("This shop is already active."), "info")
        return redirect(_back(form, tenant_id))
    if form.validate_on_submit():
        resume_tenant(tenant=shop, actor=signed_in_identity(), note=form.note.data or "", ip=request.remote_addr)
        db.session.commit()
        flash(_("Shop resumed."), "success")
        return redirect(_back(form, tenant_id))
    return render_template("console/status_change.html", shop=shop, form=form, suspending=False,
                           cancel=_back(form, tenant_id)), 400 if form.errors else 200


def _back(form, tenant_id: int) -> str:
    """Where the admin came from (a page of the console: the list with its search), else the shop."""
    back = local_path(form.back.data)
    return back if back and back.startswith("/console/") else url_for("console.tenant", tenant_id=tenant_id)


@bp.get("/audit")
@admin_required
def audit_log():
    entries, next_cursor = newest_first(select(AuditEntry), AuditEntry.id, limit=50,
                                        before=parse_id(request.args.get("before")))
    return render_template("console/audit.html", entries=entries, next_cursor=next_cursor)


@bp.post("/tenants/<int:tenant_id>/export")
@admin_required
def export(tenant_id: int):
    """The shop's data as a zip (tenants.export); audited."""
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    archive = export_tenant(shop)
    audit.record("tenant.export", actor=signed_in_identity(), tenant_id=shop.id, target=shop.slug,
                 ip=request.remote_addr)
    db.session.commit()
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{shop.slug}-{utcnow():%Y%m%d}.zip")


@bp.route("/tenants/<int:tenant_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(tenant_id: int):
    """What deleting does, the address typed again and a reason; the shop closes at once and goes
    after the grace period (tenants.deletion)."""
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    form = DeleteForm()
    if shop.deletion_due_at is not None:
        flash(_("This shop is already to be deleted."), "info")
        return redirect(url_for(".tenant", tenant_id=tenant_id))
    if form.validate_on_submit():
        if form.confirm.data.strip().lower() != shop.slug:
            form.confirm.errors.append(_("Type %(slug)s to confirm.", slug=shop.slug))
        else:
            schedule_deletion(shop, reason=form.reason.data, actor=signed_in_identity(), ip=request.remote_addr)
            db.session.commit()
            flash(_("%(name)s is closed and will be deleted on %(day)s.", name=shop.name,
                    day=f"{shop.deletion_due_at:%Y-%m-%d}"), "success")
            return redirect(url_for(".tenant", tenant_id=tenant_id))
    return render_template("console/delete.html", shop=shop, form=form, days=DELETION_DAYS), \
        400 if request.method == "POST" else 200


@bp.post("/tenants/<int:tenant_id>/delete/cancel")
@admin_required
def cancel_delete(tenant_id: int):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    if shop.deletion_due_at is not None:
        cancel_deletion(shop, actor=signed_in_identity(), ip=request.remote_addr)
        db.session.commit()
        flash(_("The deletion is called off: %(name)s is open again.", name=shop.name), "success")
    return redirect(url_for(".tenant", tenant_id=tenant_id))


from tenants import console_figures, console_plans, console_resellers  # noqa: E402,F401  pages on bp

"""The console's resellers (on tenants.console's `bp`): the list with how many shops each runs of
its quota, a form to make one with its owner, and a reseller's page — its name, domain and quota,
the plans it may sell at which wholesale price, its shops, its audit trail, and suspending it."""

from __future__ import annotations

from decimal import InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.money import Money, MoneyError
from core.plans import all_plans
from core.resellers import Reseller, ResellerStatus
from core.staff_session import admin_required, signed_in_identity
from tenants import resellers as service
from tenants.console import bp
from tenants.forms import ResellerEditForm, ResellerForm


@bp.get("/resellers")
@admin_required
def resellers():
    return render_template("console/resellers.html", resellers=service.all_resellers(), counts=service.shop_counts())


@bp.route("/resellers/new", methods=["GET", "POST"])
@admin_required
def new_reseller():
    form = ResellerForm()
    if form.validate_on_submit():
        try:
            reseller = service.create_reseller(slug=form.slug.data, name=form.name.data, domain=form.domain.data,
                                               quota=form.quota.data, owner_email=form.owner_email.data,
                                               owner_password=form.owner_password.data or None,
                                               actor=signed_in_identity(), ip=request.remote_addr)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is a reseller: its team signs in at %(host)s/reseller/ once the name points here.",
                    name=reseller.name, host=reseller.domain), "success")
            return redirect(url_for("console.reseller", reseller_id=reseller.id))
    return render_template("console/reseller_new.html", form=form), 400 if form.errors else 200


def _reseller(reseller_id: int) -> Reseller:
    return db.session.get(Reseller, reseller_id) or abort(404)


@bp.route("/resellers/<int:reseller_id>", methods=["GET", "POST"])
@admin_required
def reseller(reseller_id: int):
    found = _reseller(reseller_id)
    form = ResellerEditForm(obj=None if request.method == "POST" else found)
    if form.validate_on_submit():
        try:
            service.update_reseller(found, name=form.name.data, domain=form.domain.data, quota=form.quota.data,
                                    actor=signed_in_identity(), ip=request.remote_addr)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("console.reseller", reseller_id=reseller_id))
    return _page(found, form), 400 if form.errors else 200


def _page(found: Reseller, form, price_errors: dict | None = None):
    prices = {plan.id: price for plan, price in service.sellable_plans(found)}
    shops, next_cursor = service.shops_of(found, limit=100)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.reseller_id == found.id)
                                 .order_by(AuditEntry.at.desc()).limit(20)).all()
    return render_template("console/reseller.html", reseller=found, form=form, plans=all_plans(), prices=prices,
                           shops=shops, more_shops=next_cursor is not None, statement=service.statement(found),
                           entries=entries, action_form=ConfirmForm(), price_errors=price_errors or {},
                           typed=lambda amount, currency: str(Money(amount, currency).to_decimal()),
                           team=service.team(found))


@bp.post("/resellers/<int:reseller_id>/prices")
@admin_required
def reseller_prices(reseller_id: int):
    """Which plans the reseller may sell, at which wholesale price (a blank price: not sold)."""
    found = _reseller(reseller_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    errors = {}
    for plan in all_plans():
        typed = request.form.get(f"wholesale-{plan.id}", "").strip()
        try:
            wholesale = Money.parse(typed, plan.currency).amount if typed else None
            service.set_wholesale(found, plan, wholesale, actor=signed_in_identity(), ip=request.remote_addr)
        except (MoneyError, InvalidOperation, ValueError, APIError):
            errors[str(plan.id)] = _("Enter an amount such as 49.00, or leave it blank.")
    if errors:
        db.session.rollback()
        return _page(found, ResellerEditForm(obj=found), errors), 400
    db.session.commit()
    flash(_("The wholesale prices are saved."), "success")
    return redirect(url_for("console.reseller", reseller_id=reseller_id))


@bp.post("/resellers/<int:reseller_id>/status")
@admin_required
def reseller_status(reseller_id: int):
    """Suspend a reseller (its team and API are refused; its shops carry on) or resume it."""
    found = _reseller(reseller_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    suspending = found.is_active
    reason = request.form.get("reason", "").strip()[:500]
    if suspending and not reason:
        flash(_("Say why the reseller is suspended."), "danger")
        return redirect(url_for("console.reseller", reseller_id=reseller_id))
    service.set_reseller_status(found, ResellerStatus.SUSPENDED if suspending else ResellerStatus.ACTIVE,
                                actor=signed_in_identity(), reason=reason, ip=request.remote_addr)
    db.session.commit()
    flash(_("Reseller suspended: its team and API are refused; its shops carry on.") if suspending
          else _("Reseller resumed."), "success")
    return redirect(url_for("console.reseller", reseller_id=reseller_id))

"""The console's plans (on tenants.console's `bp`): the list with how many shops each has, a form
to make or change one (its price and a field per limit Tessera counts, blank for none), and the
plan of a shop, changed from the shop's page."""

from __future__ import annotations

from decimal import InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.db import db
from core.engines import plan_engines
from core.errors import APIError
from core.forms import ConfirmForm
from core.money import Money, MoneyError
from core.plans import LIMITS, Plan
from core.staff_session import admin_required, signed_in_identity
from core.tenancy import Tenant
from tenants.console import bp
from tenants.plans import assign_plan, create_plan, plans_with_shops, update_plan


@bp.get("/plans")
@admin_required
def plans():
    found = plans_with_shops()
    prices = {plan.id: Money(plan.price, plan.currency).format() for plan, _shops in found}
    return render_template("console/plans.html", plans=found, prices=prices, limits=LIMITS)


@bp.route("/plans/new", methods=["GET", "POST"])
@admin_required
def new_plan():
    return _plan_form(None)


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@admin_required
def edit_plan(plan_id: int):
    return _plan_form(db.session.get(Plan, plan_id) or abort(404))


def _shown(plan: Plan | None) -> dict:
    if plan is None:
        return {"slug": "", "name": "", "price": "0", "currency": "CNY", "position": "0", "active": True,
                "trial_days": "0", "engines": None, **{name: "" for name in LIMITS}}
    return {"slug": plan.slug, "name": plan.name, "price": f"{Money(plan.price, plan.currency).to_decimal():f}",
            "currency": plan.currency, "position": str(plan.position), "active": plan.active,
            "trial_days": str(plan.trial_days), "engines": plan.engines, **{name: "" if plan.allows(name) is None else str(plan.allows(name)) for name in LIMITS}}


def _posted(errors: dict) -> dict:
    """The form as the plan services take it; what cannot be read goes into `errors`."""
    form = request.form
    data = {"slug": form.get("slug", ""), "name": form.get("name", ""), "currency": form.get("currency", "CNY"),
            "active": bool(form.get("active")), "limits": {}}
    try:
        data["price"] = Money.parse(form.get("price", "").strip() or "0", data["currency"]).amount
    except (MoneyError, InvalidOperation, ValueError, KeyError):
        errors["price"] = _("A price such as 99.00.")
        data["price"] = 0
    position = form.get("position", "").strip() or "0"
    data["position"] = int(position) if position.isdigit() and len(position) <= 4 else 0
    data["engines"] = form.getlist("engines") if form.get("engines_shown") else None  # (a form without the boxes: all)
    trial = form.get("trial_days", "").strip() or "0"
    if not (trial.isdigit() and int(trial) <= 365):
        errors["trial_days"] = _("A number of days from 0 (no trial) to 365.")
    data["trial_days"] = int(trial) if trial.isdigit() and int(trial) <= 365 else 0
    for name in LIMITS:
        text = form.get(name, "").strip()
        if text and not (text.isdigit() and len(text) <= 9):
            errors[name] = _("A whole number of 0 or more; blank for no limit.")
        data["limits"][name] = int(text) if text.isdigit() and len(text) <= 9 else None
    return data


def _plan_form(plan: Plan | None):
    errors: dict[str, str] = {}
    values = _shown(plan)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400, description=_("The form expired; reload the page and try again."))
        values = {**{name: request.form.get(name, "") for name in values}, "active": bool(request.form.get("active")),
                  "engines": request.form.getlist("engines") if request.form.get("engines_shown") else None}
        data = _posted(errors)
        if not errors:
            try:
                saved = (update_plan(plan, actor=signed_in_identity(), **data) if plan is not None
                         else create_plan(actor=signed_in_identity(), **data))
            except APIError as error:
                db.session.rollback()
                errors.update({name: " ".join(messages) for name, messages in error.fields.items()})
            else:
                db.session.commit()
                flash(_("Plan %(name)s saved.", name=saved.name), "success")
                return redirect(url_for("console.plans"))
    return render_template("console/plan_form.html", plan=plan, values=values, errors=errors, limits=LIMITS,
                           engines=plan_engines(), action_form=ConfirmForm()), 400 if errors else 200


@bp.post("/tenants/<int:tenant_id>/plan")
@admin_required
def tenant_plan(tenant_id: int):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    chosen = request.form.get("plan_id", "")
    plan = db.session.get(Plan, int(chosen)) if chosen.isdigit() and len(chosen) <= 19 else None
    if chosen and plan is None:
        abort(404)
    assign_plan(shop, plan, actor=signed_in_identity(), ip=request.remote_addr)
    db.session.commit()
    flash(_("%(shop)s is now on %(plan)s.", shop=shop.name, plan=plan.name if plan else _("no plan (unlimited)")),
          "success")
    return redirect(url_for("console.tenant", tenant_id=tenant_id))

"""The merchant's billing page (/merchant/billing): the plan, where its payment stands (trial,
paid until, due, closed) and the plans offered, each to choose — a free one at once, a paid one
through the billing provider's checkout (Stripe's, or the sandbox's page here in development),
and, with Stripe, its customer portal and the latest invoices. Staff see it; owners choose and
pay. It stays open while billing has closed the shop, so paying reopens it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.backoffice import register_nav
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.money import Money
from core.permissions import register_permission
from core.plans import Plan, offered_plans, plan_of
from core.resellers import brand
from core.security import console_csp
from core.staff_session import permission_required, signed_in_identity
from core.tenancy import Tenant
from tenants.billing import (GRACE_DAYS, billing_provider, choose_plan, provider_name, read_checkout_token,
                             record_payment, subscription_of)

bp = Blueprint("billing", __name__, url_prefix="/merchant/billing", template_folder="templates")

PAY = "billing.manage"
register_permission(PAY, _l("Choose and pay for the shop's plan"), roles=())
register_nav("billing.page", _l("Billing"), icon="credit-card", permission="dashboard.view", order=96)


def _price(plan: Plan) -> str:
    return Money(plan.price, plan.currency).format()


@bp.get("/")
@permission_required("dashboard.view", open_while_unpaid=True)
def page():
    if g.shop.reseller_id is not None:  # its reseller bills it
        return render_template("billing/by_reseller.html", plan=plan_of(), maker=brand())
    subscription, provider = subscription_of(g.shop), billing_provider()
    page_csp = {"Content-Security-Policy": console_csp(form_action=provider.pages())}  # its forms go to the provider
    return render_template("billing/page.html", plan=plan_of(), subscription=subscription,
                           offered=[(option, _price(option)) for option in offered_plans()], grace_days=GRACE_DAYS,
                           may_pay=g.staff.can(PAY), provider=provider.name,
                           invoices=[(invoice, Money(invoice.amount, invoice.currency).format())
                                     for invoice in (provider.invoices(subscription) if subscription else [])],
                           portal=bool(subscription and subscription.customer_ref), action_form=ConfirmForm(),
                           paid=request.args.get("paid") == "1"), 200, page_csp


@bp.post("/choose/<int:plan_id>")
@permission_required(PAY, open_while_unpaid=True)
def choose(plan_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    plan = db.session.get(Plan, plan_id) or abort(404)
    if g.shop.reseller_id is not None:
        abort(403, description=_("Your plan is changed by %(brand)s.", brand=brand().name))
    identity = signed_in_identity()
    try:
        step = choose_plan(g.shop, plan, email=identity.email, actor=identity)
    except APIError as error:
        return _refused(error)
    db.session.commit()  # what the provider was told (its customer) is kept even when the merchant goes no further
    if step.kind == "pay":
        return redirect(step.url)
    flash(_("Your shop is now on the %(plan)s plan.", plan=plan.name), "success")
    return redirect(url_for(".page"))


@bp.post("/portal")
@permission_required(PAY, open_while_unpaid=True)
def portal():
    """The provider's own pages for the card on file, the invoices and cancelling."""
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    subscription = subscription_of(g.shop)
    try:
        url = subscription and billing_provider().portal(subscription, url_for(".page", _external=True))
    except APIError as error:
        return _refused(error)
    return redirect(url) if url else redirect(url_for(".page"))


def _refused(error: APIError):
    db.session.rollback()
    flash(error.message if error.code != "not_found" else _("This plan is not offered any more."), "danger")
    return redirect(url_for(".page"))


# -- the sandbox's checkout: what the provider's hosted page does, in development only -----------

def _checkout(token: str) -> tuple[Tenant, Plan, str]:
    if provider_name() != "sandbox":
        abort(404)
    tenant_id, plan_id, payment = read_checkout_token(token[:300])
    plan = db.session.get(Plan, plan_id)
    if tenant_id != g.shop.id or plan is None or not plan.active:
        abort(404)
    return g.shop, plan, payment


@bp.get("/sandbox/<token>")
@permission_required(PAY, open_while_unpaid=True)
def sandbox_checkout(token: str):
    shop, plan, _payment = _checkout(token)
    return render_template("billing/sandbox.html", shop=shop, plan=plan, price=_price(plan), token=token,
                           action_form=ConfirmForm())


@bp.post("/sandbox/<token>")
@permission_required(PAY, open_while_unpaid=True)
def sandbox_pay(token: str):
    shop, plan, payment = _checkout(token)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    card = "sandbox:declines" if request.form.get("card") == "declines" else "sandbox:pays"
    record_payment(shop, plan, payment=payment, payment_method=card, actor=signed_in_identity())
    db.session.commit()
    flash(_("Paid: your shop is on the %(plan)s plan.", plan=plan.name), "success")
    return redirect(url_for(".page"))

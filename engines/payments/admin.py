"""/merchant/payments: how the shop takes payments — its Stripe account (keys encrypted at rest,
shown only by their last characters) and, in development, the sandbox. "payments.manage"
(owners only: these keys move the shop's money). Every change is audited, without the keys."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length

from core.db import db
from core.errors import APIError
from core.backoffice import record_staff_action
from core.forms import ConfirmForm, show_errors
from core.staff_session import permission_required
from engines.payments.accounts import SANDBOX, STRIPE, accounts_overview, configure_stripe, provider_names, set_sandbox

bp = Blueprint("payments_admin", __name__, url_prefix="/merchant/payments", template_folder="templates")

MANAGE = "payments.manage"


class StripeForm(FlaskForm):
    secret_key = PasswordField(_l("Secret key"), validators=[Length(max=255)],
                               description=_l("sk_live_… or a restricted key rk_live_… (sk_test_ for testing). Leave "
                                              "blank to keep the saved key."))
    publishable_key = StringField(_l("Publishable key"), validators=[Length(max=255)],
                                  description=_l("pk_live_… (pk_test_ for testing): the card form uses it."))
    webhook_secret = PasswordField(_l("Webhook signing secret"), validators=[Length(max=255)],
                                   description=_l("whsec_…, shown by Stripe when you add the webhook address below. "
                                                  "Leave blank to keep the saved secret."))
    enabled = BooleanField(_l("Take payments with Stripe"))


def _audit(action: str, details: dict) -> None:
    record_staff_action(action, f"payments {details.get('provider')}", details)


def _webhook_url() -> str:
    """Where Stripe sends this shop's events: the shop's own path on this host."""
    return f"{request.host_url.rstrip('/')}/s/{g.shop.slug}{url_for('payments_api.stripe_webhook')}"


@bp.route("/", methods=["GET", "POST"])
@permission_required(MANAGE)
def index():
    accounts = {entry["provider"]: entry for entry in accounts_overview()}
    stripe_form = StripeForm(data={"publishable_key": accounts[STRIPE]["public"].get("publishable_key", ""),
                                   "enabled": accounts[STRIPE]["offered"]})
    if stripe_form.validate_on_submit():
        try:
            configure_stripe(secret_key=stripe_form.secret_key.data or "",
                             publishable_key=stripe_form.publishable_key.data or "",
                             webhook_secret=stripe_form.webhook_secret.data or "", enabled=stripe_form.enabled.data)
        except APIError as error:
            db.session.rollback()
            show_errors(stripe_form, error)
        else:
            _audit("payments.stripe.update", {"provider": STRIPE, "enabled": stripe_form.enabled.data,
                                              "secret_key_changed": bool(stripe_form.secret_key.data),
                                              "webhook_secret_changed": bool(stripe_form.webhook_secret.data)})
            db.session.commit()
            flash(_("Stripe settings saved.") if stripe_form.enabled.data else
                  _("Stripe settings saved; Stripe is not offered at checkout."), "success")
            return redirect(url_for(".index"))
    offered = [name for name, entry in accounts.items() if entry["offered"]]
    return render_template("payments/admin.html", accounts=accounts, stripe_form=stripe_form,
                           sandbox_form=ConfirmForm(), sandbox_exists=SANDBOX in provider_names(), offered=offered,
                           webhook_url=_webhook_url()), \
        400 if stripe_form.errors or stripe_form.form_errors else 200


@bp.post("/sandbox")
@permission_required(MANAGE)
def sandbox():
    if SANDBOX not in provider_names():
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    enabled = request.form.get("enabled") == "1"
    set_sandbox(enabled=enabled)
    _audit("payments.sandbox.update", {"provider": SANDBOX, "enabled": enabled})
    db.session.commit()
    flash(_("Sandbox payments are on: buyers confirm test payments themselves.") if enabled else
          _("Sandbox payments are off."), "success")
    return redirect(url_for(".index"))

"""Pay pages, reached by a signed link from a payment's next action:

- the sandbox pay page (development only; its blueprint is not registered in production): what a
  real provider's hosted page would be. The consumer confirms or fails the payment; the form post
  settles it the way the provider's webhook would;
- the Stripe pay page: Stripe's card form (Stripe.js, the Payment Element) for the H5, which
  confirms the PaymentIntent at Stripe; the webhook settles the payment."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request

from core.db import db
from core.forms import local_path
from core.money import Money
from engines.payments.accounts import STRIPE, public_settings
from engines.payments.models import PaymentStatus
from engines.payments.providers import PROVIDERS, page_token_valid
from engines.payments.services import payment_with_order, settle_with_order

sandbox_bp = Blueprint("sandbox_pay", __name__, template_folder="templates")
bp = Blueprint("payment_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/pay/static")

PAGE_CSP = "default-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'"
# What Stripe.js needs (docs.stripe.com/security/guide#content-security-policy), nothing more.
STRIPE_CSP = ("default-src 'self'; style-src 'self'; script-src 'self' https://js.stripe.com; "
              "frame-src https://js.stripe.com https://hooks.stripe.com; connect-src 'self' https://api.stripe.com; "
              "img-src 'self' data: https://*.stripe.com; form-action 'self'; base-uri 'none'")


@sandbox_bp.route("/pay/sandbox/<int:payment_id>", methods=["GET", "POST"])
def page(payment_id: int):
    if not page_token_valid("sandbox-pay", payment_id, request.values.get("token", "")):
        abort(404)
    outcome = settled = None
    if request.method == "POST":
        choice = request.form.get("outcome")
        if choice not in ("succeeded", "failed"):
            abort(400, description="Choose succeeded or failed.")
        settled = settle_with_order(payment_id, succeeded=choice == "succeeded", details={"sandbox": choice})
        if settled is not None:
            db.session.commit()
            if settled[0] in ("paid", "failed") and _local(request.form.get("return_to", "")):
                return redirect(request.form["return_to"], code=303)
    if settled is not None:
        outcome, payment, order = settled
    else:  # a page to show, or a payment settled before (or none: 404)
        payment, order = payment_with_order(payment_id)
        outcome = "already_settled" if request.method == "POST" else None
    response = render_template("payments/sandbox_pay.html", payment=payment, order=order, outcome=outcome,
                               amount=Money(payment.amount, payment.currency),
                               return_to=request.values.get("return_to", ""))
    return response, 200, {"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"}


@bp.get("/pay/stripe/<int:payment_id>")
def stripe(payment_id: int):
    """The card form of a pending Stripe payment; Stripe sends the consumer back to `return_to`
    (a path of this site) once the card is confirmed, and the webhook settles the payment."""
    if not page_token_valid("stripe-pay", payment_id, request.args.get("token", "")):
        abort(404)
    payment, order = payment_with_order(payment_id)
    if payment.provider != STRIPE:
        abort(404)
    return_to = request.args.get("return_to", "")
    return_to = return_to if _local(return_to) else ""
    pending = payment.status == PaymentStatus.PENDING
    response = render_template("payments/stripe_pay.html", payment=payment, order=order, pending=pending,
                               amount=Money(payment.amount, payment.currency), return_to=return_to,
                               publishable_key=public_settings(STRIPE).get("publishable_key", ""),
                               client_secret=PROVIDERS[STRIPE].client_secret(payment) if pending else "")
    return response, 200, {"Content-Security-Policy": STRIPE_CSP, "Cache-Control": "no-store",
                           "Referrer-Policy": "same-origin"}


def _local(url: str) -> bool:
    """Only paths of this site, as the consoles' `next` (core.forms.local_path)."""
    return local_path(url) is not None

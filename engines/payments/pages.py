"""The sandbox pay page: what a real provider's hosted page would be. The consumer confirms or
fails the payment; the form post settles it the way the provider's webhook would."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request

from core.db import db
from core.money import Money
from engines.payments.providers import SandboxProvider
from engines.payments.services import payment_with_order, settle_with_order

bp = Blueprint("payment_pages", __name__, template_folder="templates")

PAGE_CSP = "default-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'"


@bp.route("/pay/sandbox/<int:payment_id>", methods=["GET", "POST"])
def sandbox_pay(payment_id: int):
    if not SandboxProvider.token_valid(payment_id, request.values.get("token", "")):
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


def _local(url: str) -> bool:
    """Only paths of this site: "/…" but not "//host/…" or "/\\host"."""
    return url.startswith("/") and not url.startswith(("//", "/\\"))

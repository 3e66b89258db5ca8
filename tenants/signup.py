"""Merchants sign themselves up (tenants.onboarding): the platform's landing page at `/`, the
form at /signup (e-mail and password, shop name and address name checked as it is typed, a
template from the gallery), then the designer with the template's demo items as the draft; the
shop publishes once the link mailed to its owner is followed (/signup/confirm/<token>), and the
back office offers to send it again (/signup/resend).

Bots are slowed by a limit per client address on the form's posts and a field people never see
(a honeypot). The templates offered are the template library's (tenants.starters)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length

from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, ValidEmail, local_path
from core.mail import can_send_mail
from core.resellers import host_reseller
from core.security import limiter
from core.staff_session import select_shop, sign_in, signed_in_identity
from core.tenancy import tenant_scope
from tenants.onboarding import confirm_email, put_on_trial, send_confirmation, sign_up
from tenants.services import slug_refusal
from tenants.starters import start_shop, starters as offered_starters

bp = Blueprint("signup", __name__, template_folder="templates", static_folder="static",
               static_url_path="/signup/static")


class SignupForm(FlaskForm):
    shop_name = StringField(_l("Shop name"), validators=[DataRequired(_l("Give the shop a name.")), Length(max=120)])
    slug = StringField(_l("Shop address"), validators=[DataRequired(_l("Choose the shop's address.")),
                                                       Length(min=3, max=40)],
                       description=_l("Lowercase letters, digits and dashes: your shop lives at /s/your-address/."))
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(), ValidEmail(), Length(max=254)],
                       description=_l("We send a link to it: following it opens your shop."))
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             description=_l("At least 8 characters, not easy to guess: a few unusual words work well."))
    template = RadioField(_l("Start from"), validators=[DataRequired(_l("Choose a template."))])
    website = StringField(_l("Leave this empty"))  # the honeypot: hidden from people, filled by bots


def signup_rate_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def mail_rate_limit() -> str:
    return current_app.config["MAIL_RATE_LIMIT"]


def _signed_in_key() -> str:
    identity = signed_in_identity()
    return f"mail:{identity.id if identity else request.remote_addr}"


def landing():
    """The platform's front page: what Tessera does, and the way in for a new merchant."""
    return render_template("signup/landing.html", starters=offered_starters())


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(signup_rate_limit, methods=["POST"])
def form():
    starters = offered_starters()
    form = SignupForm()
    form.template.choices = [(starter.slug, starter.name) for starter in starters]
    if request.method == "GET" and not form.template.data and starters:
        form.template.data = request.args.get("template") or starters[0].slug
    if form.validate_on_submit():
        if form.website.data:  # a bot (or a browser filling every field): nothing written
            form.form_errors.append(_("Your shop was not created: leave the field “Leave this empty” empty."))
        elif not can_send_mail():
            form.email.errors.append(_("Sign-up is closed for now: we cannot send e-mail. Try again later."))
        else:
            created = _create(form)
            if created is not None:
                return created
    return render_template("signup/form.html", form=form, starters=starters), 200 if request.method == "GET" else 400


def _create(form: SignupForm):
    try:
        owner, tenant = sign_up(email=form.email.data, password=form.password.data, shop_name=form.shop_name.data,
                                slug=form.slug.data, ip=request.remote_addr, reseller=host_reseller())
        with tenant_scope(tenant):
            name, _published = start_shop(form.template.data, demo_data=True, tenant_id=tenant.id, actor=owner)
        put_on_trial(tenant)
        send_confirmation(owner)
    except APIError as error:
        db.session.rollback()
        if error.code in ("reseller_quota_reached", "forbidden"):  # a reseller's quota is full, or it is suspended
            form.form_errors.append(_("Sign-up is closed for now: try again later."))
            return None
        fields = {"shop_name": form.shop_name, "slug": form.slug, "email": form.email, "password": form.password}
        for key, messages in (error.fields or {"email": [error.message]}).items():
            fields.get(key, form.email).errors.extend(messages)
        return None
    db.session.commit()
    sign_in(owner)
    select_shop(tenant.id)
    flash(_("Welcome! %(shop)s starts from the %(template)s template, with its demo items. We sent a link to "
            "%(email)s: follow it to open your shop, then publish.", shop=tenant.name, template=name, email=owner.email),
          "success")
    return redirect(url_for("designer.index"))


@bp.get("/signup/address")
def address():
    """Whether an address name is free, for the form to say as it is typed."""
    slug = (request.args.get("slug") or "").strip().lower()[:64]
    problem = slug_refusal(slug)
    return jsonify({"slug": slug, "available": problem is None, "message": problem or _("This address is free.")})


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The mailed link shows a button; the button confirms (a mail scanner that follows links
    confirms nothing, and a GET writes nothing)."""
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("signup/confirm.html", form=form), 200 if request.method == "GET" else 400
    try:
        identity = confirm_email(token[:400], ip=request.remote_addr)
    except APIError as error:
        db.session.rollback()
        return render_template("signup/confirm_failed.html", message=error.message), 400
    db.session.commit()
    flash(_("Your e-mail is confirmed and your shop is open: publish it from the designer."), "success")
    signed_in = signed_in_identity()
    if signed_in is not None and signed_in.id == identity.id:
        return redirect(url_for("designer.index"))
    return redirect(url_for("merchant.login"))


@bp.post("/signup/resend")
@limiter.limit(mail_rate_limit, key_func=_signed_in_key)
def resend():
    identity = signed_in_identity()
    if identity is None:
        return redirect(url_for("merchant.login"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if identity.email_verified_at is not None:
        flash(_("Your e-mail is already confirmed."), "info")
    else:
        try:
            send_confirmation(identity)
        except APIError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("We sent the link again to %(email)s.", email=identity.email), "success")
    return redirect(local_path(request.form.get("next")) or url_for("merchant.dashboard"))

"""/merchant/marketing/coupons: the shop's coupons (what each takes off, when it is good, how many
are out and used, what they brought in), making one with every rule the service knows, pausing,
resuming and ending it, and sending copies to customers named by phone or email. Views of
`engines.marketing.admin.bp`; every write goes through engines.marketing.services and is audited."""

from __future__ import annotations

from flask import g, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField

from core.backoffice import record_staff_action
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.money import Money
from core.staff_session import permission_required
from engines.marketing.admin import (MANAGE, SCOPES, Typed, bp, category_choices, chosen_scope, found_or_404,
                                     coverage_in_words, item_choices, list_page, moment_in_words, new_page,
                                     pause_resume_end,
                                     percent_in_words, scope_field, status_of, window_in_words)
from engines.marketing.figures import figures_of
from engines.marketing.models import Coupon, CouponKind, CouponScope
from engines.marketing.services import (MAX_SEND, CouponRules, consumers_by_login, create_coupon, find_coupon,
                                        list_coupons, scope_errors, send_coupon, update_coupon)

KINDS = [("amount", _l("Amount off")), ("threshold", _l("Amount off above a spend")),
         ("percent", _l("Percentage off")), ("free_shipping", _l("Free delivery"))]
ACTIONS = {"pause": ("paused", _l("Coupon paused: no more claims; copies held stay usable.")),
           "resume": ("active", _l("Coupon resumed.")),
           "end": ("ended", _l("Coupon ended: no more claims; copies held stay usable until they expire."))}
REASONS = {"not_found": _l("No customer with this phone number or email"),
           "coupon_sold_out": _l("Every copy has been issued"),
           "coupon_limit_reached": _l("Already holds as many as one customer may")}
# The service's field names, as the form names them.
FORM_FIELDS = {"percent_bp": "percent", "ends_at": "ends_on", "excluded_item_ids": "excluded_items"}


class CouponForm(FlaskForm):
    # Rules are checked by the service (and the typed numbers here), so that one save names every
    # field that is wrong; the selects check their choices.
    name = StringField(_l("Name"), render_kw={"maxlength": 60})
    kind = SelectField(_l("Kind"), choices=lambda: KINDS, default="amount")
    amount = StringField(_l("Amount off"))
    percent = StringField(_l("Percentage off"), description=_l("e.g. 15 or 8.5"))
    cap = StringField(_l("At most"), description=_l("The most it takes off; blank for no cap"))
    minimum = StringField(_l("Minimum spend"))
    scope = SelectField(_l("Applies to"), choices=lambda: SCOPES, default="all")
    scope_items = SelectMultipleField(_l("Items it applies to"), render_kw={"size": 6})
    scope_categories = SelectMultipleField(_l("Categories it applies to"), render_kw={"size": 6},
                                           description=_l("A category takes in its subcategories"))
    excluded_items = SelectMultipleField(_l("Never on these items"), render_kw={"size": 6})
    starts_on = StringField(_l("First day"), render_kw={"type": "date"}, description=_l("Blank: from today"))
    ends_on = StringField(_l("Last day"), render_kw={"type": "date"},
                          description=_l("Needed unless copies last a number of days"))
    valid_days = StringField(_l("Days of use after claiming"), render_kw={"inputmode": "numeric"},
                             description=_l("Each copy is good until the end of this many days after the day it is "
                                            "claimed; blank to use the first and last day"))
    total_limit = StringField(_l("Copies in all"), render_kw={"inputmode": "numeric"},
                              description=_l("Blank for no limit"))
    per_consumer_limit = StringField(_l("Copies per customer"), default="1", render_kw={"inputmode": "numeric"})
    per_day_limit = StringField(_l("Copies a day"), render_kw={"inputmode": "numeric"},
                                description=_l("Claimed or sent in one of the shop's days; blank for no limit"))
    public = BooleanField(_l("Offer it in the claim centre"), default=True,
                          description=_l("Otherwise only customers you send it to get it"))
    new_member_gift = BooleanField(_l("Give it to every new customer"), default=False,
                                   description=_l("One copy each, when they register or first sign in"))
    on_special_prices = BooleanField(_l("Also on items already at a special price"), default=True,
                                     description=_l("Items in a timed discount or a bundle"))
    combines_with_promotions = BooleanField(_l("Can be used with order promotions"), default=True,
                                            description=_l("On an order a spend or quantity promotion applies to"))


class SendForm(FlaskForm):
    recipients = TextAreaField(_l("Customers"), render_kw={"rows": 6},
                               description=_l("Phone numbers or email addresses, one a line, up to %(n)s",
                                              n=MAX_SEND))


def _coupon_form() -> CouponForm:
    form = CouponForm()
    form.scope_items.choices = form.excluded_items.choices = item_choices()
    form.scope_categories.choices = category_choices()
    currency = g.shop.currency
    form.amount.description = _("In %(currency)s, e.g. 10 or 12.50", currency=currency)
    form.minimum.description = _("What the items it covers must come to, in %(currency)s; blank for none",
                                 currency=currency)
    return form


def _rules(form: CouponForm, typed: Typed) -> CouponRules:
    """The form's rules; the typed values that cannot be read are noted in `typed`."""

    def money(field, blank: int | None = 0) -> int | None:
        amount = typed.money(field)
        if amount is not None and amount < 0:
            typed.refuse(field, _("Zero or more."))
        return blank if amount is None else amount

    def whole(field, blank: int | None) -> int | None:
        number = typed.whole(field)
        return blank if number is None else number

    kind = form.kind.data
    percent_bp = 0  # blank: the service names what is missing
    if kind == CouponKind.PERCENT.value and typed.text(form.percent):
        percent_bp = typed.percent_bp(form.percent) or 0
    return CouponRules(
        name=form.name.data or "", kind=kind,
        amount=money(form.amount) if kind in (CouponKind.AMOUNT.value, CouponKind.THRESHOLD.value) else 0,
        percent_bp=percent_bp, cap=money(form.cap, None) if kind == CouponKind.PERCENT.value else None,
        minimum=money(form.minimum), scope=form.scope.data, scope_ids=chosen_scope(form),
        excluded_item_ids=tuple(int(i) for i in form.excluded_items.data or []),
        starts_at=typed.day(form.starts_on, after=False), ends_at=typed.day(form.ends_on, after=True),
        valid_days=whole(form.valid_days, None), public=bool(form.public.data),
        new_member_gift=bool(form.new_member_gift.data),
        total_limit=whole(form.total_limit, None), per_consumer_limit=whole(form.per_consumer_limit, 1),
        per_day_limit=whole(form.per_day_limit, None), on_special_prices=bool(form.on_special_prices.data),
        combines_with_promotions=bool(form.combines_with_promotions.data))


def _create(form: CouponForm) -> Coupon:
    """The coupon the form describes; 422 naming every field that is wrong (nothing made)."""
    typed = Typed()
    rules = _rules(form, typed)
    refused: dict[str, list[str]] = dict(scope_errors(rules.scope, rules.scope_ids, rules.excluded_item_ids))
    coupon = None
    try:
        coupon = create_coupon(rules)
    except APIError as error:
        refused = {**error.fields, **refused}
    errors = typed.errors
    for name, messages in refused.items():  # a value that cannot be read says so first
        errors.setdefault(scope_field(name, rules.scope, FORM_FIELDS), list(messages))
    if errors:
        raise APIError("invalid_input", fields=errors)  # save_form rolls back what was made
    return coupon


# -- what staff read -----------------------------------------------------------------------------

def offer_in_words(coupon: Coupon, currency: str) -> str:
    def money(amount: int) -> str:
        return Money(amount, currency).format()

    if coupon.kind == CouponKind.THRESHOLD:
        return _("%(amount)s off a spend of %(minimum)s", amount=money(coupon.amount), minimum=money(coupon.minimum))
    if coupon.kind == CouponKind.AMOUNT:
        return _("%(amount)s off", amount=money(coupon.amount))
    if coupon.kind == CouponKind.PERCENT:
        percent = percent_in_words(coupon.percent_bp)
        if coupon.cap is not None:
            return _("%(percent)s off, at most %(cap)s", percent=percent, cap=money(coupon.cap))
        return _("%(percent)s off", percent=percent)
    return _("Free delivery")


def named_offer(coupon: Coupon, currency: str) -> str:
    """"Welcome (¥5.00 off)": a coupon as a list to choose from names it."""
    return f"{coupon.name} ({offer_in_words(coupon, currency)})"


def conditions_in_words(coupon: Coupon, currency: str) -> str:
    """Below the offer: the spend it needs (but a threshold's, said already) and what it covers."""
    parts = []
    if coupon.minimum and coupon.kind != CouponKind.THRESHOLD:
        parts.append(_("on a spend of %(minimum)s or more", minimum=Money(coupon.minimum, currency).format()))
    if coupon.scope == CouponScope.ITEMS:
        parts.append(_("on %(n)s chosen item(s)", n=len(coupon.scope_ids)))
    elif coupon.scope == CouponScope.CATEGORIES:
        parts.append(_("on %(n)s chosen category(ies)", n=len(coupon.scope_ids)))
    if coupon.excluded_item_ids:
        parts.append(_("never on %(n)s item(s)", n=len(coupon.excluded_item_ids)))
    return " · ".join(parts)


def validity_in_words(coupon: Coupon) -> str:
    if coupon.valid_days is not None:
        days = _("%(n)s day(s) after claiming", n=coupon.valid_days)
        if coupon.ends_at:
            return _("%(days)s, claimed by %(last)s", days=days, last=moment_in_words(coupon.ends_at, end=True))
        return days
    if coupon.starts_at and coupon.ends_at:
        return window_in_words(coupon.starts_at, coupon.ends_at)
    return _("Until %(last)s", last=moment_in_words(coupon.ends_at, end=True)) if coupon.ends_at else ""


def _words() -> dict:
    currency = g.shop.currency
    return {"offer": lambda c: offer_in_words(c, currency), "conditions": lambda c: conditions_in_words(c, currency),
            "coverage": coverage_in_words, "validity": validity_in_words,
            "status": lambda c: status_of(c, scheduled=False), "money": lambda amount: Money(amount, currency).format()}


def _coupon(coupon_id: int) -> Coupon:
    return found_or_404(find_coupon, coupon_id, _("There is no such coupon."))


# -- views ---------------------------------------------------------------------------------------

@bp.get("/coupons")
@permission_required(MANAGE)
def coupons():
    return list_page("marketing/coupons.html", list_coupons, words=_words())


@bp.route("/coupons/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_coupon():
    form = _coupon_form()
    return new_page(form, lambda: _create(form), kind="coupon", saved=_("Coupon saved."),
                    then=lambda coupon: url_for(".coupon", coupon_id=coupon.id), template="marketing/coupon_new.html",
                    zone=g.shop.timezone)


def _detail(coupon: Coupon, send_form: SendForm, sent: dict | None = None, status: int = 200):
    return render_template("marketing/coupon.html", coupon=coupon, words=_words(), action_form=ConfirmForm(),
                           send_form=send_form, sent=sent, currency=g.shop.currency, Money=Money,
                           kinds=dict(KINDS), figures=figures_of([coupon])[coupon.id]), status


@bp.get("/coupons/<int:coupon_id>")
@permission_required(MANAGE)
def coupon(coupon_id: int):
    return _detail(_coupon(coupon_id), SendForm(formdata=None))


@bp.post("/coupons/<int:coupon_id>/status")
@permission_required(MANAGE)
def change_status(coupon_id: int):
    return pause_resume_end(_coupon(coupon_id), kind="coupon", actions=ACTIONS, update=update_coupon,
                         back=url_for(".coupon", coupon_id=coupon_id))


@bp.post("/coupons/<int:coupon_id>/send")
@permission_required(MANAGE)
def send(coupon_id: int):
    found = _coupon(coupon_id)
    form = SendForm()
    if not form.validate_on_submit():
        return _detail(found, form, status=400)
    lines = list(dict.fromkeys(line.strip() for line in (form.recipients.data or "").splitlines() if line.strip()))
    if not lines or len(lines) > MAX_SEND:
        form.recipients.errors = [_("Name from 1 to %(n)s customers, one a line.", n=MAX_SEND)]
        return _detail(found, form, status=400)
    known = consumers_by_login(lines)
    named = {}  # each consumer once, under the first line that names them
    for line in lines:
        if line in known:
            named.setdefault(known[line], line)
    try:
        issued, refused = send_coupon(found, list(named))
    except APIError as error:
        db.session.rollback()
        show_errors(form, APIError(error.code, error.message))  # the reason is the coupon's, not a field's
        return _detail(found, form, status=409)
    reasons = {consumer_id: code for consumer_id, code in refused}
    refusals = [(line, str(REASONS.get("not_found" if line not in known else reasons[known[line]], _("Refused"))))
                for line in lines if line not in known or (named[known[line]] == line and known[line] in reasons)]
    record_staff_action("coupon.send", f"coupon {found.id}",
                        {"name": found.name, "issued": len(issued), "refused": len(refusals)})
    db.session.commit()
    return _detail(found, SendForm(formdata=None), sent={"issued": len(issued), "refused": refusals})

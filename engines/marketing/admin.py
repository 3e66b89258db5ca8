"""/merchant/marketing/coupons: the shop's coupons (what each takes off, when it is good, how many
are out and used), making one with every rule the service knows, pausing, resuming and ending it,
and sending copies to customers named by phone or email. Every view checks "marketing.manage";
every write goes through engines.marketing.services and is audited."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField

from core.backoffice import record_staff_action, save_form
from core.db import db, utcnow
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.ids import parse_id
from core.money import Money, MoneyError
from core.staff_session import permission_required
from engines.catalog.services import category_tree, list_for_staff
from engines.marketing.models import Coupon, CouponKind, CouponScope, CouponStatus
from engines.marketing.services import (MAX_SEND, CouponRules, consumers_by_login, create_coupon, find_coupon,
                                        list_coupons, scope_errors, send_coupon, update_coupon)

# The form's script is served from beside the templates: the engine's own static folder is the H5's.
bp = Blueprint("marketing_admin", __name__, url_prefix="/merchant/marketing", template_folder="templates",
               static_folder="templates/marketing/static", static_url_path="/static")

MANAGE = "marketing.manage"
PAGE = 30
ITEMS_OFFERED = 300  # the newest items a coupon's form offers to choose from

KINDS = [("amount", _l("Amount off")), ("threshold", _l("Amount off above a spend")),
         ("percent", _l("Percentage off")), ("free_shipping", _l("Free delivery"))]
SCOPES = [("all", _l("Everything")), ("items", _l("Chosen items")), ("categories", _l("Chosen categories"))]
STATUS_LABELS = {"active": _l("Active"), "paused": _l("Paused"), "ended": _l("Ended")}
ACTIONS = {"pause": ("paused", _l("Coupon paused: no more claims; copies held stay usable.")),
           "resume": ("active", _l("Coupon resumed.")),
           "end": ("ended", _l("Coupon ended: no more claims; copies held stay usable until they expire."))}
REASONS = {"not_found": _l("No customer with this phone number or email"),
           "coupon_sold_out": _l("Every copy has been issued"),
           "coupon_limit_reached": _l("Already holds as many as one customer may")}
# The service's field names, as the form names them.
FORM_FIELDS = {"percent_bp": "percent", "ends_at": "ends_on", "excluded_item_ids": "excluded_items"}
_PERCENT = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")


def _zone() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(g.shop.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _item_choices() -> list[tuple[str, str]]:
    items, _next = list_for_staff(limit=ITEMS_OFFERED)
    return [(str(item.id), item.name) for item in items]


def _category_choices() -> list[tuple[str, str]]:
    return [(c["id"], f"{top['name']} / {c['name']}" if c is not top else c["name"])
            for top in category_tree() for c in (top, *top["children"])]


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
    public = BooleanField(_l("Offer it in the claim centre"), default=True,
                          description=_l("Otherwise only customers you send it to get it"))
    new_member_gift = BooleanField(_l("Give it to every new customer"), default=False,
                                   description=_l("One copy each, when they register or first sign in"))


class SendForm(FlaskForm):
    recipients = TextAreaField(_l("Customers"), render_kw={"rows": 6},
                               description=_l("Phone numbers or email addresses, one a line, up to %(n)s",
                                              n=MAX_SEND))


def _coupon_form() -> CouponForm:
    form = CouponForm()
    form.scope_items.choices = form.excluded_items.choices = _item_choices()
    form.scope_categories.choices = _category_choices()
    currency = g.shop.currency
    form.amount.description = _("In %(currency)s, e.g. 10 or 12.50", currency=currency)
    form.minimum.description = _("What the items it covers must come to, in %(currency)s; blank for none",
                                 currency=currency)
    return form


def _rules(form: CouponForm) -> tuple[CouponRules, dict[str, list[str]]]:
    """The form's rules, and the typed values that cannot be read, by field."""
    errors: dict[str, list[str]] = {}
    currency = g.shop.currency

    def text(field) -> str:
        return (field.data or "").strip()

    def money(field, blank: int | None = 0) -> int | None:
        if not text(field):
            return blank
        try:
            amount = Money.parse(text(field), currency).amount
        except MoneyError as error:
            errors[field.name] = [str(error)]
            return blank
        if amount < 0:
            errors[field.name] = [_("Zero or more.")]
        return amount

    def whole(field, blank: int | None) -> int | None:
        if not text(field):
            return blank
        if not (text(field).isascii() and text(field).isdigit() and len(text(field)) <= 9):
            errors[field.name] = [_("A whole number, e.g. 100.")]
            return blank
        return int(text(field))

    def day(field, *, after: bool) -> dt.datetime | None:
        """The start of the day typed (of the day after it: `after`), in the shop's time zone."""
        if not text(field):
            return None
        try:
            chosen = dt.date.fromisoformat(text(field))
        except ValueError:
            errors[field.name] = [_("A day, e.g. 2025-06-30.")]
            return None
        if not 2000 <= chosen.year <= 2998:
            errors[field.name] = [_("A day from the year 2000.")]
            return None
        start = dt.datetime.combine(chosen + dt.timedelta(days=1 if after else 0), dt.time(), tzinfo=_zone())
        return start.astimezone(dt.UTC)

    kind, scope = form.kind.data, form.scope.data
    percent_bp = 0
    if kind == CouponKind.PERCENT.value and text(form.percent):
        if _PERCENT.fullmatch(text(form.percent)):
            percent_bp = int(Decimal(text(form.percent)) * 100)
        else:
            errors["percent"] = [_("A percentage such as 15 or 8.5, below 100.")]
    chosen = form.scope_items.data if scope == CouponScope.ITEMS.value else \
        form.scope_categories.data if scope == CouponScope.CATEGORIES.value else []
    rules = CouponRules(
        name=form.name.data or "", kind=kind,
        amount=money(form.amount) if kind in (CouponKind.AMOUNT.value, CouponKind.THRESHOLD.value) else 0,
        percent_bp=percent_bp, cap=money(form.cap, None) if kind == CouponKind.PERCENT.value else None,
        minimum=money(form.minimum), scope=scope, scope_ids=tuple(int(i) for i in chosen or []),
        excluded_item_ids=tuple(int(i) for i in form.excluded_items.data or []),
        starts_at=day(form.starts_on, after=False), ends_at=day(form.ends_on, after=True),
        valid_days=whole(form.valid_days, None), public=bool(form.public.data),
        new_member_gift=bool(form.new_member_gift.data),
        total_limit=whole(form.total_limit, None), per_consumer_limit=whole(form.per_consumer_limit, 1))
    return rules, errors


def _form_field(name: str, scope: str) -> str:
    if name == "scope_ids":
        return "scope_categories" if scope == CouponScope.CATEGORIES.value else "scope_items"
    return FORM_FIELDS.get(name, name)


def _create(form: CouponForm) -> Coupon:
    """The coupon the form describes; 422 naming every field that is wrong (nothing made)."""
    rules, errors = _rules(form)
    refused: dict[str, list[str]] = dict(scope_errors(rules.scope, rules.scope_ids, rules.excluded_item_ids))
    coupon = None
    try:
        coupon = create_coupon(rules)
    except APIError as error:
        refused = {**error.fields, **refused}
    for name, messages in refused.items():
        errors.setdefault(_form_field(name, rules.scope), list(messages))  # a value that cannot be read says so first
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
        percent = f"{Decimal(coupon.percent_bp) / 100:f}"
        percent = (percent.rstrip("0").rstrip(".") if "." in percent else percent) + "%"
        if coupon.cap is not None:
            return _("%(percent)s off, at most %(cap)s", percent=percent, cap=money(coupon.cap))
        return _("%(percent)s off", percent=percent)
    return _("Free delivery")


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


def coverage_in_words(coupon: Coupon) -> str:
    """What a coupon's page says it applies to."""
    if coupon.scope == CouponScope.ITEMS:
        covered = _("%(n)s chosen item(s)", n=len(coupon.scope_ids))
    elif coupon.scope == CouponScope.CATEGORIES:
        covered = _("%(n)s chosen category(ies)", n=len(coupon.scope_ids))
    else:
        covered = _("Everything")
    if coupon.excluded_item_ids:
        return _("%(covered)s, never %(n)s item(s)", covered=covered, n=len(coupon.excluded_item_ids))
    return covered


def validity_in_words(coupon: Coupon) -> str:
    zone = _zone()

    def first(moment: dt.datetime) -> str:
        return moment.astimezone(zone).date().isoformat()

    def last(moment: dt.datetime) -> str:  # ends_at is the first moment it is no longer good
        return (moment - dt.timedelta(microseconds=1)).astimezone(zone).date().isoformat()

    if coupon.valid_days is not None:
        days = _("%(n)s day(s) after claiming", n=coupon.valid_days)
        return _("%(days)s, claimed by %(last)s", days=days, last=last(coupon.ends_at)) if coupon.ends_at else days
    if coupon.starts_at and coupon.ends_at:
        return f"{first(coupon.starts_at)} – {last(coupon.ends_at)}"
    return _("Until %(last)s", last=last(coupon.ends_at)) if coupon.ends_at else ""


def _status(coupon: Coupon) -> tuple[str, str]:
    """(label, badge class) of a coupon's state as staff read it."""
    if coupon.status == CouponStatus.ACTIVE and coupon.ends_at and coupon.ends_at <= utcnow():
        return _("Over"), "bg-secondary-lt"
    return str(STATUS_LABELS[coupon.status.value]), {"active": "bg-green-lt", "paused": "bg-yellow-lt",
                                                      "ended": "bg-secondary-lt"}[coupon.status.value]


def _words() -> dict:
    currency = g.shop.currency
    return {"offer": lambda c: offer_in_words(c, currency), "conditions": lambda c: conditions_in_words(c, currency),
            "coverage": coverage_in_words, "validity": validity_in_words, "status": _status}


def _coupon(coupon_id: int) -> Coupon:
    try:
        return find_coupon(coupon_id)
    except APIError:
        abort(404, description=_("There is no such coupon."))


# -- views ---------------------------------------------------------------------------------------

@bp.get("/coupons")
@permission_required(MANAGE)
def coupons():
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    before = parse_id(request.args.get("before"))
    rows, next_cursor = list_coupons(status=status, before=before, limit=PAGE)
    return render_template("marketing/coupons.html", coupons=rows, status=status, statuses=STATUS_LABELS,
                           paged=before is not None, next_cursor=next_cursor, words=_words())


@bp.route("/coupons/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_coupon():
    form = _coupon_form()
    if form.validate_on_submit():
        done = save_form(form, lambda: _create(form),
                         audit_as=lambda coupon: ("coupon.create", f"coupon {coupon.id}", {"name": coupon.name}),
                         saved=_("Coupon saved."), then=lambda coupon: url_for(".coupon", coupon_id=coupon.id))
        if done:
            return done
    return render_template("marketing/coupon_new.html", form=form, zone=g.shop.timezone), \
        400 if form.errors or form.form_errors else 200


def _detail(coupon: Coupon, send_form: SendForm, sent: dict | None = None, status: int = 200):
    return render_template("marketing/coupon.html", coupon=coupon, words=_words(), action_form=ConfirmForm(),
                           send_form=send_form, sent=sent, currency=g.shop.currency, Money=Money,
                           kinds=dict(KINDS)), status


@bp.get("/coupons/<int:coupon_id>")
@permission_required(MANAGE)
def coupon(coupon_id: int):
    return _detail(_coupon(coupon_id), SendForm(formdata=None))


@bp.post("/coupons/<int:coupon_id>/status")
@permission_required(MANAGE)
def change_status(coupon_id: int):
    found = _coupon(coupon_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in ACTIONS:
        abort(400, description=_("The form expired; reload the page and try again."))
    status, done = ACTIONS[action]
    try:
        update_coupon(found, status=status)
    except APIError as error:
        db.session.rollback()
        flash(" ".join(m for messages in error.fields.values() for m in messages) or error.message, "danger")
        return redirect(url_for(".coupon", coupon_id=coupon_id))
    record_staff_action(f"coupon.{action}", f"coupon {found.id}", {"name": found.name})
    db.session.commit()
    flash(str(done), "success")
    return redirect(url_for(".coupon", coupon_id=coupon_id))


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

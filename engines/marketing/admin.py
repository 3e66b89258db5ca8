"""/merchant/marketing/coupons: the shop's coupons (what each takes off, when it is good, how many
are out and used), making one with every rule the service knows, pausing, resuming and ending it,
and sending copies to customers named by phone or email. /merchant/marketing/promotions: the
shop's order promotions (their tiers in words, window, status and budget), making one, pausing,
resuming and ending it. Every view checks "marketing.manage"; every write goes through
engines.marketing.services or engines.marketing.promotions and is audited."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
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
from engines.marketing.models import Coupon, CouponKind, CouponScope, CouponStatus, Promotion, PromotionKind
from engines.marketing.promotions import (MAX_TIERS, create_promotion, find_promotion, list_promotions,
                                          update_promotion)
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
STATUS_LABELS = {"active": _l("Running"), "paused": _l("Paused"), "ended": _l("Ended")}
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


# -- order promotions ----------------------------------------------------------------------------

PROMOTION_KINDS = [("spend", _l("By spend")), ("quantity", _l("By number of items"))]
PROMOTION_ACTIONS = {"pause": ("paused", _l("Promotion paused: orders no longer get it.")),
                     "resume": ("active", _l("Promotion resumed.")),
                     "end": ("ended", _l("Promotion ended: orders no longer get it."))}
# The service's field names, as the form names them (a tier's refusal as a whole, on the first).
PROMOTION_FORM_FIELDS = {"ends_at": "ends_on", "starts_at": "starts_on", "excluded_item_ids": "excluded_items",
                         "tiers": "threshold_1"}
TIER_PARTS = ("threshold", "amount_off", "percent_off")
_PRIORITY = re.compile(r"-?[0-9]{1,4}")


class PromotionForm(FlaskForm):
    # As the coupon form: the service checks the rules, so that one save names every field that is
    # wrong. Tier n is threshold_n with amount_off_n or percent_off_n (added below the class).
    name = StringField(_l("Name"), render_kw={"maxlength": 60})
    kind = SelectField(_l("Kind"), choices=lambda: PROMOTION_KINDS, default="spend")
    scope = SelectField(_l("Applies to"), choices=lambda: SCOPES, default="all")
    scope_items = SelectMultipleField(_l("Items it applies to"), render_kw={"size": 6})
    scope_categories = SelectMultipleField(_l("Categories it applies to"), render_kw={"size": 6},
                                           description=_l("A category takes in its subcategories"))
    excluded_items = SelectMultipleField(_l("Never on these items"), render_kw={"size": 6})
    starts_on = StringField(_l("First day"), render_kw={"type": "date"}, description=_l("Blank: from today"))
    ends_on = StringField(_l("Last day"), render_kw={"type": "date"})
    priority = StringField(_l("Priority"), default="0", render_kw={"inputmode": "numeric"},
                           description=_l("Higher applies first, from -1000 to 1000"))
    exclusive = BooleanField(_l("Apply it alone"), default=False,
                             description=_l("No other promotion on an order it applies to"))
    combines_with_coupons = BooleanField(_l("Coupons can be used with it"), default=True)
    budget = StringField(_l("Budget"))


for _n in range(1, MAX_TIERS + 1):
    setattr(PromotionForm, f"threshold_{_n}", StringField(_l("Tier %(n)s: threshold", n=_n),
                                                         render_kw={"inputmode": "decimal"}))
    setattr(PromotionForm, f"amount_off_{_n}", StringField(_l("Tier %(n)s: amount off", n=_n),
                                                          render_kw={"inputmode": "decimal"}))
    setattr(PromotionForm, f"percent_off_{_n}", StringField(_l("Tier %(n)s: percentage off", n=_n),
                                                           render_kw={"inputmode": "decimal"}))
del _n


def _promotion_form() -> PromotionForm:
    form = PromotionForm()
    form.scope_items.choices = form.excluded_items.choices = _item_choices()
    form.scope_categories.choices = _category_choices()
    form.budget.description = _("The most it takes off in all, in %(currency)s; blank for no limit",
                                currency=g.shop.currency)
    return form


def tier_rows(form: PromotionForm) -> list[tuple[int, list]]:
    """The form's tiers as (n, [threshold, amount off, percentage off]) for the template."""
    return [(n, [getattr(form, f"{part}_{n}") for part in TIER_PARTS]) for n in range(1, MAX_TIERS + 1)]


class _Typed:
    """Reads what was typed into a form's fields; what cannot be read is noted in `errors`."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    @staticmethod
    def text(field) -> str:
        return (field.data or "").strip()

    def refuse(self, field, message: str) -> None:
        self.errors.setdefault(field.name, [message])

    def money(self, field) -> int | None:
        """Minor units of the shop's currency, typed in major units; None when blank or unreadable."""
        if not self.text(field):
            return None
        try:
            return Money.parse(self.text(field), g.shop.currency).amount
        except MoneyError as error:
            self.refuse(field, str(error))
            return None

    def positive_money(self, field) -> int | None:
        amount = self.money(field)
        if amount is not None and amount <= 0:
            self.refuse(field, _("More than zero."))
            return None
        return amount

    def count(self, field) -> int | None:
        if not (self.text(field).isascii() and self.text(field).isdigit() and len(self.text(field)) <= 9):
            self.refuse(field, _("A whole number, e.g. 100."))
            return None
        if int(self.text(field)) <= 0:
            self.refuse(field, _("More than zero."))
            return None
        return int(self.text(field))

    def percent_bp(self, field) -> int | None:
        if not _PERCENT.fullmatch(self.text(field)) or Decimal(self.text(field)) == 0:
            self.refuse(field, _("A percentage such as 15 or 8.5, below 100."))
            return None
        return int(Decimal(self.text(field)) * 100)

    def day(self, field, *, after: bool) -> dt.datetime | None:
        """The start of the day typed (of the day after it: `after`), in the shop's time zone."""
        try:
            chosen = dt.date.fromisoformat(self.text(field))
        except ValueError:
            self.refuse(field, _("A day, e.g. 2025-06-30."))
            return None
        if not 2000 <= chosen.year <= 2998:
            self.refuse(field, _("A day from the year 2000."))
            return None
        start = dt.datetime.combine(chosen + dt.timedelta(days=1 if after else 0), dt.time(), tzinfo=_zone())
        return start.astimezone(dt.UTC)


def _typed_tiers(form: PromotionForm, kind: str, typed: _Typed) -> list[dict]:
    """The tiers filled in (blank rows skipped), each refusal on the field it is about."""
    tiers: list[dict] = []
    last = None
    for n, (threshold_field, amount_field, percent_field) in tier_rows(form):
        threshold_text, amount_text, percent_text = (typed.text(f) for f in (threshold_field, amount_field,
                                                                              percent_field))
        if not (threshold_text or amount_text or percent_text):
            continue
        threshold = None
        if not threshold_text:
            typed.refuse(threshold_field, _("Give what this tier needs."))
        elif kind == PromotionKind.QUANTITY.value:
            threshold = typed.count(threshold_field)
        else:
            threshold = typed.positive_money(threshold_field)
        if threshold is not None and last is not None and threshold <= last:
            typed.refuse(threshold_field, _("More than the tier before."))
        last = threshold if threshold is not None else last
        tier: dict = {"threshold": threshold}
        if amount_text and percent_text:
            typed.refuse(percent_field, _("An amount off or a percentage off, not both."))
        elif not (amount_text or percent_text):
            typed.refuse(amount_field, _("Give an amount off or a percentage off."))
        elif amount_text:
            tier["amount_off"] = typed.positive_money(amount_field)
            if (kind == PromotionKind.SPEND.value and None not in (threshold, tier["amount_off"])
                    and tier["amount_off"] >= threshold):
                typed.refuse(amount_field, _("Less than the spend it needs."))
        else:
            tier["percent_bp"] = typed.percent_bp(percent_field)
        tiers.append(tier)
    if not tiers:
        typed.refuse(form.threshold_1, _("Give at least one tier."))
    return tiers


def _promotion_form_field(name: str, scope: str) -> str:
    if name == "scope_ids":
        return "scope_categories" if scope == CouponScope.CATEGORIES.value else "scope_items"
    return PROMOTION_FORM_FIELDS.get(name, name)


def _create_promotion(form: PromotionForm) -> Promotion:
    """The promotion the form describes; 422 naming every field that is wrong (nothing made)."""
    typed = _Typed()
    kind, scope = form.kind.data, form.scope.data
    tiers = _typed_tiers(form, kind, typed)
    tiers_refused = any(name.startswith(tuple(f"{part}_" for part in TIER_PARTS)) for name in typed.errors)
    if not typed.text(form.ends_on):
        typed.refuse(form.ends_on, _("Give the last day of the promotion."))
    starts_at = typed.day(form.starts_on, after=False) if typed.text(form.starts_on) else \
        dt.datetime.combine(utcnow().astimezone(_zone()).date(), dt.time(), tzinfo=_zone()).astimezone(dt.UTC)
    ends_at = typed.day(form.ends_on, after=True) if typed.text(form.ends_on) else None
    priority = 0
    if typed.text(form.priority):
        if _PRIORITY.fullmatch(typed.text(form.priority)):
            priority = int(typed.text(form.priority))
        else:
            typed.refuse(form.priority, _("A whole number from -1000 to 1000."))
    chosen = form.scope_items.data if scope == CouponScope.ITEMS.value else \
        form.scope_categories.data if scope == CouponScope.CATEGORIES.value else []
    scope_ids = tuple(int(i) for i in chosen or [])
    excluded = tuple(int(i) for i in form.excluded_items.data or [])
    refused: dict[str, list[str]] = dict(scope_errors(scope, scope_ids, excluded))
    promotion = None
    try:
        promotion = create_promotion(
            name=form.name.data or "", kind=kind, tiers=tiers if not tiers_refused else [], starts_at=starts_at,
            ends_at=ends_at, scope=scope, scope_ids=scope_ids, excluded_item_ids=excluded, priority=priority,
            exclusive=bool(form.exclusive.data), combines_with_coupons=bool(form.combines_with_coupons.data),
            budget=typed.money(form.budget))
    except APIError as error:
        refused = {**error.fields, **refused}
    errors = typed.errors
    for name, messages in refused.items():
        if name == "tiers" and tiers_refused:
            continue  # each tier's own field says what is wrong with it
        errors.setdefault(_promotion_form_field(name, scope), list(messages))
    if errors:
        raise APIError("invalid_input", fields=errors)  # save_form rolls back what was made
    return promotion


# -- what staff read of a promotion ---------------------------------------------------------------

def _percent_text(percent_bp: int) -> str:
    percent = f"{Decimal(percent_bp) / 100:f}"
    return (percent.rstrip("0").rstrip(".") if "." in percent else percent) + "%"


def tier_in_words(kind: PromotionKind, tier: dict, currency: str) -> str:
    """"¥10.00 off a spend of ¥50.00", "10% off 3 items or more"."""
    off = Money(tier["amount_off"], currency).format() if "amount_off" in tier else _percent_text(tier["percent_bp"])
    if kind == PromotionKind.SPEND:
        return _("%(amount)s off a spend of %(minimum)s", amount=off,
                 minimum=Money(tier["threshold"], currency).format())
    return ngettext("%(off)s off %(num)s item or more", "%(off)s off %(num)s items or more", tier["threshold"],
                    off=off)


def window_in_words(promotion: Promotion) -> str:
    """Its first and last day, in the shop's time zone (ends_at is the first moment it is over)."""
    zone = _zone()
    first = promotion.starts_at.astimezone(zone).date().isoformat()
    last = (promotion.ends_at - dt.timedelta(microseconds=1)).astimezone(zone).date().isoformat()
    return f"{first} – {last}"


def promotion_coverage_in_words(promotion: Promotion) -> str:
    if promotion.scope == CouponScope.ITEMS:
        covered = _("%(n)s chosen item(s)", n=len(promotion.scope_ids))
    elif promotion.scope == CouponScope.CATEGORIES:
        covered = _("%(n)s chosen category(ies)", n=len(promotion.scope_ids))
    else:
        covered = _("Everything")
    if promotion.excluded_item_ids:
        return _("%(covered)s, never %(n)s item(s)", covered=covered, n=len(promotion.excluded_item_ids))
    return covered


def _promotion_status(promotion: Promotion) -> tuple[str, str]:
    """(label, badge class) of a promotion's state as staff read it."""
    now = utcnow()
    # Tabler's light badges write in their own colour, too faint on its tint (axe: 2:1 for yellow,
    # 4.2:1 for grey): dark words on the tint; green is darkened for every badge (console.css).
    if promotion.status == CouponStatus.ACTIVE and promotion.ends_at <= now:
        return _("Over"), "bg-secondary-lt text-dark"
    if promotion.status == CouponStatus.ACTIVE and promotion.starts_at > now:
        return _("Scheduled"), "bg-blue-lt text-dark"
    return str(STATUS_LABELS[promotion.status.value]), {
        "active": "bg-green-lt", "paused": "bg-yellow-lt text-dark",
        "ended": "bg-secondary-lt text-dark"}[promotion.status.value]


def _promotion_words() -> dict:
    currency = g.shop.currency

    def money(amount: int | None) -> str:
        return Money(amount or 0, currency).format()

    return {"tier": lambda p, t: tier_in_words(p.kind, t, currency),
            "window": window_in_words, "coverage": promotion_coverage_in_words, "status": _promotion_status,
            "money": money, "kinds": dict(PROMOTION_KINDS)}


def _promotion(promotion_id: int) -> Promotion:
    try:
        return find_promotion(promotion_id)
    except APIError:
        abort(404, description=_("There is no such promotion."))


@bp.get("/promotions")
@permission_required(MANAGE)
def promotions():
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    before = parse_id(request.args.get("before"))
    rows, next_cursor = list_promotions(status=status, before=before, limit=PAGE)
    return render_template("marketing/promotions.html", promotions=rows, status=status, statuses=STATUS_LABELS,
                           paged=before is not None, next_cursor=next_cursor, words=_promotion_words())


@bp.route("/promotions/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_promotion():
    form = _promotion_form()
    if form.validate_on_submit():
        done = save_form(form, lambda: _create_promotion(form),
                         audit_as=lambda made: ("promotion.create", f"promotion {made.id}", {"name": made.name}),
                         saved=_("Promotion saved."), then=lambda made: url_for(".promotion", promotion_id=made.id))
        if done:
            return done
    return render_template("marketing/promotion_new.html", form=form, tiers=tier_rows(form), zone=g.shop.timezone,
                           currency=g.shop.currency), 400 if form.errors or form.form_errors else 200


@bp.get("/promotions/<int:promotion_id>")
@permission_required(MANAGE)
def promotion(promotion_id: int):
    return render_template("marketing/promotion.html", promotion=_promotion(promotion_id), words=_promotion_words(),
                           action_form=ConfirmForm())


@bp.post("/promotions/<int:promotion_id>/status")
@permission_required(MANAGE)
def change_promotion_status(promotion_id: int):
    found = _promotion(promotion_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in PROMOTION_ACTIONS:
        abort(400, description=_("The form expired; reload the page and try again."))
    status, done = PROMOTION_ACTIONS[action]
    try:
        update_promotion(found, status=status)
    except APIError as error:
        db.session.rollback()
        flash(" ".join(m for messages in error.fields.values() for m in messages) or error.message, "danger")
        return redirect(url_for(".promotion", promotion_id=promotion_id))
    record_staff_action(f"promotion.{action}", f"promotion {found.id}", {"name": found.name})
    db.session.commit()
    flash(str(done), "success")
    return redirect(url_for(".promotion", promotion_id=promotion_id))

"""/merchant/marketing/discounts: the shop's timed discounts (限时折扣) — their items, what they take
off each unit, window, status and what they brought in — making one (items chosen from the shop's,
a percentage or an amount off each unit, a window in the shop's time zone, who pays), and pausing,
resuming and ending it. Every view checks "marketing.manage"; every write goes through
engines.marketing.discounts (which tells the storefront and checkout) and is audited."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField

from core.db import utcnow
from core.errors import APIError
from core.forms import ConfirmForm
from core.staff_session import permission_required
from engines.catalog.services import on_sale_by_ids
from engines.marketing.admin import (MANAGE, Typed, found_or_404, item_choices, list_page, money_in_words, new_page,
                                     pause_resume_end, percent_in_words, status_of, window_in_words)
from engines.marketing.discounts import create_discount, find_discount, list_discounts, update_discount
from engines.marketing.figures import figures_of
from engines.marketing.models import TimedDiscount

bp = Blueprint("marketing_discounts", __name__, url_prefix="/merchant/marketing", template_folder="templates")

OFFS = [("percent", _l("Percentage off")), ("amount", _l("Amount off each"))]
FUNDERS = [("merchant", _l("The shop")), ("platform", _l("The platform"))]
ACTIONS = {"pause": ("paused", _l("Discount paused: its items are back at their prices.")),
           "resume": ("active", _l("Discount resumed.")),
           "end": ("ended", _l("Discount ended: its items are back at their prices."))}


class DiscountForm(FlaskForm):
    # The service checks the rules, so that one save names every field that is wrong.
    name = StringField(_l("Name"), render_kw={"maxlength": 60})
    items = SelectMultipleField(_l("Items"), render_kw={"size": 8},
                                description=_l("Hold Ctrl (⌘ on a Mac) to choose several. Every option of each item "
                                               "is discounted."))
    off = SelectField(_l("Discount"), choices=lambda: OFFS, default="percent")
    percent = StringField(_l("Percentage off"), render_kw={"inputmode": "decimal"},
                          description=_l("e.g. 15 or 8.5"))
    amount_off = StringField(_l("Amount off each"), render_kw={"inputmode": "decimal"})
    starts_at = StringField(_l("Starts"), render_kw={"type": "datetime-local"}, description=_l("Blank: from now"))
    ends_at = StringField(_l("Ends"), render_kw={"type": "datetime-local"})


def _discount_form() -> DiscountForm:
    form = DiscountForm()
    form.items.choices = item_choices()
    form.amount_off.description = _("Off the price of each unit, in %(currency)s, e.g. 5 or 2.50",
                                    currency=g.shop.currency)
    return form


def _off(form: DiscountForm, typed: Typed) -> tuple[int, int]:
    """(percent_bp, amount_off) of the kind of discount chosen; the other is nothing."""
    field = form.percent if form.off.data == "percent" else form.amount_off
    if not typed.text(field):
        typed.refuse(field, _("Give the percentage off, e.g. 15 or 8.5.") if field is form.percent
                     else _("Give the amount off each unit, e.g. 5."))
        return 0, 0
    if field is form.percent:
        return typed.percent_bp(field) or 0, 0
    return 0, typed.positive_money(field) or 0


def _create(form: DiscountForm) -> TimedDiscount:
    """The discount the form describes; 422 naming every field that is wrong (nothing made)."""
    typed = Typed()
    percent_bp, amount_off = _off(form, typed)
    if not typed.text(form.ends_at):
        typed.refuse(form.ends_at, _("Give when it ends."))
    starts_at = typed.moment(form.starts_at) if typed.text(form.starts_at) else \
        utcnow().replace(second=0, microsecond=0)
    ends_at = typed.moment(form.ends_at)
    refused: dict[str, list[str]] = {}
    discount = None
    try:
        discount = create_discount(name=form.name.data or "", item_ids=[int(i) for i in form.items.data or []],
                                   starts_at=starts_at, ends_at=ends_at, percent_bp=percent_bp,
                                   amount_off=amount_off)
    except APIError as error:
        refused = error.fields
    if starts_at is None or ends_at is None:
        refused.pop("ends_at", None)  # the moment that cannot be read says so
    renamed = {"item_ids": "items", "percent_bp": "percent" if form.off.data == "percent" else "amount_off"}
    errors = typed.errors
    for name, messages in refused.items():
        errors.setdefault(renamed.get(name, name), list(messages))  # what cannot be read says so first
    if errors:
        raise APIError("invalid_input", fields=errors)  # save_form rolls back what was made
    return discount


# -- what staff read -----------------------------------------------------------------------------

def off_in_words(discount: TimedDiscount) -> str:
    """"15% off", "¥5.00 off each"."""
    if discount.percent_bp:
        return _("%(percent)s off", percent=percent_in_words(discount.percent_bp))
    return _("%(amount)s off each", amount=money_in_words(discount.amount_off))


def items_in_words(discount: TimedDiscount) -> str:
    return ngettext("%(num)s item", "%(num)s items", len(discount.item_ids))


def _words() -> dict:
    return {"off": off_in_words, "item_count": items_in_words, "status": status_of, "money": money_in_words,
            "window": lambda d: window_in_words(d.starts_at, d.ends_at), "funders": dict(FUNDERS)}


def _discount(discount_id: int) -> TimedDiscount:
    return found_or_404(find_discount, discount_id, _("There is no such timed discount."))


# -- views ---------------------------------------------------------------------------------------

@bp.get("/discounts")
@permission_required(MANAGE)
def discounts():
    return list_page("marketing/discounts.html", list_discounts, words=_words())


@bp.route("/discounts/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_discount():
    form = _discount_form()
    return new_page(form, lambda: _create(form), kind="timed_discount", saved=_("Timed discount saved."),
                    then=lambda made: url_for(".discount", discount_id=made.id),
                    template="marketing/discount_new.html", zone=g.shop.timezone)


@bp.get("/discounts/<int:discount_id>")
@permission_required(MANAGE)
def discount(discount_id: int):
    found = _discount(discount_id)
    on_sale = on_sale_by_ids([int(i) for i in found.item_ids])
    names = [on_sale[int(i)].name for i in found.item_ids if int(i) in on_sale]
    return render_template("marketing/discount.html", discount=found, words=_words(), item_names=names,
                           not_on_sale=len(found.item_ids) - len(names), figures=figures_of([found])[found.id],
                           zone=g.shop.timezone, action_form=ConfirmForm())


@bp.post("/discounts/<int:discount_id>/status")
@permission_required(MANAGE)
def change_status(discount_id: int):
    return pause_resume_end(_discount(discount_id), kind="timed_discount", actions=ACTIONS, update=update_discount,
                            back=url_for(".discount", discount_id=discount_id))

"""/merchant/marketing/free-shipping: the shop's free-delivery rules (包邮活动) — their conditions in
words, window and status — making one (regions typed, items chosen, days in the shop's time zone,
who pays), and pausing, resuming and ending it. Every view checks "marketing.manage"; every write
goes through engines.marketing.shipping_rules and is audited."""

from __future__ import annotations

import re

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField

from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.staff_session import permission_required
from engines.marketing.admin import (MANAGE, PAGE, STATUS_LABELS, Typed, item_choices, money_in_words, new_page,
                                     pause_resume_end, status_of, today_starts, window_in_words)
from engines.marketing.models import FreeShippingRule
from engines.marketing.shipping_rules import create_rule, find_rule, list_rules, update_rule

bp = Blueprint("marketing_shipping", __name__, url_prefix="/merchant/marketing", template_folder="templates")

FUNDERS = [("merchant", _l("The shop")), ("platform", _l("The platform"))]
ACTIONS = {"pause": ("paused", _l("Rule paused: orders no longer get free delivery by it.")),
           "resume": ("active", _l("Rule resumed.")),
           "end": ("ended", _l("Rule ended: orders no longer get free delivery by it."))}
# The service's field names, as the form names them.
FORM_FIELDS = {"starts_at": "starts_on", "ends_at": "ends_on", "item_ids": "items"}
_REGION_SEPARATORS = re.compile(r"[,，、;；\n]")


class RuleForm(FlaskForm):
    # The service checks the rules, so that one save names every field that is wrong.
    name = StringField(_l("Name"), render_kw={"maxlength": 60})
    minimum = StringField(_l("Minimum spend"), render_kw={"inputmode": "decimal"})
    regions = StringField(_l("Only to these regions"), render_kw={"maxlength": 2000},
                          description=_l("Separated by commas, e.g. Jiangsu, Zhejiang, Shanghai; an address whose "
                                         "region starts with one of them qualifies. Blank: everywhere. Same-city "
                                         "delivery qualifies only when this is blank."))
    excluded_regions = StringField(_l("Never to these regions"), render_kw={"maxlength": 2000},
                                   description=_l("Separated by commas, e.g. Xinjiang, Tibet"))
    items = SelectMultipleField(_l("Only for these items"), render_kw={"size": 6},
                                description=_l("An order qualifies only when every item in it is one of these; hold "
                                               "Ctrl (⌘ on a Mac) to choose several. None chosen: any items."))
    starts_on = StringField(_l("First day"), render_kw={"type": "date"}, description=_l("Blank: from today"))
    ends_on = StringField(_l("Last day"), render_kw={"type": "date"})


def _rule_form() -> RuleForm:
    form = RuleForm()
    form.items.choices = item_choices()
    form.minimum.description = _("What the items must come to after discounts, in %(currency)s; blank for any "
                                 "order", currency=g.shop.currency)
    return form


def region_names(text: str | None) -> list[str]:
    """Regions typed in one field: separated by commas (either width), 、, semicolons or lines."""
    return [name.strip() for name in _REGION_SEPARATORS.split(text or "") if name.strip()]


def _create(form: RuleForm) -> FreeShippingRule:
    """The rule the form describes; 422 naming every field that is wrong (nothing made)."""
    typed = Typed()
    minimum = typed.money(form.minimum)
    if minimum is not None and minimum < 0:
        typed.refuse(form.minimum, _("Zero or more."))
    if not typed.text(form.ends_on):
        typed.refuse(form.ends_on, _("Give the last day of the rule."))
    starts_at = typed.day(form.starts_on, after=False) if typed.text(form.starts_on) else today_starts()
    ends_at = typed.day(form.ends_on, after=True)
    refused: dict[str, list[str]] = {}
    rule = None
    try:
        rule = create_rule(name=form.name.data or "", minimum=minimum or 0, regions=region_names(form.regions.data),
                           excluded_regions=region_names(form.excluded_regions.data),
                           item_ids=[int(i) for i in form.items.data or []], starts_at=starts_at, ends_at=ends_at)
    except APIError as error:
        refused = error.fields
    errors = typed.errors
    for name, messages in refused.items():
        errors.setdefault(FORM_FIELDS.get(name, name), list(messages))  # what cannot be read says so first
    if errors:
        raise APIError("invalid_input", fields=errors)  # save_form rolls back what was made
    return rule


# -- what staff read -----------------------------------------------------------------------------

def conditions_in_words(rule: FreeShippingRule) -> str:
    """"Orders of ¥99.00 or more · only to Jiangsu, Zhejiang · never to Xinjiang · only of 2 items"."""
    parts = [_("Orders of %(minimum)s or more", minimum=money_in_words(rule.minimum)) if rule.minimum
             else _("Any order")]
    if rule.regions:
        parts.append(_("only to %(regions)s", regions=", ".join(rule.regions)))
    if rule.excluded_regions:
        parts.append(_("never to %(regions)s", regions=", ".join(rule.excluded_regions)))
    if rule.item_ids:
        parts.append(ngettext("only of %(num)s chosen item", "only of %(num)s chosen items", len(rule.item_ids)))
    return " · ".join(parts)


def _words() -> dict:
    return {"conditions": conditions_in_words, "window": lambda rule: window_in_words(rule.starts_at, rule.ends_at),
            "status": status_of, "money": money_in_words, "funders": dict(FUNDERS)}


def _rule(rule_id: int) -> FreeShippingRule:
    try:
        return find_rule(rule_id)
    except APIError:
        abort(404, description=_("There is no such free-delivery rule."))


def _item_names(rule: FreeShippingRule) -> tuple[list[str], int]:
    """The names of the rule's items among those the form offers, and how many others it names."""
    offered = dict(item_choices()) if rule.item_ids else {}
    names = [offered[i] for i in rule.item_ids if i in offered]
    return names, len(rule.item_ids) - len(names)


# -- views ---------------------------------------------------------------------------------------

@bp.get("/free-shipping")
@permission_required(MANAGE)
def rules():
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    before = parse_id(request.args.get("before"))
    rows, next_cursor = list_rules(status=status, before=before, limit=PAGE)
    return render_template("marketing/free_shipping_rules.html", rules=rows, status=status, statuses=STATUS_LABELS,
                           paged=before is not None, next_cursor=next_cursor, words=_words())


@bp.route("/free-shipping/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_rule():
    form = _rule_form()
    return new_page(form, lambda: _create(form), kind="free_shipping_rule", saved=_("Free-delivery rule saved."),
                    then=lambda made: url_for(".rule", rule_id=made.id), template="marketing/free_shipping_new.html",
                    zone=g.shop.timezone)


@bp.get("/free-shipping/<int:rule_id>")
@permission_required(MANAGE)
def rule(rule_id: int):
    found = _rule(rule_id)
    names, others = _item_names(found)
    return render_template("marketing/free_shipping_rule.html", rule=found, words=_words(), item_names=names,
                           other_items=others, action_form=ConfirmForm())


@bp.post("/free-shipping/<int:rule_id>/status")
@permission_required(MANAGE)
def change_status(rule_id: int):
    return pause_resume_end(_rule(rule_id), kind="free_shipping_rule", actions=ACTIONS, update=update_rule,
                            back=url_for(".rule", rule_id=rule_id))

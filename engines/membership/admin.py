"""The membership back office under /merchant/membership: the shop's member tiers (the list with
each tier's members, making, changing and deleting one) on this module's `bp`, the members
(engines.membership.admin_members) and the automations (engines.membership.admin_automations),
both imported at the bottom so `engines.membership.admin:bp` brings them too). Every view checks
"membership.manage"; every write goes through the engine's services (engines.membership.tiers,
.members, .automations) and is audited as the Admin API audits it."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, StringField

from core.backoffice import record_staff_action, save_form
from core.db import db
from core.engines import flow_settings
from core.errors import APIError
from core.forms import ConfirmForm
from core.staff_session import permission_required
from engines.membership.models import Member, MemberTier
from engines.membership.tiers import NAME_MAX, TIER_FIELDS, create_tier, delete_tier, find_tier, update_tier

# The forms' scripts (templates/membership/static/) are served at /merchant/membership/static/.
bp = Blueprint("membership_admin", __name__, url_prefix="/merchant/membership", template_folder="templates",
               static_folder="templates/membership/static", static_url_path="/static")

MANAGE = "membership.manage"
ORDERS = "orders.manage"  # who may open an order's page: the others see its number only


def may_open_orders() -> bool:
    return g.staff.can(ORDERS)
MOST_DISCOUNT = 90  # percent: the service's 9000 bp
MOST_MULTIPLIER = 10  # ×10: the service's 100000 bp
_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")
_WHOLE = re.compile(r"[0-9]{1,13}")


# -- what staff read ------------------------------------------------------------------------------

def shop_zone() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(g.shop.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_time(moment: dt.datetime | None) -> str:
    """A stored (UTC) moment in the shop's time zone, "2030-06-01 10:00"; "" for none."""
    return "" if moment is None else moment.astimezone(shop_zone()).strftime("%Y-%m-%d %H:%M")


def _decimal(bp_value: int, per_unit: int) -> str:
    """Basis points as a person types them: 500 per 100 → "5", 750 → "7.5"; 15000 per 10000 → "1.5"."""
    text = f"{Decimal(bp_value) / per_unit:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def discount_in_words(discount_bp: int) -> str:
    return _("%(percent)s%% off", percent=_decimal(discount_bp, 100)) if discount_bp else "—"


def multiplier_in_words(multiplier_bp: int) -> str:
    return "×" + _decimal(multiplier_bp, 10_000)


WORDS = {"discount": discount_in_words, "multiplier": multiplier_in_words, "time": local_time}


# -- the tier form ---------------------------------------------------------------------------------

class TierForm(FlaskForm):
    # The service checks the rules, so that one save names every field that is wrong.
    name = StringField(_l("Name"), render_kw={"maxlength": NAME_MAX}, description=_l("e.g. Silver, Gold"))
    threshold = StringField(_l("Growth that reaches it"), render_kw={"inputmode": "numeric"},
                            description=_l("A whole number; 0 makes it the tier every member starts in"))
    discount = StringField(_l("Discount on every item (%)"), default="0", render_kw={"inputmode": "decimal"},
                           description=_l("Taken off every item's price, e.g. 5; 0 for none"))
    free_shipping = BooleanField(_l("Free delivery"), default=False)
    multiplier = StringField(_l("Points multiplier"), default="1", render_kw={"inputmode": "decimal"},
                             description=_l("On the points orders earn: 1 as usual, 1.5 for half as many again"))
    birthday_points = StringField(_l("Birthday points"), default="0", render_kw={"inputmode": "numeric"},
                                  description=_l("Given on the member's birthday; 0 for none"))


RENAMED = {"discount_bp": "discount", "points_multiplier_bp": "multiplier"}  # the service's names → the form's


def _typed(form: TierForm) -> tuple[dict, dict[str, list[str]]]:
    """The tier's values as the service takes them, and what cannot be read, by field (its value
    left out, so the service's own message for it is not shown as well)."""
    values: dict = {"name": (form.name.data or "").strip(), "free_shipping": bool(form.free_shipping.data)}
    errors: dict[str, list[str]] = {}

    def text(field) -> str:
        return (field.data or "").strip()

    threshold = text(form.threshold).replace(",", "")
    if _WHOLE.fullmatch(threshold):
        values["threshold"] = int(threshold)
    else:
        errors["threshold"] = [_("Give the growth that reaches it: a whole number, e.g. 0 or 1000.")]
    discount = text(form.discount).rstrip("%").strip() or "0"
    if _DECIMAL.fullmatch(discount) and Decimal(discount) <= MOST_DISCOUNT:
        values["discount_bp"] = int(Decimal(discount) * 100)
    else:
        errors["discount"] = [_("A percentage from 0 to %(most)s, e.g. 5 or 7.5.", most=MOST_DISCOUNT)]
    multiplier = text(form.multiplier).lstrip("x×").strip() or "1"
    if _DECIMAL.fullmatch(multiplier) and Decimal(multiplier) <= MOST_MULTIPLIER:
        values["points_multiplier_bp"] = int(Decimal(multiplier) * 10_000)
    else:
        errors["multiplier"] = [_("A number from 0 to %(most)s, e.g. 1 or 1.5.", most=MOST_MULTIPLIER)]
    birthday = text(form.birthday_points).replace(",", "") or "0"
    if _WHOLE.fullmatch(birthday):
        values["birthday_points"] = int(birthday)
    else:
        errors["birthday_points"] = [_("A whole number of points, e.g. 100; 0 for none.")]
    return values, errors


def saved_through(typed: tuple[dict, dict], save, renamed: dict | None = None):
    """`save(values)` with what a form says (`typed`: the values read and the fields that could not
    be), left out; 422 naming every field that is wrong — what cannot be read first, then the
    service's refusals (under the form's names: `renamed`); save_form rolls back anything made."""
    values, errors = typed
    made = None
    try:
        made = save({name: value for name, value in values.items() if name not in errors})
    except APIError as error:
        for name, messages in error.fields.items():
            errors.setdefault((renamed or {}).get(name, name), list(messages))
    if errors:
        raise APIError("invalid_input", fields=errors)
    return made


def _filled(tier: MemberTier) -> TierForm:
    """The form of a tier as saved, or as posted."""
    if request.method == "POST":
        return TierForm()
    return TierForm(data={"name": tier.name, "threshold": str(tier.threshold), "free_shipping": tier.free_shipping,
                          "discount": _decimal(tier.discount_bp, 100),
                          "multiplier": _decimal(tier.points_multiplier_bp, 10_000),
                          "birthday_points": str(tier.birthday_points)})


def _status(form: FlaskForm) -> int:
    return 400 if form.errors or form.form_errors else 200


def _changed(tier: MemberTier, before: dict) -> list[str]:
    return [name for name in TIER_FIELDS if getattr(tier, name) != before[name]]


# -- views -----------------------------------------------------------------------------------------

def _tier(tier_id: int) -> MemberTier:
    try:
        return find_tier(tier_id)
    except APIError:
        abort(404, description=_("There is no such tier."))


def members_by_tier() -> dict[int | None, int]:
    """How many members each tier has, by its id: a member with no tier is in the tier reached
    with no growth, as pricing reads it; where there is no such tier, under None."""
    counts = dict(db.session.execute(select(Member.tier_id, func.count()).group_by(Member.tier_id)).all())
    base = db.session.scalar(select(MemberTier.id).where(MemberTier.threshold == 0))
    if base is not None:
        counts[base] = counts.get(base, 0) + counts.pop(None, 0)
    return counts


@bp.get("/tiers")
@permission_required(MANAGE)
def tiers():
    rows = list(db.session.scalars(select(MemberTier).order_by(MemberTier.threshold)))
    settings = flow_settings("membership")
    return render_template("membership/tiers.html", tiers=rows, counts=members_by_tier(), words=WORDS,
                           downgrade=settings["downgrade"], months=settings["downgrade_months"])


@bp.route("/tiers/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_tier():
    form = TierForm()
    if form.validate_on_submit():
        done = save_form(form, lambda: saved_through(_typed(form), lambda values: create_tier(**values), RENAMED),
                         audit_as=lambda made: ("member_tier.create", f"member_tier {made.id}", {"name": made.name}),
                         saved=lambda made: _("Tier %(name)s saved.", name=made.name), then=lambda made: url_for(".tiers"))
        if done:
            return done
    return render_template("membership/tier_form.html", form=form, tier=None), _status(form)


@bp.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_tier(tier_id: int):
    tier = _tier(tier_id)
    form = _filled(tier)
    if form.validate_on_submit():
        before = {name: getattr(tier, name) for name in TIER_FIELDS}
        done = save_form(form, lambda: saved_through(_typed(form), lambda values: update_tier(tier, **values), RENAMED),
                         audit_as=lambda made: ("member_tier.update", f"member_tier {made.id}",
                                                {"fields": _changed(made, before)}),
                         saved=lambda made: _("Tier %(name)s saved.", name=made.name), then=lambda made: url_for(".tiers"))
        if done:
            return done
        tier = _tier(tier_id)  # the refused change was rolled back: the tier as it is
    return render_template("membership/tier_form.html", form=form, tier=tier, exclusive=exclusive_choices(tier.id),
                           exclusive_form=ConfirmForm()), _status(form)


@bp.route("/tiers/<int:tier_id>/delete", methods=["GET", "POST"])
@permission_required(MANAGE)
def remove_tier(tier_id: int):
    """GET asks for confirmation, naming who is moved; POST deletes."""
    tier = _tier(tier_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400, description=_("The form expired; reload the page and try again."))
        record_staff_action("member_tier.delete", f"member_tier {tier.id}", {"name": tier.name})
        name = tier.name
        delete_tier(tier)
        db.session.commit()
        flash(_("Tier %(name)s deleted.", name=name), "success")
        return redirect(url_for(".tiers"))
    return render_template("membership/tier_delete.html", tier=tier, members=members_by_tier().get(tier.id, 0),
                           action_form=ConfirmForm(), words=WORDS)


from engines.membership import (admin_automations, admin_cards, admin_members,  # noqa: E402,F401  their views, on bp
                                admin_segments)
from engines.membership import admin_wallet  # noqa: E402,F401  its views, on bp
from engines.membership import admin_mall  # noqa: E402,F401  its views, on bp
from engines.membership.admin_exclusives import exclusive_choices  # noqa: E402  its view, on bp; the tier page's list

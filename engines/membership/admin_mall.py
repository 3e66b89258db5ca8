"""/merchant/membership/points-mall: the shop's points mall — each offer's item (picture, name and
options), what it costs in points and cash, the item's own price and stock, who may redeem it, the
limit per member, whether it is on the mall and the paid orders that redeemed it; adding a catalog
SKU, changing an offer (its SKU stays), taking one off the mall and putting it back. Views of
`engines.membership.admin.bp`; every write goes through engines.membership.redemption and is
audited as the Admin API audits it ("points_mall.create", "points_mall.update"); a refusal names
each field wrong and writes nothing."""

from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from core.backoffice import record_staff_action, save_form
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.media import resolve_media
from core.money import Money, MoneyError
from core.staff_session import permission_required
from engines.catalog.services import is_on_sale, list_for_staff, skus_by_item, skus_with_items
from engines.membership.admin import MANAGE, bp, saved_through
from engines.membership.models import RedemptionItem
from engines.membership.redemption import FIELDS, KIND, create_offer, find_offer, offers, update_offer, with_catalog
from engines.membership.tiers import tier_by_id, tiers
from engines.orders.services import sales_by_source

MOST_CHOICES = 500  # items on sale offered in the form's list of SKUs (the newest)
SHOWN = {"off": False, "on": True}  # the button's action → whether the offer is on the mall after
_WHOLE = re.compile(r"[0-9][0-9,]{0,11}")


def _tier_choices() -> list[tuple[str, str]]:
    return [("", _("Everyone")), *((str(tier.id), _("%(tier)s members and above", tier=tier.name))
                                   for tier in tiers())]


def options_in_words(options: dict | None) -> str:
    """A SKU's options as staff read them: "Colour: White, Size: M"; "" for an item without."""
    return ", ".join(f"{name}: {value}" for name, value in (options or {}).items())


def sku_in_words(sku, item) -> str:
    """"Tea cup — Colour: White"; the item's name alone for an item without options."""
    options = options_in_words(sku.options)
    return f"{item.name} — {options}" if options else item.name


def _sku_choices() -> list[tuple[str, str]]:
    """The SKUs of the items on sale not in the mall yet, by name: "Tea cup — Colour: White (¥29.00)"."""
    items, _next = list_for_staff(status="on_sale", limit=MOST_CHOICES)
    taken = {offer.sku_id for offer in offers()}
    by_item = skus_by_item([item.id for item in items])
    found = [(sku_in_words(sku, item), sku) for item in items for sku in by_item[item.id] if sku.id not in taken]
    return [("", _("Choose an item"))] + [(str(sku.id), f"{words} ({money_in_words(sku.price)})")
                                          for words, sku in sorted(found, key=lambda pair: pair[0].casefold())]


class OfferForm(FlaskForm):
    # The service checks the rules, so that one save names every field that is wrong.
    points = StringField(_l("Points for one"), render_kw={"inputmode": "numeric", "autocomplete": "off"},
                         description=_l("e.g. 500"))
    cash = StringField(_l("And cash"), render_kw={"inputmode": "decimal", "autocomplete": "off"},
                       description=_l("Paid on top of the points, e.g. 9.90; blank or 0 for points only"))
    per_member_limit = StringField(_l("Limit per member"), default="0", render_kw={"inputmode": "numeric"},
                                   description=_l("How many one member may redeem in all; 0 for no limit"))
    # Not checked against the list: the service names a tier that is gone ("There is no such tier.").
    min_tier_id = SelectField(_l("Who may redeem it"), choices=_tier_choices, validate_choice=False,
                              description=_l("Everyone, or only the members of a tier and of the tiers above it"))
    position = StringField(_l("Position"), default="0", render_kw={"inputmode": "numeric"},
                           description=_l("Lower numbers come first in the mall"))
    active = BooleanField(_l("On the mall: members can redeem it"), default=True)


class NewOfferForm(OfferForm):
    sku_id = SelectField(_l("Item"), choices=_sku_choices, validate_choice=False,
                         description=_l("An item on sale in the catalog; its stock is the item's own"))


# -- what staff read ------------------------------------------------------------------------------

def money_in_words(amount: int) -> str:
    return Money(amount, g.shop.currency).format()


def points_in_words(points: int) -> str:
    return ngettext("%(amount)s point", "%(amount)s points", points, amount=f"{points:,}")


def price_in_words(offer: RedemptionItem) -> str:
    """"500 points + ¥9.90", or "500 points" when points pay it all."""
    points = points_in_words(offer.points)
    return _("%(points)s + %(cash)s", points=points, cash=money_in_words(offer.cash)) if offer.cash else points


def tier_in_words(offer: RedemptionItem) -> str:
    """Who may redeem the offer: its tier "and above", or everyone (its tier deleted: everyone too)."""
    tier = tier_by_id(offer.min_tier_id) if offer.min_tier_id is not None else None
    return _("%(tier)s and above", tier=tier.name) if tier else _("Everyone")


def limit_in_words(offer: RedemptionItem) -> str:
    return f"{offer.per_member_limit:,}" if offer.per_member_limit else _("No limit")


WORDS = {"money": money_in_words, "price": price_in_words, "tier": tier_in_words, "limit": limit_in_words,
         "options": options_in_words, "on_sale": is_on_sale}


def pictures_of(entries) -> dict[int, str]:
    """The thumbnail of each offer's SKU (its own picture, else its item's first), by offer id;
    offers without one are absent. One query for them all."""
    refs = {offer.id: sku.image or next(iter(item.images or []), "") for offer, sku, item in entries}
    media = resolve_media([ref for ref in refs.values() if ref])
    return {offer_id: media[ref]["thumbnail"] for offer_id, ref in refs.items() if ref in media}


# -- the form ---------------------------------------------------------------------------------------

def _typed(form: OfferForm, sku_id: int | None = None) -> tuple[dict, dict[str, list[str]]]:
    """The offer's values as the service takes them, and what cannot be read, by field (its value
    left out, so the service's own message for it is not shown as well). A cash part not under the
    price of the SKU (`sku_id`, or the one chosen) is named with that price, as a person needs it."""
    values: dict = {"active": bool(form.active.data), "min_tier_id": parse_id(form.min_tier_id.data or "")}
    errors: dict[str, list[str]] = {}

    def text(field) -> str:
        return (field.data or "").strip()

    def whole(field, blank: str | None, message: str) -> None:
        written = text(field) or blank or ""
        if _WHOLE.fullmatch(written):
            values[field.name] = int(written.replace(",", ""))
        else:
            errors[field.name] = [message]

    if isinstance(form, NewOfferForm):
        sku_id = values["sku_id"] = parse_id(form.sku_id.data or "")  # none: the service asks to choose one
    if text(form.points):
        whole(form.points, None, _("A whole number of points, e.g. 500."))
    else:
        errors["points"] = [_("Give the points for one, e.g. 500.")]
    try:
        cash = Money.parse(text(form.cash).replace(",", "") or "0", g.shop.currency).amount
    except MoneyError:
        errors["cash"] = [_("An amount such as 9.90; blank or 0 for points only.")]
    else:
        found = skus_with_items([sku_id]).get(sku_id) if sku_id is not None and cash else None
        if cash < 0:
            errors["cash"] = [_("An amount such as 9.90; blank or 0 for points only.")]
        elif found is not None and cash >= found[0].price:
            errors["cash"] = [_("Must be less than the item's price, %(price)s: the points pay the rest.",
                                price=money_in_words(found[0].price))]
        else:
            values["cash"] = cash
    whole(form.per_member_limit, "0", _("A whole number, e.g. 2; 0 for no limit."))
    whole(form.position, "0", _("A whole number, e.g. 10; lower comes first."))
    return values, errors


def _filled(offer: RedemptionItem) -> OfferForm:
    """The form of an offer as saved, or as posted."""
    if request.method == "POST":
        return OfferForm()
    return OfferForm(formdata=None, data={
        "points": str(offer.points), "cash": str(Money(offer.cash, g.shop.currency).to_decimal()) if offer.cash else "",
        "per_member_limit": str(offer.per_member_limit), "position": str(offer.position), "active": offer.active,
        "min_tier_id": str(offer.min_tier_id) if tier_by_id(offer.min_tier_id) else ""})


def _status(form: FlaskForm) -> int:
    return 400 if form.errors or form.form_errors else 200


def _offer(offer_id: int) -> RedemptionItem:
    try:
        return find_offer(offer_id)
    except APIError:
        abort(404, description=_("There is no such item in the points mall."))


def _name_of(offer: RedemptionItem) -> str:
    """The offer's item as staff read it ("Tea cup — Colour: White"); "#id" when it is gone."""
    found = skus_with_items([offer.sku_id]).get(offer.sku_id)
    return sku_in_words(*found) if found else f"#{offer.id}"


def _changed(offer: RedemptionItem, before: dict) -> list[str]:
    return [name for name in FIELDS if getattr(offer, name) != before[name]]


# -- views ------------------------------------------------------------------------------------------

@bp.get("/points-mall")
@permission_required(MANAGE)
def points_mall():
    entries = with_catalog(offers())
    orders = {offer_id: sales[0] for offer_id, sales in
              sales_by_source(KIND, [offer.id for offer, _sku, _item in entries]).items()} if entries else {}
    return render_template("membership/points_mall.html", entries=entries, orders=orders,
                           pictures=pictures_of(entries), action_form=ConfirmForm(), words=WORDS)


@bp.route("/points-mall/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_mall_offer():
    form = NewOfferForm()
    if form.validate_on_submit():
        # create_offer has no default for points: unreadable (left out), they go as None and are refused
        done = save_form(form, lambda: saved_through(_typed(form),
                                                     lambda values: create_offer(**{"points": None, **values})),
                         audit_as=lambda made: ("points_mall.create", f"redemption_item {made.id}",
                                                {"sku_id": str(made.sku_id), "points": made.points,
                                                 "cash": made.cash}),
                         saved=lambda made: _("%(name)s is in the points mall.", name=_name_of(made)),
                         then=lambda made: url_for(".points_mall"))
        if done:
            return done
    return render_template("membership/points_mall_form.html", form=form, entry=None, picture=None,
                           words=WORDS), _status(form)


@bp.route("/points-mall/<int:offer_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_mall_offer(offer_id: int):
    offer = _offer(offer_id)
    form = _filled(offer)
    if form.validate_on_submit():
        before = {name: getattr(offer, name) for name in FIELDS}
        done = save_form(form, lambda: saved_through(_typed(form, offer.sku_id),
                                                     lambda values: update_offer(offer, **values)),
                         audit_as=lambda made: ("points_mall.update", f"redemption_item {made.id}",
                                                {"fields": _changed(made, before)}),
                         saved=lambda made: _("%(name)s saved.", name=_name_of(made)),
                         then=lambda made: url_for(".points_mall"))
        if done:
            return done
        offer = _offer(offer_id)  # the refused change was rolled back: the offer as it is
    found = with_catalog([offer])
    if not found:  # its item was deleted from the catalog: nothing left to offer
        abort(404, description=_("There is no such item in the points mall."))
    return render_template("membership/points_mall_form.html", form=form, entry=found[0],
                           picture=pictures_of(found).get(offer.id), words=WORDS), _status(form)


@bp.post("/points-mall/<int:offer_id>/shown")
@permission_required(MANAGE)
def mall_offer_shown(offer_id: int):
    """Take the offer off the mall or put it back (the form's `action`), audited as the Admin
    API's change of "active"; back to the list."""
    offer = _offer(offer_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in SHOWN:
        abort(400, description=_("The form expired; reload the page and try again."))
    active = SHOWN[action]
    name = _name_of(offer)
    if offer.active != active:
        try:
            update_offer(offer, active=active)
        except APIError as error:  # the offer no longer holds (its item's price fell to its cash part)
            db.session.rollback()
            flash(_("%(name)s was not changed: %(why)s Open it to change its offer.", name=name,
                    why=" ".join(message for messages in error.fields.values() for message in messages)), "danger")
            return redirect(url_for(".points_mall"))
        record_staff_action("points_mall.update", f"redemption_item {offer.id}", {"fields": ["active"]})
        db.session.commit()
    flash(_("%(name)s is back in the points mall.", name=name) if active else
          _("%(name)s is off the points mall: members cannot redeem it now; orders placed are kept.", name=name),
          "success")
    return redirect(url_for(".points_mall"))

"""/merchant/marketing/bundles: the shop's bundles (组合搭配) — each set's items in words, its price
against the items bought one by one, its window, status and the sets sold — making one (2 to 6 of
the shop's items, a quantity of each, the set's price, the days it runs, who pays for the saving),
pausing, resuming and ending it. Every view checks "marketing.manage"; every write goes through
engines.marketing.bundles and is audited."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.staff_session import permission_required
from engines.catalog.services import skus_by_item, skus_with_items
from engines.marketing.admin import (MANAGE, PAGE, STATUS_LABELS, Typed, found_or_404, item_choices, money_in_words,
                                     new_page, pause_resume_end, status_of, today_starts, window_in_words)
from engines.marketing.bundles import (MAX_ITEMS, MAX_QUANTITY, MIN_ITEMS, create_bundle, find_bundle, list_bundles,
                                       update_bundle)
from engines.marketing.models import Bundle

bp = Blueprint("marketing_bundles", __name__, url_prefix="/merchant/marketing", template_folder="templates")

FUNDERS = [("merchant", _l("The shop")), ("platform", _l("The platform"))]
ACTIONS = {"pause": ("paused", _l("Bundle paused: orders no longer get the set price.")),
           "resume": ("active", _l("Bundle resumed.")),
           "end": ("ended", _l("Bundle ended: orders no longer get the set price."))}
# The service's field names, as the form names them (the set's items as a whole, on the first row).
FORM_FIELDS = {"starts_at": "starts_on", "ends_at": "ends_on", "items": "item_1"}


class BundleForm(FlaskForm):
    # The service checks the rules, so that one save names every field that is wrong. Row n of the
    # set is item_n with quantity_n (added below the class); blank rows are skipped.
    name = StringField(_l("Name"), render_kw={"maxlength": 60})
    price = StringField(_l("Set price"), render_kw={"inputmode": "decimal"})
    starts_on = StringField(_l("First day"), render_kw={"type": "date"}, description=_l("Blank: from today"))
    ends_on = StringField(_l("Last day"), render_kw={"type": "date"})


for _n in range(1, MAX_ITEMS + 1):
    setattr(BundleForm, f"item_{_n}", SelectField(_l("Item %(n)s", n=_n), choices=[], default=""))
    setattr(BundleForm, f"quantity_{_n}", StringField(_l("Item %(n)s: how many in a set", n=_n), default="1",
                                                      render_kw={"inputmode": "numeric"}))
del _n


def _bundle_form() -> BundleForm:
    form = BundleForm()
    offered = [("", _("Choose an item"))] + item_choices()
    for item_field, _quantity in item_rows(form):
        item_field.choices = offered
    form.price.description = _("What the whole set costs, in %(currency)s", currency=g.shop.currency)
    return form


def item_rows(form: BundleForm) -> list[tuple]:
    """The form's rows of the set as (item field, quantity field)."""
    return [(getattr(form, f"item_{n}"), getattr(form, f"quantity_{n}")) for n in range(1, MAX_ITEMS + 1)]


def _typed_items(form: BundleForm, typed: Typed) -> list[dict]:
    """The rows filled in (blank ones skipped), each refusal on the field it is about."""
    chosen: list[dict] = []
    for item_field, quantity_field in item_rows(form):
        if not item_field.data:
            continue
        if any(row["item_id"] == item_field.data for row in chosen):
            typed.refuse(item_field, _("Already in the set: give it a quantity instead."))
            continue
        quantity = typed.count(quantity_field)
        if quantity is not None and quantity > MAX_QUANTITY:
            typed.refuse(quantity_field, _("At most %(n)s.", n=MAX_QUANTITY))
        chosen.append({"item_id": item_field.data, "quantity": quantity})
    if len(chosen) < MIN_ITEMS and not typed.errors:
        typed.refuse(form.item_1 if not chosen else form.item_2, _("Choose at least two items."))
    return chosen


def _create(form: BundleForm) -> Bundle:
    """The bundle the form describes; 422 naming every field that is wrong (nothing made)."""
    typed = Typed()
    items = _typed_items(form, typed)
    rows_refused = any(name.startswith(("item_", "quantity_")) for name in typed.errors)
    price = typed.positive_money(form.price)
    if not typed.text(form.price):
        typed.refuse(form.price, _("Give the price of the whole set."))
    if not typed.text(form.ends_on):
        typed.refuse(form.ends_on, _("Give the last day of the bundle."))
    starts_at = typed.day(form.starts_on, after=False) if typed.text(form.starts_on) else today_starts()
    ends_at = typed.day(form.ends_on, after=True)
    refused: dict[str, list[str]] = {}
    bundle = None
    try:
        bundle = create_bundle(name=form.name.data or "", items=[] if rows_refused else items, price=price or 0,
                               starts_at=starts_at, ends_at=ends_at)
    except APIError as error:
        refused = error.fields
    errors = typed.errors
    for name, messages in refused.items():
        if name == "items" and rows_refused:
            continue  # each row's own field says what is wrong with it
        errors.setdefault(FORM_FIELDS.get(name, name), list(messages))  # what cannot be read says so first
    if errors:
        raise APIError("invalid_input", fields=errors)  # save_form rolls back what was made
    return bundle


# -- what staff read -----------------------------------------------------------------------------

def items_of(bundles: list[Bundle]) -> dict[int, tuple[str, int]]:
    """Each item of these bundles as (its name, its cheapest SKU's price), in two queries."""
    skus = skus_by_item(sorted({int(entry["item_id"]) for bundle in bundles for entry in bundle.items}))
    found: dict[int, tuple[str, int]] = {}
    for sku, item in skus_with_items([sku.id for group in skus.values() for sku in group]).values():
        name, cheapest = found.get(item.id, (item.name, sku.price))
        found[item.id] = (name, min(cheapest, sku.price))
    return found


def _words(bundles: list[Bundle]) -> dict:
    known = items_of(bundles)

    def members(bundle: Bundle) -> list[tuple[str, int]]:
        """(name, quantity) of each item of the set (a deleted item by its id)."""
        return [(known.get(int(entry["item_id"]), (_("Item %(id)s", id=entry["item_id"]), 0))[0], entry["quantity"])
                for entry in bundle.items]

    def separately(bundle: Bundle) -> int:
        """Its items bought one by one at their cheapest SKUs' prices today."""
        return sum(known.get(int(entry["item_id"]), ("", 0))[1] * entry["quantity"] for entry in bundle.items)

    return {"members": members, "separately": separately, "money": money_in_words, "status": status_of,
            "window": lambda bundle: window_in_words(bundle.starts_at, bundle.ends_at), "funders": dict(FUNDERS)}


def _bundle(bundle_id: int) -> Bundle:
    return found_or_404(find_bundle, bundle_id, _("There is no such bundle."))


# -- views ---------------------------------------------------------------------------------------

@bp.get("/bundles")
@permission_required(MANAGE)
def bundles():
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    before = parse_id(request.args.get("before"))
    rows, next_cursor = list_bundles(status=status, before=before, limit=PAGE)
    return render_template("marketing/bundles.html", rows=rows, status=status, statuses=STATUS_LABELS,
                           paged=before is not None, next_cursor=next_cursor, words=_words(rows))


@bp.route("/bundles/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_bundle():
    form = _bundle_form()
    return new_page(form, lambda: _create(form), kind="bundle", saved=_("Bundle saved."),
                    then=lambda made: url_for(".bundle", bundle_id=made.id), template="marketing/bundle_new.html",
                    rows=item_rows(form), zone=g.shop.timezone)


@bp.get("/bundles/<int:bundle_id>")
@permission_required(MANAGE)
def bundle(bundle_id: int):
    found = _bundle(bundle_id)
    return render_template("marketing/bundle.html", bundle=found, words=_words([found]), action_form=ConfirmForm())


@bp.post("/bundles/<int:bundle_id>/status")
@permission_required(MANAGE)
def change_status(bundle_id: int):
    return pause_resume_end(_bundle(bundle_id), kind="bundle", actions=ACTIONS, update=update_bundle,
                            back=url_for(".bundle", bundle_id=bundle_id))

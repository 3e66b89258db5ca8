"""/merchant/marketing/simulator: the price simulator. The merchant builds a cart — items and
quantities, a customer (by phone or email) and one of their coupons, or no customer, a member tier,
a time — and a draft promotion with the promotion form's fields, and sees the cart priced by
checkout's pipeline under the live rules and with the draft, side by side: each step, what it took
off and who pays, the lines' prices, the totals and the difference. "Publish this draft" saves the
draft as a promotion (audited). Plain form posts; a script only offers more cart rows. Every view
checks "marketing.manage"."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField

from core.addresses import addresses_of
from core.backoffice import save_form
from core.db import utcnow
from core.errors import APIError
from core.forms import show_errors
from core.money import Money
from core.staff_session import permission_required
from engines.marketing.admin import (MANAGE, Typed, chosen_scope, moment_in_words,
                                     scope_field, shop_zone, today_starts)
from engines.marketing.admin_coupons import named_offer
from engines.marketing.admin_promotions import (PROMOTION_FORM_FIELDS, TIER_PARTS, PromotionForm, _priority,
                                                _typed_tiers, promotion_form, sku_choices, tier_rows)
from engines.marketing.models import Promotion
from engines.marketing.promotions import checked_promotion, create_promotion
from engines.marketing.services import consumers_by_login, scope_errors, wallet
from engines.marketing.simulator import MAX_TIER_TEXT, draft_effect, draft_running, simulate
from engines.orders.services import active_stores

bp = Blueprint("marketing_simulator", __name__, url_prefix="/merchant/marketing", template_folder="templates")

CART_ROWS = 8  # rows on the page; the script shows them one by one
MAX_QUANTITY = 999  # checkout's most of one SKU
FUNDERS = {"merchant": _l("This shop"), "platform": _l("The platform")}
SERVICE_FIELDS = {"consumer_id": "customer", "coupon_copy_ids": "coupon"}  # the simulator's names, as the form's


class SimulatorForm(PromotionForm):
    """The cart and the customer; the draft is the promotion form's own fields (blank: no draft).
    The selects are checked here against what the shop and the customer have, not by WTForms."""

    at = StringField(_l("Price at"), render_kw={"type": "datetime-local"})
    customer = StringField(_l("Customer"), render_kw={"maxlength": 254, "autocomplete": "off"},
                           description=_l("Phone number or email; blank for a guest. Their coupons and saved "
                                          "addresses are offered once the cart is priced."))
    customer_seen = HiddenField()  # the customer the coupon and address choices were made for
    coupon = SelectField(_l("Coupon"), validate_choice=False)
    fulfillment = SelectField(_l("Receiving the order"), validate_choice=False,
                              description=_l("Delivery is priced to one of the customer's saved addresses."))
    member_tier = StringField(_l("Member tier"), render_kw={"maxlength": MAX_TIER_TEXT})


for _n in range(1, CART_ROWS + 1):
    setattr(SimulatorForm, f"sku_{_n}", SelectField(_l("Item %(n)s", n=_n), validate_choice=False))
    setattr(SimulatorForm, f"quantity_{_n}", StringField(_l("Quantity of item %(n)s", n=_n), default="1",
                                                          render_kw={"inputmode": "numeric", "maxlength": 3}))
del _n


def _form() -> SimulatorForm:
    form = promotion_form(SimulatorForm)
    form.at.description = _("Blank: now. The shop's time, %(zone)s.", zone=g.shop.timezone)
    skus = sku_choices(_("Choose an item"))
    for n in range(1, CART_ROWS + 1):
        getattr(form, f"sku_{n}").choices = skus
    form.coupon.choices = [("", _("No coupon"))]
    form.fulfillment.choices = [(f"pickup:{store.id}", _("Pickup at %(store)s", store=store.name))
                                for store in active_stores() if store.pickup]
    form.fulfillment.choices.append(("none", _("Nothing to deliver (services, virtual goods)")))
    return form


def cart_rows(form: SimulatorForm) -> list[tuple[int, object, object]]:
    return [(n, getattr(form, f"sku_{n}"), getattr(form, f"quantity_{n}")) for n in range(1, CART_ROWS + 1)]


# -- reading the form ------------------------------------------------------------------------------

def _moment(form: SimulatorForm, typed: Typed) -> dt.datetime:
    """The time typed (the shop's), in UTC; now when blank or unreadable (refused in `typed`)."""
    return typed.moment(form.at) or utcnow()


def _lines(form: SimulatorForm, typed: Typed) -> list[dict]:
    """The rows with an item chosen, as checkout's lines."""
    known = {value for value, _label in form.sku_1.choices if value}
    lines = []
    for n, sku_field, quantity_field in cart_rows(form):
        sku = typed.text(sku_field)
        if not sku:
            continue
        if sku not in known:
            typed.refuse(sku_field, _("Choose an item from the list."))
            continue
        quantity = typed.count(quantity_field)
        if quantity is not None and quantity > MAX_QUANTITY:
            typed.refuse(quantity_field, _("At most %(n)s.", n=MAX_QUANTITY))
        elif quantity is not None:
            lines.append({"sku_id": sku, "quantity": quantity})
    if not lines and not typed.errors:
        typed.refuse(form.sku_1, _("Add at least one item."))
    return lines


def _customer(form: SimulatorForm, typed: Typed, at: dt.datetime) -> tuple[int | None, list[str], dict | None]:
    """The customer named (this shop's only), the coupon chosen of theirs and how the order is
    received; the choices of both are the customer's own, made afresh when the customer changes."""
    text = typed.text(form.customer)
    consumer_id = consumers_by_login([text]).get(text) if text else None
    if text and consumer_id is None:
        typed.refuse(form.customer, _("No customer of this shop has this phone number or email."))
    currency = g.shop.currency
    if consumer_id is not None:
        form.coupon.choices += [
            (str(copy.id), _("%(name)s, until %(day)s", name=named_offer(coupon, currency),
                             day=moment_in_words(copy.valid_until, end=True)))
            for copy, coupon in wallet(consumer_id, "available", at) if copy.valid_from <= at]
        form.fulfillment.choices = [
            (f"express:{address.id}", _("Express delivery to %(region)s, %(line)s", region=address.region,
                                        line=address.line)) for address in addresses_of(consumer_id)
        ] + form.fulfillment.choices
    if form.customer_seen.data != str(consumer_id or ""):  # another customer: their own choices, the first
        form.coupon.data, form.fulfillment.data = "", form.fulfillment.choices[0][0]
        form.customer_seen.data = str(consumer_id or "")
    elif form.coupon.data not in dict(form.coupon.choices):
        typed.refuse(form.coupon, _("Choose one of this customer's coupons."))
    if form.fulfillment.data not in dict(form.fulfillment.choices):
        form.fulfillment.data = form.fulfillment.choices[0][0]
    kind, _sep, where = (form.fulfillment.data or "none").partition(":")
    chosen = {"type": kind, **({"store_id": where} if kind == "pickup" else {"address_id": where} if where else {})}
    return consumer_id, [form.coupon.data] if form.coupon.data else [], chosen


def _tier(form: SimulatorForm, typed: Typed) -> str | None:
    tier = typed.text(form.member_tier)
    if len(tier) > MAX_TIER_TEXT:
        typed.refuse(form.member_tier, _("At most %(n)s characters.", n=MAX_TIER_TEXT))
    return tier or None


def draft_given(form: SimulatorForm) -> bool:
    """A draft is described once its name, a tier or its last day is filled in."""
    names = ["name", "ends_on"] + [f"{part}_{n}" for n, _fields in tier_rows(form) for part in TIER_PARTS]
    return any((getattr(form, name).data or "").strip() for name in names)


def _draft_fields(form: SimulatorForm, typed: Typed) -> dict | None:
    """The promotion the form's draft describes, as `create_promotion` takes it, checked (each
    refusal on the form's field, in `typed`); None when no draft is described or it is wrong.
    Read as the promotion form reads it (engines.marketing.admin_promotions)."""
    if not draft_given(form):
        return None
    refused_before = set(typed.errors)
    kind, scope = form.kind.data, form.scope.data
    tiers = _typed_tiers(form, kind, typed)
    tiers_refused = any(name.startswith(tuple(f"{part}_" for part in TIER_PARTS)) for name in typed.errors)
    if not typed.text(form.ends_on):
        typed.refuse(form.ends_on, _("Give the last day of the promotion."))
    fields = {"name": form.name.data or "", "kind": kind, "tiers": tiers if not tiers_refused else [],
              "starts_at": typed.day(form.starts_on, after=False) if typed.text(form.starts_on) else today_starts(),
              "ends_at": typed.day(form.ends_on, after=True), "scope": scope, "scope_ids": chosen_scope(form),
              "excluded_item_ids": tuple(int(i) for i in form.excluded_items.data or []),
              "priority": _priority(form, typed), "exclusive": bool(form.exclusive.data),
              "combines_with_coupons": bool(form.combines_with_coupons.data), "budget": typed.money(form.budget),
              "on_special_prices": bool(form.on_special_prices.data)}
    refused = dict(scope_errors(scope, fields["scope_ids"], fields["excluded_item_ids"]))
    try:
        checked_promotion(**fields)
    except APIError as error:
        refused = {**error.fields, **refused}
    for name, messages in refused.items():
        if name == "tiers" and tiers_refused:
            continue  # each tier's own field says what is wrong with it
        typed.errors.setdefault(scope_field(name, scope, PROMOTION_FORM_FIELDS), list(messages))
    return fields if set(typed.errors) == refused_before else None


# -- views -----------------------------------------------------------------------------------------

def _page(form: SimulatorForm, result: dict | None = None, status: int = 200):
    return render_template("marketing/simulator.html", form=form, cart=cart_rows(form), tiers=tier_rows(form),
                           result=result, zone=g.shop.timezone, currency=g.shop.currency, funders=FUNDERS,
                           money=lambda amount: Money(amount, g.shop.currency).format()), status


def _refused(form: SimulatorForm, typed: Typed):
    show_errors(form, APIError("invalid_input", fields=typed.errors))
    return _page(form, status=400)


@bp.route("/simulator", methods=["GET", "POST"])
@permission_required(MANAGE)
def simulator():
    form = _form()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, status=400)
    typed = Typed()
    at = _moment(form, typed)
    lines = _lines(form, typed)
    consumer_id, coupons, fulfillment = _customer(form, typed, at)
    tier = _tier(form, typed)
    fields = _draft_fields(form, typed)
    if typed.errors:
        return _refused(form, typed)
    draft = checked_promotion(**fields) if fields else None
    try:
        live, with_draft = simulate(lines, consumer_id=consumer_id, coupon_copy_ids=coupons, member_tier=tier,
                                    draft=draft, fulfillment=fulfillment, now=at)
    except APIError as error:
        typed.errors.update({SERVICE_FIELDS.get(name, name): messages for name, messages in error.fields.items()})
        return _refused(form, typed)
    return _page(form, {"live": live, "draft": with_draft, "effect": draft_effect(live, with_draft),
                        "draft_running": draft is None or draft_running(draft, at),
                        "at": at.astimezone(shop_zone()).strftime("%Y-%m-%d %H:%M")})


@bp.post("/simulator/publish")
@permission_required(MANAGE)
def publish():
    """The draft, saved as a promotion (on in its window at once), audited; the cart is not needed."""
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=400)
    _customer(form, Typed(), _moment(form, Typed()))  # the page shown again keeps the customer's choices
    if not draft_given(form):
        form.form_errors.append(_("Describe the draft promotion first: its name, a tier and its last day."))
        return _page(form, status=400)
    done = save_form(form, lambda: _publish(form),
                     audit_as=lambda made: ("promotion.create", f"promotion {made.id}",
                                            {"name": made.name, "from": "price simulator"}),
                     saved=_("Promotion saved."),
                     then=lambda made: url_for("marketing_admin.promotion", promotion_id=made.id))
    return done or _page(form, status=400)


def _publish(form: SimulatorForm) -> Promotion:
    typed = Typed()
    fields = _draft_fields(form, typed)
    if typed.errors:
        raise APIError("invalid_input", fields=typed.errors)
    return create_promotion(**fields)

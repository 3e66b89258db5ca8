"""/merchant/marketing/promotions: the shop's order promotions (their tiers in words, window,
status, budget and what they brought in), making one — each tier giving money off, free delivery,
points, a gift or a coupon — pausing, resuming and ending it. Views of
`engines.marketing.admin.bp`; every write goes through engines.marketing.promotions and is
audited."""

from __future__ import annotations

import re

from flask import g, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField

from core.errors import APIError
from core.forms import ConfirmForm
from core.money import Money
from core.staff_session import permission_required
from engines.catalog.services import list_on_sale, skus_by_item
from engines.marketing.admin import (MANAGE, SCOPES, Typed, bp, category_choices, chosen_scope, coverage_in_words,
                                     found_or_404, item_choices, list_page, money_in_words, new_page, pause_resume_end,
                                     percent_in_words, scope_field, status_of, today_starts, window_in_words)
from engines.marketing.admin_coupons import named_offer
from engines.marketing.figures import figures_of
from engines.marketing.models import Promotion, PromotionKind
from engines.marketing.promotions import (MAX_TIERS, create_promotion, find_promotion, list_promotions,
                                          update_promotion)
from engines.marketing.services import list_coupons, scope_errors
from engines.marketing.tiers import MAX_POINTS

PROMOTION_KINDS = [("spend", _l("By spend")), ("quantity", _l("By number of items"))]
PROMOTION_ACTIONS = {"pause": ("paused", _l("Promotion paused: orders no longer get it.")),
                     "resume": ("active", _l("Promotion resumed.")),
                     "end": ("ended", _l("Promotion ended: orders no longer get it."))}
# The service's field names, as the form names them (a tier's refusal as a whole, on the first).
PROMOTION_FORM_FIELDS = {"ends_at": "ends_on", "starts_at": "starts_on", "excluded_item_ids": "excluded_items",
                         "tiers": "threshold_1"}
TIER_PARTS = ("threshold", "amount_off", "percent_off")  # what the simulator's draft tiers have too
TIER_MORE = ("free_shipping", "points", "gift", "gift_quantity", "coupon")  # what else a tier row may give
SKUS_OFFERED = 300  # items on sale offered to choose from, newest first
COUPONS_OFFERED = 100  # active coupons offered to give, newest first
MAX_GIFT_QUANTITY = 10
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
    on_special_prices = BooleanField(_l("Also counts items already at a special price"), default=False,
                                     description=_l("Items in a timed discount or a bundle count toward its tiers"))
    budget = StringField(_l("Budget"))
    use_limit = StringField(_l("Orders in all"), render_kw={"inputmode": "numeric"},
                            description=_l("The most orders it applies to; blank for no limit"))


for _n in range(1, MAX_TIERS + 1):
    setattr(PromotionForm, f"threshold_{_n}", StringField(_l("Tier %(n)s: threshold", n=_n),
                                                         render_kw={"inputmode": "decimal"}))
    setattr(PromotionForm, f"amount_off_{_n}", StringField(_l("Tier %(n)s: amount off", n=_n),
                                                          render_kw={"inputmode": "decimal"}))
    setattr(PromotionForm, f"percent_off_{_n}", StringField(_l("Tier %(n)s: percentage off", n=_n),
                                                           render_kw={"inputmode": "decimal"}))
    setattr(PromotionForm, f"free_shipping_{_n}", BooleanField(_l("Tier %(n)s: free delivery", n=_n)))
    setattr(PromotionForm, f"points_{_n}", StringField(_l("Tier %(n)s: points", n=_n),
                                                      render_kw={"inputmode": "numeric"}))
    # Checked against the choices offered by `_typed_tiers`: the simulator's draft has no such rows.
    setattr(PromotionForm, f"gift_{_n}", SelectField(_l("Tier %(n)s: gift", n=_n), validate_choice=False))
    setattr(PromotionForm, f"gift_quantity_{_n}", StringField(_l("Tier %(n)s: how many of the gift", n=_n),
                                                             render_kw={"inputmode": "numeric", "placeholder": "1"}))
    setattr(PromotionForm, f"coupon_{_n}", SelectField(_l("Tier %(n)s: coupon given", n=_n), validate_choice=False))
del _n


def sku_choices(blank: str) -> list[tuple[str, str]]:
    """The SKUs of the newest items on sale, named with their options and price, after `blank`."""
    items, _next = list_on_sale(limit=SKUS_OFFERED)
    skus = skus_by_item([item.id for item in items])
    currency = g.shop.currency
    choices = [("", blank)]
    for item in items:
        for sku in skus[item.id]:
            options = " / ".join(str(value) for value in (sku.options or {}).values())
            name = f"{item.name} · {options}" if options else item.name
            choices.append((str(sku.id), f"{name} — {Money(sku.price, currency).format()}"))
    return choices


def promotion_form(form_class: type[PromotionForm] = PromotionForm) -> PromotionForm:
    """The promotion form (or the simulator's, which extends it) with its choices: items,
    categories, each tier's gifts and coupons."""
    form = form_class()
    form.scope_items.choices = form.excluded_items.choices = item_choices()
    form.scope_categories.choices = category_choices()
    form.budget.description = _("The most it takes off in all, in %(currency)s; blank for no limit",
                                currency=g.shop.currency)
    gifts = sku_choices(_("No gift"))
    coupons, _next = list_coupons(status="active", limit=COUPONS_OFFERED)
    offered = [("", _("No coupon"))] + [(str(c.id), named_offer(c, g.shop.currency)) for c in coupons]
    for n in range(1, MAX_TIERS + 1):
        getattr(form, f"gift_{n}").choices = gifts
        getattr(form, f"coupon_{n}").choices = offered
    return form


def tier_rows(form: PromotionForm) -> list[tuple[int, list]]:
    """The form's tiers as (n, [threshold, amount off, percentage off]) for the template."""
    return [(n, [getattr(form, f"{part}_{n}") for part in TIER_PARTS]) for n in range(1, MAX_TIERS + 1)]


def _chosen(field, typed: Typed) -> str:
    """A select's value if it is one it offers ("" when none is chosen)."""
    value = typed.text(field)
    if value and value not in {key for key, _label in field.choices or ()}:
        typed.refuse(field, _("Choose from the list."))
        return ""
    return value


def _more_of(form: PromotionForm, n: int, typed: Typed) -> dict:
    """What tier row n gives besides money: free delivery, points, a gift, a coupon."""
    more: dict = {}
    if getattr(form, f"free_shipping_{n}").data:
        more["free_shipping"] = True
    points_field = getattr(form, f"points_{n}")
    if typed.text(points_field):
        points = typed.count(points_field)
        if points is not None and points > MAX_POINTS:
            typed.refuse(points_field, _("From 1 to %(n)s points.", n=f"{MAX_POINTS:,}"))
        more["points"] = points
    gift_field, quantity_field = getattr(form, f"gift_{n}"), getattr(form, f"gift_quantity_{n}")
    gift = _chosen(gift_field, typed)
    quantity = typed.count(quantity_field) if typed.text(quantity_field) else 1
    if quantity is not None and quantity > MAX_GIFT_QUANTITY:
        typed.refuse(quantity_field, _("From 1 to %(n)s.", n=MAX_GIFT_QUANTITY))
    if gift:
        more["gifts"] = [{"sku_id": gift, "quantity": quantity}]
    elif typed.text(quantity_field):
        typed.refuse(gift_field, _("Choose the gift."))
    if coupon := _chosen(getattr(form, f"coupon_{n}"), typed):
        more["coupon_ids"] = [coupon]
    return more


def _more_given(form: PromotionForm, n: int, typed: Typed) -> bool:
    """Whether tier row n gives anything besides money (as typed, readable or not)."""
    return bool(getattr(form, f"free_shipping_{n}").data) or any(
        typed.text(getattr(form, f"{part}_{n}")) for part in TIER_MORE if part != "free_shipping")


def _typed_tiers(form: PromotionForm, kind: str, typed: Typed) -> list[dict]:
    """The tiers filled in (blank rows skipped), each refusal on the field it is about."""
    tiers: list[dict] = []
    last = None
    for n, (threshold_field, amount_field, percent_field) in tier_rows(form):
        given_more = _more_given(form, n, typed)
        if not (given_more or any(typed.text(field) for field in (threshold_field, amount_field, percent_field))):
            continue
        amount_text, percent_text = typed.text(amount_field), typed.text(percent_field)
        threshold = None
        if not typed.text(threshold_field):
            typed.refuse(threshold_field, _("Give what this tier needs."))
        elif kind == PromotionKind.QUANTITY.value:
            threshold = typed.count(threshold_field)
        else:
            threshold = typed.positive_money(threshold_field)
        if threshold is not None and last is not None and threshold <= last:
            typed.refuse(threshold_field, _("More than the tier before."))
        last = threshold if threshold is not None else last
        tier: dict = {"threshold": threshold}
        more = _more_of(form, n, typed)
        if amount_text and percent_text:
            typed.refuse(percent_field, _("An amount off or a percentage off, not both."))
        elif not (amount_text or percent_text or given_more):
            typed.refuse(amount_field, _("Give what this tier gives: an amount or a percentage off, free delivery, "
                                         "points, a gift or a coupon."))
        elif amount_text:
            tier["amount_off"] = typed.positive_money(amount_field)
            if (kind == PromotionKind.SPEND.value and None not in (threshold, tier["amount_off"])
                    and tier["amount_off"] >= threshold):
                typed.refuse(amount_field, _("Less than the spend it needs."))
        elif percent_text:
            tier["percent_bp"] = typed.percent_bp(percent_field)
        tiers.append({**tier, **more})
    if not tiers:
        typed.refuse(form.threshold_1, _("Give at least one tier."))
    return tiers


def _priority(form: PromotionForm, typed: Typed) -> int:
    if not typed.text(form.priority):
        return 0
    if not _PRIORITY.fullmatch(typed.text(form.priority)):
        typed.refuse(form.priority, _("A whole number from -1000 to 1000."))
        return 0
    return int(typed.text(form.priority))


def _create_promotion(form: PromotionForm) -> Promotion:
    """The promotion the form describes; 422 naming every field that is wrong (nothing made)."""
    typed = Typed()
    kind, scope = form.kind.data, form.scope.data
    tiers = _typed_tiers(form, kind, typed)
    tiers_refused = any(name.startswith(tuple(f"{part}_" for part in TIER_PARTS + TIER_MORE))
                        for name in typed.errors)
    if not typed.text(form.ends_on):
        typed.refuse(form.ends_on, _("Give the last day of the promotion."))
    starts_at = typed.day(form.starts_on, after=False) if typed.text(form.starts_on) else today_starts()
    ends_at = typed.day(form.ends_on, after=True)
    priority = _priority(form, typed)
    scope_ids = chosen_scope(form)
    excluded = tuple(int(i) for i in form.excluded_items.data or [])
    refused: dict[str, list[str]] = dict(scope_errors(scope, scope_ids, excluded))
    promotion = None
    try:
        promotion = create_promotion(
            name=form.name.data or "", kind=kind, tiers=tiers if not tiers_refused else [], starts_at=starts_at,
            ends_at=ends_at, scope=scope, scope_ids=scope_ids, excluded_item_ids=excluded, priority=priority,
            exclusive=bool(form.exclusive.data), combines_with_coupons=bool(form.combines_with_coupons.data),
            budget=typed.money(form.budget), on_special_prices=bool(form.on_special_prices.data),
            use_limit=typed.whole(form.use_limit))
    except APIError as error:
        refused = {**error.fields, **refused}
    errors = typed.errors
    for name, messages in refused.items():
        if name == "tiers" and tiers_refused:
            continue  # each tier's own field says what is wrong with it
        errors.setdefault(scope_field(name, scope, PROMOTION_FORM_FIELDS), list(messages))
    if errors:
        raise APIError("invalid_input", fields=errors)  # save_form rolls back what was made
    return promotion


# -- what staff read of a promotion ---------------------------------------------------------------

def _benefits(tier: dict, currency: str) -> list[str]:
    """What a tier gives, each in words: "¥10.00 off", "free delivery", "100 points", "2 gifts", "1 coupon"."""
    words = []
    if "amount_off" in tier:
        words.append(_("%(amount)s off", amount=Money(tier["amount_off"], currency).format()))
    if "percent_bp" in tier:
        words.append(_("%(amount)s off", amount=percent_in_words(tier["percent_bp"])))
    if tier.get("free_shipping"):
        words.append(_("free delivery"))
    if tier.get("points"):
        words.append(ngettext("%(num)s point", "%(num)s points", tier["points"]))
    if gifts := sum(gift["quantity"] for gift in tier.get("gifts", ())):
        words.append(ngettext("%(num)s gift", "%(num)s gifts", gifts))
    if coupons := len(tier.get("coupon_ids", ())):
        words.append(ngettext("%(num)s coupon", "%(num)s coupons", coupons))
    return words


def tier_in_words(kind: PromotionKind, tier: dict, currency: str) -> str:
    """"¥10.00 off a spend of ¥50.00", "10% off 3 items or more"; a tier giving more than money off
    names it all: "¥10.00 off, free delivery, 1 gift for a spend of ¥50.00"."""
    if set(tier) - {"threshold", "amount_off", "percent_bp"}:
        benefits = ", ".join(_benefits(tier, currency))
        if kind == PromotionKind.SPEND:
            return _("%(benefits)s for a spend of %(minimum)s", benefits=benefits,
                     minimum=Money(tier["threshold"], currency).format())
        return ngettext("%(benefits)s for %(num)s item or more", "%(benefits)s for %(num)s items or more",
                        tier["threshold"], benefits=benefits)
    off = Money(tier["amount_off"], currency).format() if "amount_off" in tier else percent_in_words(tier["percent_bp"])
    if kind == PromotionKind.SPEND:
        return _("%(amount)s off a spend of %(minimum)s", amount=off,
                 minimum=Money(tier["threshold"], currency).format())
    return ngettext("%(off)s off %(num)s item or more", "%(off)s off %(num)s items or more", tier["threshold"],
                    off=off)


def _promotion_words() -> dict:
    currency = g.shop.currency
    return {"tier": lambda p, t: tier_in_words(p.kind, t, currency),
            "window": lambda p: window_in_words(p.starts_at, p.ends_at), "coverage": coverage_in_words,
            "status": status_of, "money": money_in_words, "kinds": dict(PROMOTION_KINDS)}


def _promotion(promotion_id: int) -> Promotion:
    return found_or_404(find_promotion, promotion_id, _("There is no such promotion."))


@bp.get("/promotions")
@permission_required(MANAGE)
def promotions():
    return list_page("marketing/promotions.html", list_promotions, words=_promotion_words())


@bp.route("/promotions/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_promotion():
    form = promotion_form()
    return new_page(form, lambda: _create_promotion(form), kind="promotion", saved=_("Promotion saved."),
                    then=lambda made: url_for(".promotion", promotion_id=made.id),
                    template="marketing/promotion_new.html", tiers=tier_rows(form), zone=g.shop.timezone,
                    currency=g.shop.currency)


@bp.get("/promotions/<int:promotion_id>")
@permission_required(MANAGE)
def promotion(promotion_id: int):
    found = _promotion(promotion_id)
    return render_template("marketing/promotion.html", promotion=found, words=_promotion_words(),
                           action_form=ConfirmForm(), figures=figures_of([found])[found.id])


@bp.post("/promotions/<int:promotion_id>/status")
@permission_required(MANAGE)
def change_promotion_status(promotion_id: int):
    return pause_resume_end(_promotion(promotion_id), kind="promotion", actions=PROMOTION_ACTIONS,
                            update=update_promotion, back=url_for(".promotion", promotion_id=promotion_id))

"""Order promotions: tiers by spend or quantity over the lines a promotion covers (满减, 满折,
满件减), the highest tier reached wins; a window, a priority, exclusivity, whether coupons combine
with it, a budget on the discount it gives in all and a cap on the orders it applies to.

The rules are remembered per process until the shop's `marketing` stamp moves (a checkout reads
them without a query); a budgeted promotion's spend and uses are read fresh, and reserved at checkout
by one conditional UPDATE, so a budget or a cap on uses stops the promotion exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from core.cache import LRU, bump_after_commit, remembered
from core.db import db
from core.errors import APIError, register_codes
from core.money import Money
from core.events import emit
from core.tenancy import current_tenant, current_tenant_id, execute, execute_with_inserts, of_tenant
from engines.marketing.models import Coupon, CouponScope, CouponStatus, Promotion, PromotionKind
from engines.marketing.services import (FUNDERS, MAX_AMOUNT, categories_for, eligible_indexes, newest_by_status,
                                        special_indexes)
from engines.marketing.tiers import (benefits_in_words, gift_lines, gives_more_than_money, normalized, tier_errors,
                                     unknown_gifts)

register_codes({"promotion_budget_spent": (409, "A promotion on this order has just spent its budget: check the "
                                                "price again.")})

MAX_TIERS = 5
_rules = LRU(10_000)  # (tenant_id, "live") -> (marketing stamp, the promotions that are on)


@dataclass(frozen=True)
class PromotionRule:
    """What the price step reads of a promotion (no budget spend: that is read fresh)."""

    id: int
    name: str
    kind: PromotionKind
    tiers: tuple[dict, ...]
    scope: CouponScope
    scope_ids: tuple[str, ...]
    excluded_item_ids: tuple[str, ...]
    starts_at: dt.datetime
    ends_at: dt.datetime
    priority: int
    exclusive: bool
    combines_with_coupons: bool
    budgeted: bool  # a budget or a cap on uses: what it may still give is read fresh, and reserved
    funded_by: str
    on_special_prices: bool = False  # counts lines at a special price (a timed discount, a bundle) too


def _check_tiers(kind: str, tiers: object) -> list[str]:
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        return [f"Give from 1 to {MAX_TIERS} tiers."]
    last = 0
    for tier in tiers:
        if not isinstance(tier, dict) or not isinstance(tier.get("threshold"), int) or isinstance(tier["threshold"], bool):
            return ["Each tier needs a whole-number threshold."]
        if tier["threshold"] <= last:
            return ["Thresholds must rise from one tier to the next, above nothing."]
        last = tier["threshold"]
        if errors := tier_errors(kind, tier, MAX_AMOUNT):
            return errors
    return []


def _unknown_in_tiers(tiers: list[dict]) -> list[str]:
    """Gifts and coupons the tiers name that the shop does not have (or, coupons, not active)."""
    errors = [f"There is no SKU {sku_id} in this shop." for sku_id in unknown_gifts(tiers)]
    wanted = {int(c) for tier in tiers for c in tier.get("coupon_ids", [])}
    if wanted:
        active = set(db.session.scalars(select(Coupon.id).where(Coupon.id.in_(wanted),
                                                                Coupon.status == CouponStatus.ACTIVE)))
        errors += [f"There is no active coupon {coupon_id} in this shop." for coupon_id in sorted(wanted - active)]
    return errors


def checked_promotion(*, name: str, kind: str, tiers: list, starts_at: dt.datetime, ends_at: dt.datetime,
                     scope: str = "all", scope_ids=(), excluded_item_ids=(), priority: int = 0,
                     exclusive: bool = False, combines_with_coupons: bool = True, budget: int | None = None,
                     funded_by: str = "merchant", on_special_prices: bool = False,
                     use_limit: int | None = None) -> Promotion:
    """A promotion as given, checked (422 naming each wrong field), not saved: what
    `create_promotion` saves and the price simulator tries as a draft."""
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 60:
        errors["name"] = ["Give the promotion a name of up to 60 characters."]
    if kind not in {k.value for k in PromotionKind}:
        errors["kind"] = ["Choose spend or quantity."]
    elif wrong := _check_tiers(kind, tiers) or _unknown_in_tiers(tiers):
        errors["tiers"] = wrong
    if scope not in {s.value for s in CouponScope}:
        errors["scope"] = ["Choose all, items or categories."]
    elif scope != "all" and not scope_ids:
        errors["scope_ids"] = ["Choose the items or categories it applies to."]
    if not starts_at or not ends_at or starts_at >= ends_at:
        errors["ends_at"] = ["It must end after it starts."]
    if budget is not None and not 0 < budget <= MAX_AMOUNT:
        errors["budget"] = ["A budget must be more than nothing, or none."]
    if use_limit is not None and not 1 <= use_limit <= MAX_USES:
        errors["use_limit"] = [f"From 1 to {MAX_USES:,} orders, or no limit."]
    if funded_by not in FUNDERS:
        errors["funded_by"] = ["The merchant or the platform."]
    if not -1000 <= priority <= 1000:
        errors["priority"] = ["From -1000 to 1000."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    promotion = Promotion(name=name.strip(), kind=PromotionKind(kind), tiers=normalized(tiers), scope=CouponScope(scope),
                          scope_ids=[str(i) for i in scope_ids], excluded_item_ids=[str(i) for i in excluded_item_ids],
                          starts_at=starts_at, ends_at=ends_at, priority=priority, exclusive=exclusive,
                          combines_with_coupons=combines_with_coupons, budget=budget, funded_by=funded_by,
                          on_special_prices=on_special_prices, use_limit=use_limit, status=CouponStatus.ACTIVE,
                          budget_used=0, uses=0)
    return promotion


def create_promotion(**fields) -> Promotion:
    """A new promotion (see `checked_promotion`), on at once in its window."""
    promotion = checked_promotion(**fields)
    db.session.add(promotion)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return promotion


def set_promotion_status(promotion: Promotion, status: str) -> Promotion:
    promotion.status = CouponStatus(status)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return promotion


def rule_of(p: Promotion) -> PromotionRule:
    return PromotionRule(p.id or 0, p.name, p.kind, tuple(p.tiers), p.scope, tuple(p.scope_ids),
                         tuple(p.excluded_item_ids), p.starts_at, p.ends_at, p.priority, p.exclusive,
                         p.combines_with_coupons, p.budget is not None or p.use_limit is not None, p.funded_by,
                         bool(p.on_special_prices))


def _load_rules() -> tuple[PromotionRule, ...]:
    rows = db.session.scalars(select(Promotion).where(Promotion.status == CouponStatus.ACTIVE)
                              .order_by(Promotion.priority.desc(), Promotion.id))
    return tuple(rule_of(p) for p in rows)


def live_rules(now: dt.datetime) -> list[PromotionRule]:
    """The promotions on at `now`, highest priority first."""
    rules = remembered(_rules, current_tenant_id(), "marketing", "live", _load_rules)
    return [rule for rule in rules if rule.starts_at <= now < rule.ends_at]


_promotions = Promotion.__table__
_LEFT = select(_promotions.c.budget - _promotions.c.budget_used, _promotions.c.use_limit - _promotions.c.uses).where(
    of_tenant(_promotions), _promotions.c.id == bindparam("promotion_id"))
_RESERVE = (update(_promotions).where(of_tenant(_promotions), _promotions.c.id == bindparam("promotion_id"),
                                      _promotions.c.budget.is_(None)
                                      | (_promotions.c.budget_used + bindparam("off") <= _promotions.c.budget),
                                      _promotions.c.use_limit.is_(None) | (_promotions.c.uses < _promotions.c.use_limit))
            .values(budget_used=_promotions.c.budget_used + bindparam("off"), uses=_promotions.c.uses + 1)
            .returning(_promotions.c.name, _promotions.c.budget, _promotions.c.budget_used, _promotions.c.tiers,
                       _promotions.c.use_limit, _promotions.c.uses))
MAX_USES = 10**8
UNLIMITED = 10**18  # what a promotion capped by uses only may still give


def _left(money_left: int | None, uses_left: int | None) -> int:
    return 0 if uses_left is not None and uses_left <= 0 else UNLIMITED if money_left is None else money_left


def budgets_left(rules: list[PromotionRule]) -> dict[int, int]:
    """What each budgeted promotion may still give: nothing once its uses are all taken (read
    fresh, one prepared query each; none budgeted: no query)."""
    left = {}
    for rule in rules:
        if rule.budgeted:
            row = execute(_LEFT, {"promotion_id": rule.id}).first()
            left[rule.id] = _left(*row) if row is not None else 0
    return left


@dataclass(frozen=True)
class Reached:
    rule: PromotionRule
    indexes: list[int]
    tier: dict
    amount: int


def reached(rule: PromotionRule, lines: list, categories: dict[int, set[int]],
            special: frozenset[int] = frozenset()) -> Reached | None:
    """The tier the lines reach and what it takes off (perhaps nothing, when it gives something
    else), or None. Lines already at a special price (`special`: a timed discount, a bundle) and
    gifts are not counted."""
    indexes = [i for i in eligible_indexes(rule, lines, categories) if i not in special and not lines[i].gift]
    measure = (sum(lines[i].payable for i in indexes) if rule.kind == PromotionKind.SPEND
               else sum(lines[i].quantity for i in indexes))
    tier = next((tier for tier in reversed(rule.tiers) if measure >= tier["threshold"]), None)
    if tier is None:
        return None
    payable = sum(lines[i].payable for i in indexes)
    amount = tier.get("amount_off", payable * tier.get("percent_bp", 0) // 10_000)
    amount = min(amount, payable)
    return Reached(rule, indexes, tier, amount) if amount > 0 or gives_more_than_money(tier) else None


def tier_label(rule: PromotionRule, tier: dict, currency: str) -> str:
    threshold = (Money(tier["threshold"], currency).format() if rule.kind == PromotionKind.SPEND
                 else f"{tier['threshold']} items")
    return f"{rule.name}: {' + '.join(benefits_in_words(tier, currency))} {threshold} or more"


def apply_promotions(quote, now: dt.datetime, drafts: tuple[Promotion, ...] = ()) -> None:
    """The `order_promotions` step: the promotions on now, with what their budgets have left, and
    (the price simulator) draft promotions as if they were on, their budgets untouched."""
    rules = live_rules(now)
    left = budgets_left(rules)
    if drafts:
        tried = [draft for draft in drafts if draft.starts_at <= now < draft.ends_at]
        rules = sorted(rules + [rule_of(draft) for draft in tried], key=lambda rule: -rule.priority)
        left.update({draft.id or 0: _left(draft.budget, draft.use_limit) for draft in tried
                     if draft.budget is not None or draft.use_limit is not None})
    if rules:  # the items' categories are read only when a rule is scoped to categories
        scoped = any(rule.scope == CouponScope.CATEGORIES for rule in rules)
        apply_rules(quote, rules, categories_for(quote.lines) if scoped else {}, left, gift_lines)


def apply_rules(quote, rules: list[PromotionRule], categories: dict[int, set[int]], left: dict[int, int],
                find_gifts=lambda quote, gifts: []) -> None:
    """Each promotion, by priority, gives its tier on the lines it covers; an exclusive one
    applies alone; a budget that cannot cover the discount and the gifts stops it.
    `find_gifts(quote, gifts)`: the gifts that can be given, as lines (`tiers.gift_lines`)."""
    applied = False
    special = special_indexes(quote)
    for rule in rules:
        found = reached(rule, quote.lines, categories, frozenset() if rule.on_special_prices else special)
        if found is None or (rule.exclusive and applied):
            continue
        gifts = find_gifts(quote, found.tier["gifts"]) if found.tier.get("gifts") else []
        if rule.budgeted and left.get(rule.id, 0) < found.amount + sum(gift.subtotal for gift in gifts):
            continue
        _give(quote, found, gifts)
        applied = True
        if rule.exclusive:
            break


def _give(quote, found: Reached, gifts: list) -> None:
    """The tier on the quote: its discount (or, when it takes nothing off, a line of the
    explanation naming what it gives), then each gift as a line, all of it taken off."""
    rule, tier = found.rule, found.tier
    label = tier_label(rule, tier, quote.currency)
    detail = {"promotion_id": str(rule.id), "promotion": rule.name, "funded_by": rule.funded_by,
              "combines_with_coupons": rule.combines_with_coupons,
              **{key: tier[key] for key in ("free_shipping", "points", "coupon_ids") if key in tier}}
    if found.amount:
        quote.discount("order_promotions", label, found.amount, [quote.lines[i] for i in found.indexes],
                       source=("promotion", rule.id), **detail)
    else:
        quote.record("order_promotions", label, 0, **detail)
    for gift in gifts:
        quote.lines.append(gift)
        quote.discount("order_promotions", f"Gift: {gift.name}", gift.subtotal, [gift], source=("promotion", rule.id),
                       funded_by=rule.funded_by, combines_with_coupons=rule.combines_with_coupons, gift=True)


def _budgeted(adjustments) -> list:
    """The adjustments of promotions on now that have a budget (the others hold nothing: no
    write, and no checkout waits on another's lock of the promotion's row)."""
    ids = {rule.id for rule in remembered(_rules, current_tenant_id(), "marketing", "live", _load_rules)
           if rule.budgeted}
    return [adjustment for adjustment in adjustments if adjustment.source_id in ids]


def _per_promotion(adjustments) -> dict[int, int]:
    """What each promotion gives on an order (its discount and its gifts: one use)."""
    given: dict[int, int] = {}
    for adjustment in adjustments:
        given[adjustment.source_id] = given.get(adjustment.source_id, 0) + adjustment.amount
    return given


def reserve_budgets(adjustments) -> None:
    """At checkout: each budgeted promotion's discount is taken from its budget and the order
    from its uses, or the order is refused (409) when other orders spent them first."""
    for promotion_id, amount in _per_promotion(_budgeted(adjustments)).items():
        def check(rows, promotion_id=promotion_id, off=-amount) -> None:
            taken = rows.first()
            if taken is None:
                raise APIError("promotion_budget_spent")
            _tell_when_spent(promotion_id, taken, off)

        execute_with_inserts(_RESERVE, {"promotion_id": promotion_id, "off": -amount}, check)  # with the order's rows


def _smallest_discount(tiers: list) -> int:
    """The least an order reaching a tier could get (a percentage tier: as little as one unit)."""
    return min((tier["amount_off"] if "amount_off" in tier else 1) for tier in tiers)


def _tell_when_spent(promotion_id: int, taken, off: int) -> None:
    """promotion.budget_spent.v1 on the reservation after which no order can get the promotion
    any more (what is left is below its smallest discount): the merchant is told, once per time
    the budget runs out."""
    name, budget, used, tiers, use_limit, uses = taken
    money_out = budget is not None and budget - used < _smallest_discount(tiers) <= budget - (used - off)
    if money_out or (use_limit is not None and uses == use_limit):
        emit("promotion.budget_spent.v1", {
            "promotion_id": str(promotion_id), "name": name, "use_limit": use_limit,
            "budget": None if budget is None else {"amount": budget, "currency": current_tenant().currency}})


def release_budgets(adjustments, *, refunded: bool = False) -> None:
    """Discounts go back to their promotions' budgets (those paused or ended since too): all of
    them and the order's use when an unpaid order was cancelled, or (`refunded`) each
    adjustment's share of the units just refunded (the order keeps its use)."""
    budgeted = set(db.session.scalars(select(Promotion.id).where(
        Promotion.id.in_({a.source_id for a in adjustments}),
        Promotion.budget.is_not(None) | Promotion.use_limit.is_not(None))))
    given = _per_promotion(a for a in adjustments if a.source_id in budgeted) if not refunded else {
        promotion_id: sum(a.refunded for a in adjustments if a.source_id == promotion_id) for promotion_id in budgeted}
    for promotion_id, back in given.items():
        if refunded and not back:
            continue
        db.session.execute(
            update(Promotion).where(Promotion.tenant_id == current_tenant_id(), Promotion.id == promotion_id)
            .values(budget_used=Promotion.budget_used + back, uses=Promotion.uses - (0 if refunded else 1))
            .execution_options(synchronize_session=False))


# -- the back office and the Admin API (engines.marketing.admin, admin_api) --------------------

register_codes({"promotion_not_found": (404, "There is no such promotion.")})

PROMOTION_EDITABLE = ("name", "status", "ends_at", "budget", "use_limit", "priority")


def find_promotion(promotion_id: int) -> Promotion:
    """The shop's promotion, or 404 promotion_not_found (another shop's too)."""
    promotion = db.session.get(Promotion, (current_tenant_id(), promotion_id))
    if promotion is None:
        raise APIError("promotion_not_found")
    return promotion


def list_promotions(*, status: str | None = None, before: int | None = None,
                    limit: int = 50) -> tuple[list[Promotion], int | None]:
    return newest_by_status(Promotion, status=status, before=before, limit=limit)


def update_promotion(promotion: Promotion, **changes) -> Promotion:
    """Change what may change once a promotion runs: `name`, `status` (active and paused either
    way, either to ended; an ended promotion stays ended), `ends_at` (after it starts),
    `priority`, `budget` (None: no budget; never below what it has given — a conditional
    UPDATE, so a checkout reserving at the same moment cannot slip past it) and `use_limit` (None:
    no cap; never below the orders holding it, likewise). Refuses (422 naming
    each field) anything else and anything wrong, and then changes nothing. Checkouts see the
    change once it commits (the shop's `marketing` stamp moves)."""
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    def whole(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    for field in sorted(changes.keys() - set(PROMOTION_EDITABLE)):
        bad(field, "This cannot be changed once a promotion is made.")
    if "name" in changes and (not isinstance(changes["name"], str) or not changes["name"].strip()
                              or len(changes["name"].strip()) > 60):
        bad("name", "Give the promotion a name of up to 60 characters.")
    if "status" in changes:
        if changes["status"] not in {s.value for s in CouponStatus}:
            bad("status", "Choose active, paused or ended.")
        elif promotion.status == CouponStatus.ENDED and changes["status"] != CouponStatus.ENDED.value:
            bad("status", "An ended promotion stays ended: make a new one.")
    if "ends_at" in changes:
        ends_at = changes["ends_at"]
        if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
            bad("ends_at", "A time with its offset from UTC.")
        elif ends_at <= promotion.starts_at:
            bad("ends_at", "It must end after it starts.")
    if "priority" in changes and not (whole(changes["priority"]) and -1000 <= changes["priority"] <= 1000):
        bad("priority", "From -1000 to 1000.")
    budget = changes.get("budget")
    if "budget" in changes and budget is not None and not (whole(budget) and 0 < budget <= MAX_AMOUNT):
        bad("budget", "A budget must be more than nothing, or none.")
    if not errors and "budget" in changes and budget is not None:
        taken = db.session.execute(
            update(Promotion).where(Promotion.tenant_id == promotion.tenant_id, Promotion.id == promotion.id,
                                    Promotion.budget_used <= budget)
            .values(budget=budget).execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            from core.tenancy import current_tenant

            used = db.session.scalar(select(Promotion.budget_used).where(Promotion.tenant_id == promotion.tenant_id,
                                                                         Promotion.id == promotion.id))
            bad("budget", f"{Money(used, current_tenant().currency).format()} has been given already: the budget "
                          "cannot be lower.")
    limit = changes.get("use_limit")
    if "use_limit" in changes and limit is not None and not (whole(limit) and 1 <= limit <= MAX_USES):
        bad("use_limit", f"From 1 to {MAX_USES:,} orders, or no limit.")
    if not errors and "use_limit" in changes and limit is not None:
        capped = db.session.execute(
            update(Promotion).where(Promotion.tenant_id == promotion.tenant_id, Promotion.id == promotion.id,
                                    Promotion.uses <= limit)
            .values(use_limit=limit).execution_options(synchronize_session=False))
        if capped.rowcount != 1:
            bad("use_limit", "More orders than that hold it already: the cap cannot be lower.")
    if errors:
        raise APIError("invalid_input", fields=errors)
    for field in PROMOTION_EDITABLE:
        if field in changes:
            value = changes[field]
            if field == "name":
                value = value.strip()
            elif field == "status":
                value = CouponStatus(value)
            elif field == "ends_at":
                value = value.astimezone(dt.UTC)
            setattr(promotion, field, value)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return promotion

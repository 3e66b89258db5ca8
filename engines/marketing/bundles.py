"""Bundles (组合搭配): 2 to 6 items, a quantity of each, sold together at a set price for a window.

An order holding every item of a set in those quantities (any SKU of each) gets each complete set
at the set price: what the set's units cost after the earlier steps, less the set price, comes
off their lines — never a raise. The `bundles` step runs after item promotions (timed discounts)
and before order promotions, which do not count the lines it priced. A unit is in one set at most:
bundles take units in the order they were made, each set the dearest units left, and only while a
set costs more than its price. When the order is paid, its sets are added to each bundle's
`sold_count`.

The rules are remembered per process until the shop's `marketing` stamp moves (a checkout reads
them without a query). What consumers see of the live bundles (the consumer API, the bundle card)
is `shown_bundles`, dumped by `BundleOut`."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from fractions import Fraction

from marshmallow import Schema, fields
from sqlalchemy import select, update

from core.api import MoneyField
from core.cache import LRU, bump_after_commit, remembered
from core.db import db
from core.errors import APIError, register_codes
from core.ids import parse_id
from core.money import Money
from core.tenancy import current_tenant, current_tenant_id
from engines.catalog.services import categories_of_items, on_sale_by_ids, skus_by_item
from engines.marketing.models import Bundle, CouponStatus
from engines.marketing.services import FUNDERS, MAX_AMOUNT, newest_by_status
from engines.orders.services import POSITIONS, register_price_step

register_codes({"bundle_not_found": (404, "There is no such bundle.")})

MIN_ITEMS, MAX_ITEMS = 2, 6
MAX_QUANTITY = 99  # units of one item in a set
EDITABLE = ("name", "status", "ends_at")
_rules = LRU(10_000)  # (tenant_id, "bundles") -> (marketing stamp, the active bundles' rules)


# -- making and changing bundles ------------------------------------------------------------------

def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _items(value: object) -> tuple[list[dict], list[str]]:
    """The set's items as stored ([{"item_id": str, "quantity": int}]), and what is wrong with them:
    2 to 6 of the shop's items, each once, 1 to 99 units of each."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(entry, dict) for entry in value):
        return [], ["A list of items, each with its item_id and quantity."]
    ids = [parse_id(str(entry.get("item_id", ""))) for entry in value]
    quantities = [entry.get("quantity", 1) for entry in value]
    if None in ids:
        return [], ["Each item needs the id of one of the shop's items."]
    if not MIN_ITEMS <= len(ids) <= MAX_ITEMS:
        return [], [f"Choose from {MIN_ITEMS} to {MAX_ITEMS} items."]
    if len(set(ids)) != len(ids):
        return [], ["Each item once: give it a quantity instead."]
    if not all(_whole(n) and 1 <= n <= MAX_QUANTITY for n in quantities):
        return [], [f"Each item's quantity is a whole number from 1 to {MAX_QUANTITY}."]
    if not set(ids) <= set(categories_of_items(ids)):
        return [], ["There is no such item."]
    return [{"item_id": str(i), "quantity": n} for i, n in zip(ids, quantities, strict=True)], []


def _dearest(items: list[dict]) -> int:
    """What a set's items cost one by one at their dearest SKUs (one query)."""
    skus = skus_by_item([int(entry["item_id"]) for entry in items])
    return sum(max((sku.price for sku in skus[int(entry["item_id"])]), default=0) * entry["quantity"]
               for entry in items)


def checked_bundle(*, name: str, items: list, price: int, starts_at: dt.datetime, ends_at: dt.datetime,
                   funded_by: str = "merchant") -> Bundle:
    """A bundle as given, checked (422 naming each wrong field), not saved: what `create_bundle`
    saves and the price simulator tries as a draft."""
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60:
        errors["name"] = ["Give the bundle a name of up to 60 characters."]
    stored, item_errors = _items(items)
    if item_errors:
        errors["items"] = item_errors
    if not (_whole(price) and 0 < price <= MAX_AMOUNT):
        errors["price"] = ["The set's price: more than nothing."]
    elif stored and price >= (dearest := _dearest(stored)):
        most = Money(dearest, current_tenant().currency).format()
        errors["price"] = [f"Less than its items cost one by one at their dearest ({most}): else a set never saves."]
    if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
        errors["starts_at"] = ["A time with its offset from UTC."]
    if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
        errors["ends_at"] = ["A time with its offset from UTC."]
    elif "starts_at" not in errors and ends_at <= starts_at:
        errors["ends_at"] = ["It must end after it starts."]
    if funded_by not in FUNDERS:
        errors["funded_by"] = ["The merchant or the platform."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return Bundle(name=name.strip(), items=stored, price=price, starts_at=starts_at.astimezone(dt.UTC),
                  ends_at=ends_at.astimezone(dt.UTC), funded_by=funded_by, sold_count=0, status=CouponStatus.ACTIVE)


def create_bundle(**fields) -> Bundle:
    """A new bundle (see `checked_bundle`), on at once in its window."""
    bundle = checked_bundle(**fields)
    db.session.add(bundle)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return bundle


def update_bundle(bundle: Bundle, **changes) -> Bundle:
    """Change what may change once a bundle runs: `name`, `status` (active and paused either way,
    either to ended; an ended bundle stays ended) and `ends_at` (after it starts). Its items and
    price stay what orders were priced by: end it and make another. Refuses (422 naming each
    field) anything else and anything wrong, and then changes nothing."""
    errors: dict[str, list[str]] = {}
    for field in sorted(changes.keys() - set(EDITABLE)):
        errors[field] = ["This cannot be changed once a bundle is made: end it and make another."]
    name = changes.get("name")
    if "name" in changes and (not isinstance(name, str) or not name.strip() or len(name.strip()) > 60):
        errors["name"] = ["Give the bundle a name of up to 60 characters."]
    status = changes.get("status")
    if "status" in changes:
        if status not in {s.value for s in CouponStatus}:
            errors["status"] = ["Choose active, paused or ended."]
        elif bundle.status == CouponStatus.ENDED and status != CouponStatus.ENDED.value:
            errors["status"] = ["An ended bundle stays ended: make a new one."]
    ends_at = changes.get("ends_at")
    if "ends_at" in changes:
        if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
            errors["ends_at"] = ["A time with its offset from UTC."]
        elif ends_at <= bundle.starts_at:
            errors["ends_at"] = ["It must end after it starts."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    if "name" in changes:
        bundle.name = name.strip()
    if "status" in changes:
        bundle.status = CouponStatus(status)
    if "ends_at" in changes:
        bundle.ends_at = ends_at.astimezone(dt.UTC)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return bundle


def find_bundle(bundle_id: int) -> Bundle:
    """The shop's bundle, or 404 bundle_not_found (another shop's too)."""
    bundle = db.session.get(Bundle, (current_tenant_id(), bundle_id))
    if bundle is None:
        raise APIError("bundle_not_found")
    return bundle


def list_bundles(*, status: str | None = None, before: int | None = None,
                 limit: int = 50) -> tuple[list[Bundle], int | None]:
    return newest_by_status(Bundle, status=status, before=before, limit=limit)


# -- the rules checkout reads ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BundleRule:
    """What checkout and the storefront read of a bundle (remembered per process)."""

    id: int
    name: str
    items: tuple[tuple[int, int], ...]  # (item id, units in a set)
    price: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    funded_by: str

    def live(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def rule_of(bundle: Bundle) -> BundleRule:
    return BundleRule(bundle.id or 0, bundle.name, tuple((int(e["item_id"]), e["quantity"]) for e in bundle.items),
                      bundle.price, bundle.starts_at, bundle.ends_at, bundle.funded_by)


def _load_rules() -> tuple[BundleRule, ...]:
    return tuple(rule_of(bundle) for bundle in db.session.scalars(
        select(Bundle).where(Bundle.status == CouponStatus.ACTIVE).order_by(Bundle.id)))


def _active() -> tuple[BundleRule, ...]:
    return remembered(_rules, current_tenant_id(), "marketing", "bundles", _load_rules)


def live_bundles(now: dt.datetime) -> list[BundleRule]:
    """The bundles on at `now`, oldest first (the order they take units in)."""
    return [rule for rule in _active() if rule.live(now)]


def next_change(now: dt.datetime) -> dt.datetime | None:
    """The next moment a bundle starts or ends: what is live stays the same until then."""
    return min((moment for rule in _active() for moment in (rule.starts_at, rule.ends_at) if moment > now),
               default=None)


# -- the price step ------------------------------------------------------------------------------

def sets_in(rule: BundleRule, lines: list, cost: list[int],
            taken: collections.Counter) -> tuple[int, collections.Counter]:
    """The complete sets of `rule` among the lines' units that no earlier bundle took, and the
    units of each line (by index) they use. `cost` is what each line cost before any bundle. Each
    set takes the dearest units left of each item; a set that would not cost more than the set's
    price is not made (a bundle never raises a price)."""
    unit = {i: Fraction(cost[i], line.quantity) for i, line in enumerate(lines) if cost[i] > 0}
    pools = {item_id: sorted((i for i in unit if lines[i].item_id == item_id), key=lambda i: (-unit[i], i))
             for item_id, _ in rule.items}
    used: collections.Counter = collections.Counter()
    sets = 0
    while True:
        picked: collections.Counter = collections.Counter()
        for item_id, quantity in rule.items:
            needed = quantity
            for i in pools[item_id]:
                units = min(lines[i].quantity - taken[i] - used[i], needed)
                if units > 0:
                    picked[i], needed = units, needed - units
                if not needed:
                    break
            if needed:
                return sets, used
        if sum(unit[i] * units for i, units in picked.items()) <= rule.price:
            return sets, used
        used.update(picked)
        sets += 1


def _label(rule: BundleRule, sets: int, currency: str) -> str:
    return f"{rule.name} ({sets} × {Money(rule.price, currency).format()})"


def apply_bundles(quote, rules: list[BundleRule]) -> None:
    """Each bundle, in turn, takes its sets' cost less their price off the lines holding them."""
    cost = [line.payable for line in quote.lines]
    taken: collections.Counter = collections.Counter()
    for rule in rules:
        sets, used = sets_in(rule, quote.lines, cost, taken)
        if not sets:
            continue
        units_cost = sum(cost[i] * n // quote.lines[i].quantity for i, n in used.items())
        off = units_cost - rule.price * sets
        if off <= 0:
            continue
        quote.discount("bundles", _label(rule, sets, quote.currency), off, [quote.lines[i] for i in sorted(used)],
                       source=("bundle", rule.id), funded_by=rule.funded_by, sets=sets)
        taken.update(used)


def count_sold(order, adjustments) -> None:
    """The order was paid: each bundle on it has sold its sets (as recorded in the order's
    explanation of its price, by adjustment)."""
    sets = {entry["adjustment_id"]: entry.get("sets", 0) for entry in order.pricing or []
            if entry.get("step") == "bundles" and "adjustment_id" in entry}
    for adjustment in adjustments:
        sold = sets.get(str(adjustment.id), 0)
        if sold and adjustment.source_id:
            db.session.execute(update(Bundle).where(Bundle.tenant_id == current_tenant_id(),
                                                    Bundle.id == adjustment.source_id)
                               .values(sold_count=Bundle.sold_count + sold)
                               .execution_options(synchronize_session=False))


class BundleStep:
    def apply(self, quote, context) -> None:
        rules = live_bundles(context.now)
        drafts = [rule_of(draft) for draft in context.drafts.get("bundles", ()) if draft.starts_at <= context.now <
                  draft.ends_at]
        if rules or drafts:
            apply_bundles(quote, sorted(rules + drafts, key=lambda rule: rule.id))

    def commit(self, order, adjustments) -> None:
        count_sold(order, adjustments)



# -- what consumers see (the consumer API, the bundle card) ----------------------------------------

@dataclasses.dataclass(frozen=True)
class ShownItem:
    id: int
    name: str
    image: str
    quantity: int  # units of it in a set
    price: int  # of its cheapest SKU (in stock, when one is)
    needs_choices: bool  # a dish with options to choose: it is added from its own page
    skus: tuple  # its SKUs (the catalog's rows)


@dataclasses.dataclass(frozen=True)
class ShownBundle:
    id: int
    name: str
    price: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    items: tuple[ShownItem, ...]

    @property
    def separately(self) -> int:
        """Its items bought one by one, at their cheapest SKUs' prices."""
        return sum(item.price * item.quantity for item in self.items)

    @property
    def saving(self) -> int:
        return max(self.separately - self.price, 0)


def _shown_item(item, skus: list, quantity: int) -> ShownItem:
    cheapest = min([sku for sku in skus if sku.stock > 0] or skus, key=lambda sku: (sku.price, sku.id))
    needs_choices = any(group.get("min", 0) > 0 for group in item.option_groups or [])
    return ShownItem(item.id, item.name, (item.images or [""])[0], quantity, cheapest.price, needs_choices,
                     tuple(skus))


def shown_bundles(rules: list[BundleRule]) -> list[ShownBundle]:
    """The bundles of `rules` (in their order) whose every item is on sale, each item with its
    SKUs: two queries however many there are."""
    items = on_sale_by_ids(sorted({item_id for rule in rules for item_id, _ in rule.items}))
    skus = skus_by_item(sorted(items))
    return [ShownBundle(rule.id, rule.name, rule.price, rule.starts_at, rule.ends_at,
                        tuple(_shown_item(items[item_id], skus[item_id], quantity) for item_id, quantity in rule.items))
            for rule in rules if all(skus.get(item_id) for item_id, _ in rule.items)]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


class BundleSkuOut(Schema):
    id = fields.Function(lambda sku: str(sku.id), metadata={"description": "For the cart's sku_id"})
    options = fields.Dict(metadata={"description": "Its option values, e.g. {\"Size\": \"M\"}"})
    price = MoneyField()
    stock = fields.Integer(metadata={"description": "For display (it may lag): checkout checks stock itself"})


class BundleItemOut(Schema):
    id = fields.Function(lambda item: str(item.id))
    name = fields.String()
    image = fields.String(metadata={"description": "Its first picture, as the catalog gives them (media:<id>)"})
    quantity = fields.Integer(metadata={"description": "Units of it in one set"})
    price = MoneyField(metadata={"description": "Of its cheapest SKU (in stock, when one is)"})
    needs_choices = fields.Boolean(metadata={"description": "A dish with options to choose: add it from its page"})
    skus = fields.List(fields.Nested(BundleSkuOut))


class BundleOut(Schema):
    """A live bundle: an order holding every item in these quantities gets each set at `price`."""

    id = fields.Function(lambda bundle: str(bundle.id))
    name = fields.String()
    price = MoneyField(metadata={"description": "The whole set"})
    separately = MoneyField(metadata={"description": "Its items at their cheapest SKUs' prices"})
    saving = MoneyField(metadata={"description": "separately less price (never below nothing)"})
    starts_at = fields.Function(lambda bundle: _iso(bundle.starts_at))
    ends_at = fields.Function(lambda bundle: _iso(bundle.ends_at),
                              metadata={"description": "The first moment it is over"})
    items = fields.List(fields.Nested(BundleItemOut))


class BundleListOut(Schema):
    bundles = fields.List(fields.Nested(BundleOut))


class BundleAnswer(Schema):
    bundle = fields.Nested(BundleOut)


register_price_step("bundles", POSITIONS["bundles"], BundleStep())

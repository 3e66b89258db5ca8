"""Timed discounts (限时折扣): a percentage or an amount off each unit of chosen items for a
window. The `item_promotions` step takes them off at checkout; the catalog shows them (price,
badge, countdown) through `core.offers`, which this module feeds. The rules are remembered per
process until the shop's `marketing` stamp moves: every write here bumps it, so the storefront's
cached pages and checkout see the change once it commits. The back office
(engines.marketing.admin_discounts) and the Admin API make, find, list and change them here."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from core.cache import LRU, bump_after_commit, remembered
from core.db import db
from core.errors import APIError, register_codes
from core.ids import parse_id
from core.money import Money
from core.offers import ItemOffer, item_offers, register_offer_source
from core.tenancy import current_tenant, current_tenant_id
from engines.catalog.services import categories_of_items
from engines.marketing.models import CouponStatus, TimedDiscount
from engines.marketing.services import FUNDERS, MAX_AMOUNT, newest_by_status

register_codes({"discount_not_found": (404, "There is no such timed discount.")})

MAX_ITEMS = 500
EDITABLE = ("name", "status", "ends_at")

_rules = LRU(10_000)  # (tenant_id, "discounts") -> (marketing stamp, the active discounts' rules)


def create_discount(*, name: str, item_ids, starts_at: dt.datetime, ends_at: dt.datetime, percent_bp: int = 0,
                    amount_off: int = 0, funded_by: str = "merchant") -> TimedDiscount:
    """A new timed discount on the shop's items (each once), on at once in its window: a
    percentage (basis points) or an amount (minor units) off each unit, never both. Refuses (422
    naming each field) anything wrong, an item of another shop too, and then makes nothing."""
    parsed = [parse_id(str(i)) for i in item_ids or ()]
    item_ids = list(dict.fromkeys(i for i in parsed if i is not None))
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name.strip()) > 60:
        errors["name"] = ["Give the discount a name of up to 60 characters."]
    if not item_ids or len(item_ids) > MAX_ITEMS:
        errors["item_ids"] = [f"Choose from 1 to {MAX_ITEMS} items."]
    elif None in parsed or not set(item_ids) <= set(categories_of_items(item_ids)):
        errors["item_ids"] = ["There is no such item."]
    if not percent_bp and not amount_off:
        errors["percent_bp"] = ["Give a percentage off or an amount off."]
    elif percent_bp and amount_off:
        errors["percent_bp"] = ["Give a percentage off or an amount off, not both."]
    elif percent_bp and not 0 < percent_bp < 10_000:
        errors["percent_bp"] = ["In basis points, from 1 to 9999 (15 % is 1500)."]
    elif amount_off and not 0 < amount_off <= MAX_AMOUNT:
        errors["amount_off"] = ["More than nothing."]
    if not starts_at or not ends_at or starts_at >= ends_at:
        errors["ends_at"] = ["It must end after it starts."]
    if funded_by not in FUNDERS:
        errors["funded_by"] = ["The merchant or the platform."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    discount = TimedDiscount(name=name.strip(), item_ids=[str(i) for i in item_ids], percent_bp=percent_bp,
                             amount_off=amount_off, starts_at=starts_at, ends_at=ends_at, funded_by=funded_by)
    db.session.add(discount)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return discount


def set_discount_status(discount: TimedDiscount, status: str) -> TimedDiscount:
    discount.status = CouponStatus(status)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return discount


def find_discount(discount_id: int) -> TimedDiscount:
    """The shop's timed discount, or 404 discount_not_found (another shop's too)."""
    discount = db.session.get(TimedDiscount, (current_tenant_id(), discount_id))
    if discount is None:
        raise APIError("discount_not_found")
    return discount


def list_discounts(*, status: str | None = None, before: int | None = None,
                   limit: int = 50) -> tuple[list[TimedDiscount], int | None]:
    return newest_by_status(TimedDiscount, status=status, before=before, limit=limit)


def update_discount(discount: TimedDiscount, **changes) -> TimedDiscount:
    """Change what may change once a discount runs: `name`, `status` (active and paused either
    way, either to ended; an ended discount stays ended) and `ends_at` (after it starts; earlier
    ends it sooner). Refuses (422 naming each field) anything else and anything wrong, and then
    changes nothing. The storefront and checkout see the change once it commits."""
    errors: dict[str, list[str]] = {}
    for field in sorted(changes.keys() - set(EDITABLE)):
        errors[field] = ["This cannot be changed once a discount is made: end it and make another."]
    name = changes.get("name")
    if "name" in changes and (not isinstance(name, str) or not name.strip() or len(name.strip()) > 60):
        errors["name"] = ["Give the discount a name of up to 60 characters."]
    if "status" in changes:
        if changes["status"] not in {s.value for s in CouponStatus}:
            errors["status"] = ["Choose active, paused or ended."]
        elif discount.status == CouponStatus.ENDED and changes["status"] != CouponStatus.ENDED.value:
            errors["status"] = ["An ended discount stays ended: make a new one."]
    ends_at = changes.get("ends_at")
    if "ends_at" in changes:
        if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
            errors["ends_at"] = ["A time with its offset from UTC."]
        elif ends_at <= discount.starts_at:
            errors["ends_at"] = ["It must end after it starts."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    if "name" in changes:
        discount.name = name.strip()
    if "status" in changes:
        discount.status = CouponStatus(changes["status"])
    if "ends_at" in changes:
        discount.ends_at = ends_at.astimezone(dt.UTC)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return discount


@dataclasses.dataclass(frozen=True)
class DiscountRule:
    """What checkout and the storefront read of a timed discount (remembered per process)."""

    id: int
    items: frozenset[int]
    name: str
    percent_bp: int
    amount_off: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    funded_by: str

    def label(self, currency: str) -> str:
        off = (f"{self.percent_bp / 100:g}% off" if self.percent_bp
               else f"{Money(self.amount_off, currency).format()} off")
        return f"{self.name}: {off}"


def _load() -> tuple[DiscountRule, ...]:
    return tuple(DiscountRule(d.id, frozenset(int(i) for i in d.item_ids), d.name, d.percent_bp, d.amount_off,
                              d.starts_at, d.ends_at, d.funded_by)
                 for d in db.session.scalars(select(TimedDiscount).where(TimedDiscount.status == CouponStatus.ACTIVE)
                                             .order_by(TimedDiscount.id)))


def offers_on(item_ids: list[int], now: dt.datetime) -> list[tuple[int, ItemOffer]]:
    """(item id, offer) of the discounts not over on these items (core.offers' source)."""
    currency = current_tenant().currency
    wanted = set(item_ids)
    return [(item_id, ItemOffer(source=f"timed_discount:{rule.id}", label=rule.label(currency),
                                starts_at=rule.starts_at, ends_at=rule.ends_at, percent_bp=rule.percent_bp,
                                amount_off=rule.amount_off, funded_by=rule.funded_by))
            for rule in remembered(_rules, current_tenant_id(), "marketing", "discounts", _load)
            if rule.ends_at > now for item_id in rule.items & wanted]


def apply_discounts(quote, now: dt.datetime) -> None:
    """The `item_promotions` step: each line of an item on a timed discount costs the discounted
    unit price (the cut allocated to that line, funded as the discount says). It does not stack
    with a member price (the `member_price` step before it, the membership engine's): the lower
    price wins, the discount taking off only what it cuts below the member price."""
    offers = item_offers(sorted({line.item_id for line in quote.lines}), now).running
    for index, line in enumerate(quote.lines):  # each line its own cut, exactly
        offer = offers.get(line.item_id)
        if offer is None or not offer.source.startswith("timed_discount:"):
            continue
        off = (line.unit_price - offer.price(line.unit_price)) * line.quantity - line.discount
        if off > 0:
            quote.discount("item_promotions", offer.label, off, [line],
                           source=("timed_discount", int(offer.source.split(":")[1])), funded_by=offer.funded_by)


register_offer_source(offers_on, data_kinds=("marketing",))

"""Timed discounts (限时折扣): a percentage or an amount off each unit of chosen items for a
window. The `item_promotions` step takes them off at checkout; the catalog shows them (price,
badge, countdown) through `core.offers`, which this module feeds. The rules are remembered per
process until the shop's `marketing` stamp moves."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.cache import LRU, bump_after_commit, remembered
from core.db import db
from core.errors import APIError
from core.money import Money
from core.offers import ItemOffer, register_offer_source
from core.tenancy import current_tenant_id
from engines.marketing.models import CouponStatus, TimedDiscount
from engines.marketing.services import FUNDERS, MAX_AMOUNT

_rules = LRU(10_000)  # (tenant_id, "discounts") -> (marketing stamp, the discounts not over)


def create_discount(*, name: str, item_ids, starts_at: dt.datetime, ends_at: dt.datetime, percent_bp: int = 0,
                    amount_off: int = 0, funded_by: str = "merchant") -> TimedDiscount:
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 60:
        errors["name"] = ["Give the discount a name of up to 60 characters."]
    if not item_ids or len(item_ids) > 500:
        errors["item_ids"] = ["Choose from 1 to 500 items."]
    if bool(percent_bp) == bool(amount_off):
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


def _label(discount: TimedDiscount, currency: str) -> str:
    off = (f"{discount.percent_bp / 100:g}% off" if discount.percent_bp
           else f"{Money(discount.amount_off, currency).format()} off")
    return f"{discount.name}: {off}"


def _load() -> tuple[tuple[frozenset[int], TimedDiscount], ...]:
    rows = list(db.session.scalars(select(TimedDiscount).where(TimedDiscount.status == CouponStatus.ACTIVE)
                                   .order_by(TimedDiscount.id)))
    for row in rows:
        db.session.expunge(row)  # kept across requests: plain facts, never written through
    return tuple((frozenset(int(i) for i in row.item_ids), row) for row in rows)


def offers_on(item_ids: list[int], now: dt.datetime) -> list[tuple[int, ItemOffer]]:
    """(item id, offer) of the discounts not over on these items (core.offers' source)."""
    from core.tenancy import current_tenant

    currency = current_tenant().currency
    wanted = set(item_ids)
    found = []
    for items, discount in remembered(_rules, current_tenant_id(), "marketing", "discounts", _load):
        if discount.ends_at <= now:
            continue
        for item_id in items & wanted:
            found.append((item_id, ItemOffer(source=f"timed_discount:{discount.id}", label=_label(discount, currency),
                                             starts_at=discount.starts_at, ends_at=discount.ends_at,
                                             percent_bp=discount.percent_bp, amount_off=discount.amount_off)))
    return found


def apply_discounts(quote, now: dt.datetime) -> None:
    """The `item_promotions` step: each line of an item on a timed discount costs the discounted
    unit price (the cut allocated to that line, funded as the discount says)."""
    from core.offers import item_offers

    offers = item_offers(sorted({line.item_id for line in quote.lines}), now).running
    if not offers:
        return
    by_source: dict[str, list[tuple[int, int]]] = {}
    for index, line in enumerate(quote.lines):
        offer = offers.get(line.item_id)
        if offer is not None and offer.source.startswith("timed_discount:"):
            off = (line.unit_price - offer.price(line.unit_price)) * line.quantity
            if off > 0:
                by_source.setdefault(offer.source, []).append((index, off))
    funders = {f"timed_discount:{d.id}": d.funded_by
               for _, d in remembered(_rules, current_tenant_id(), "marketing", "discounts", _load)}
    for source, cuts in by_source.items():
        label = next(offer.label for offer in offers.values() if offer.source == source)
        for index, off in cuts:  # each line its own cut, exactly
            quote.discount("item_promotions", label, off, [quote.lines[index]],
                           source=("timed_discount", int(source.split(":")[1])), funded_by=funders.get(source, "merchant"))


register_offer_source(offers_on, data_kinds=("marketing",))

"""Offers on items that engines give and others show: a timed discount from the marketing engine
today (later a member price). The catalog's components and its item page ask `item_offers` for
the items they show, without naming who gives them; a giver registers a source with the data
kinds whose stamps its offers follow (the page cache keys on them) and says when each offer
starts and ends (the page cache expires then)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable


@dataclasses.dataclass(frozen=True)
class ItemOffer:
    """A price cut on every SKU of an item for a while: `percent_bp` basis points off, or
    `amount_off` minor units off each unit (never below nothing)."""

    source: str  # e.g. "timed_discount:123"
    label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    percent_bp: int = 0
    amount_off: int = 0
    funded_by: str = "merchant"  # who pays for the cut (settlement)

    def price(self, unit_price: int) -> int:
        """What a unit priced `unit_price` costs under the offer."""
        off = unit_price * self.percent_bp // 10_000 if self.percent_bp else min(self.amount_off, unit_price)
        return unit_price - off


_SOURCES: list[tuple[Callable[[list[int], dt.datetime], list[tuple[int, "ItemOffer"]]], tuple[str, ...]]] = []


def register_offer_source(source: Callable[[list[int], dt.datetime], list[tuple[int, ItemOffer]]], *,
                          data_kinds: tuple[str, ...]) -> None:
    """`source(item_ids, now)` answers (item id, offer) for the offers on those items not over
    by `now` — running, or starting later."""
    _SOURCES.append((source, data_kinds))


def offer_data_kinds() -> tuple[str, ...]:
    return tuple(kind for _, kinds in _SOURCES for kind in kinds)


@dataclasses.dataclass(frozen=True)
class Offers:
    running: dict[int, ItemOffer]  # each item's best offer now
    next_change: dt.datetime | None  # when one of them ends, or another starts


def item_offers(item_ids: list[int], now: dt.datetime) -> Offers:
    """The offers on these items now (the lowest price wins when several give one), and when
    that next changes."""
    running: dict[int, ItemOffer] = {}
    changes = []
    for source, _ in _SOURCES:
        for item_id, offer in source(item_ids, now):
            if offer.starts_at > now:
                changes.append(offer.starts_at)
                continue
            changes.append(offer.ends_at)
            if item_id not in running or offer.price(10_000) < running[item_id].price(10_000):
                running[item_id] = offer
    return Offers(running, min(changes) if changes else None)

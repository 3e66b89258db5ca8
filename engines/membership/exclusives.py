"""Exclusive items, a tier's benefit: catalog items only members of a tier and above may buy. The
shop's list is remembered until it changes, so checkout pays nothing for it while no line is
exclusive; the `tier_exclusive` price step refuses an order with a line the member's tier does
not reach (409 naming the item and the tier). A deleted tier's items are open to everyone."""

from __future__ import annotations

from sqlalchemy import delete, select

from core.cache import LRU, bump_after_commit, remembered
from core.db import db
from core.errors import APIError, register_codes
from core.tenancy import current_tenant_id
from engines.catalog.services import item_ids_existing
from engines.membership.models import ExclusiveItem
from engines.membership.pricing import ContextStep
from engines.membership.tiers import MEMBERSHIP_STAMP, short_of, tier_held
from engines.orders.services import register_price_step

register_codes({"tier_exclusive": (409, "This item is for members of a higher tier.")})

POSITION = 110  # after the items, before any price is changed: a refusal, not a price
MAX_ITEMS = 500
_cache = LRU(4096)


def exclusive_items() -> dict[int, int]:
    """{item id: the tier it is exclusive to} of the shop (remembered until it changes)."""
    return remembered(_cache, current_tenant_id(), MEMBERSHIP_STAMP, "exclusive_items", lambda: dict(
        db.session.execute(select(ExclusiveItem.item_id, ExclusiveItem.tier_id)).all()))


def items_of_tier(tier_id: int) -> list[int]:
    return sorted(item_id for item_id, tier in exclusive_items().items() if tier == tier_id)


def set_exclusive_items(tier_id: int, item_ids: list[int]) -> list[int]:
    """The items exclusive to a tier become exactly these (an item is exclusive to one tier: one
    given here leaves the tier it was exclusive to); 422 naming those that are not the shop's."""
    wanted = sorted(set(item_ids))
    if len(wanted) > MAX_ITEMS:
        raise APIError("invalid_input", fields={"item_ids": [f"At most {MAX_ITEMS} items."]})
    unknown = sorted(set(wanted) - item_ids_existing(wanted))
    if unknown:
        raise APIError("invalid_input", fields={"item_ids": [f"Not items of this shop: {', '.join(map(str, unknown))}."]})
    db.session.execute(delete(ExclusiveItem).where((ExclusiveItem.tier_id == tier_id) |
                                                   ExclusiveItem.item_id.in_(wanted)))
    db.session.add_all([ExclusiveItem(item_id=item_id, tier_id=tier_id) for item_id in wanted])
    db.session.flush()
    bump_after_commit(current_tenant_id(), MEMBERSHIP_STAMP)
    return wanted


def _apply(quote, context) -> None:
    """Refuse a line of an item exclusive to a tier the member has not reached (their tier read
    once, and only when a line is exclusive)."""
    exclusive = exclusive_items()
    if not exclusive:
        return
    held = ...
    for line in quote.lines:
        if line.item_id not in exclusive:
            continue
        if held is ...:
            held = tier_held(context.consumer_id)
        if (missing := short_of(held, exclusive[line.item_id])) is not None:
            raise APIError("tier_exclusive", f"{line.name} is for {missing.name} members and above.",
                           extra={"item_id": str(line.item_id), "tier": missing.name})


register_price_step("tier_exclusive", POSITION, ContextStep(_apply))

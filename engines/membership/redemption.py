"""The points mall: catalog SKUs on offer for points, or points and cash (`RedemptionItem`), an
exclusive tier or a per-member limit when the shop wants one. Redeeming one is an order like any
other — its SKU's stock reserved, shipped or verified, cancelled and refunded as any — priced by
the `redemption` step alone (no promotions, coupons or points at checkout on top): the item's
price less its cash price is taken off, paid for by the points, which are taken from the balance
when the order is placed, given back when it is cancelled unpaid and, unit by unit, when it is
refunded. One with nothing left to pay is paid as it is placed (`orders.place_order`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.db import db
from core.errors import APIError, register_codes
from core.paging import newest_first
from core.tenancy import current_tenant_id
from engines.catalog.services import is_on_sale, skus_with_items
from engines.membership.ledger import debit
from engines.membership.models import Member, MemberTier, PointsEntry, PointsKind, RedemptionItem
from engines.membership.pricing import PointsStep
from engines.membership.tiers import short_of, tier_held
from engines.orders.services import (Order, lines_of, place_order, quote, register_price_step,
                                     units_under_offer)

register_codes({"redemption_unavailable": (409, "This item cannot be redeemed now."),
                "redemption_limit": (409, "You have redeemed as many of this item as a member may."),
                "redemption_tier": (409, "This item is for members of a higher tier.")})

KIND = "redemption"  # the offer's kind in the price context, the adjustment's source
POSITION = 150  # after the items; nothing else prices a redemption but delivery
STEPS = frozenset({"items", "tier_exclusive", KIND, "shipping", "member_shipping"})
FIELDS = ("sku_id", "points", "cash", "per_member_limit", "min_tier_id", "active", "position")
MAX_POINTS = 10_000_000


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check(values: dict) -> dict[str, list[str]]:
    """Every field wrong, named (the Admin API and the back office show them all at once)."""
    errors: dict[str, list[str]] = {}
    sku = None
    if not _whole(values.get("sku_id"), 1, 2**63 - 1):
        errors["sku_id"] = ["Choose an item of the catalog."]
    else:
        found = skus_with_items([values["sku_id"]]).get(values["sku_id"])
        if found is None or found[1].deleted_at is not None:
            errors["sku_id"] = ["There is no such item in the catalog."]
        else:
            sku = found[0]
    if not _whole(values.get("points"), 1, MAX_POINTS):
        errors["points"] = [f"Points from 1 to {MAX_POINTS:,}."]
    if not _whole(values.get("cash"), 0, 10**10):
        errors["cash"] = ["Cash of nothing or more, in minor units."]
    elif sku is not None and values["cash"] >= sku.price:
        errors["cash"] = ["The cash part is less than the item's price (the points pay the rest)."]
    if not _whole(values.get("per_member_limit"), 0, 10_000):
        errors["per_member_limit"] = ["A whole number from 0 (no limit) to 10,000."]
    if values.get("min_tier_id") is not None and (not _whole(values["min_tier_id"], 1, 2**63 - 1) or db.session.get(
            MemberTier, (current_tenant_id(), values["min_tier_id"])) is None):
        errors["min_tier_id"] = ["There is no such tier."]
    if not isinstance(values.get("active"), bool):
        errors["active"] = ["True or false."]
    if not _whole(values.get("position"), 0, 10_000):
        errors["position"] = ["A whole number from 0 to 10,000."]
    return errors


def create_offer(*, sku_id: object, points: object, cash: object = 0, per_member_limit: object = 0,
                 min_tier_id: object = None, active: object = True, position: object = 0) -> RedemptionItem:
    values = dict(sku_id=sku_id, points=points, cash=cash, per_member_limit=per_member_limit, min_tier_id=min_tier_id,
                  active=active, position=position)
    errors = _check(values)
    if not errors and db.session.scalar(select(RedemptionItem.id).where(RedemptionItem.sku_id == sku_id)):
        errors["sku_id"] = ["This item is in the points mall already: change its offer instead."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    item_id = skus_with_items([sku_id])[sku_id][0].item_id
    offer = RedemptionItem(item_id=item_id, **values)
    db.session.add(offer)
    db.session.flush()
    return offer


def update_offer(offer: RedemptionItem, **changes) -> RedemptionItem:
    """Change what the offer asks (its SKU stays: another item is another offer)."""
    unknown = set(changes) - set(FIELDS) - {"sku_id"}
    if unknown:
        raise APIError("invalid_input", fields={name: ["Unknown field."] for name in sorted(unknown)})
    values = {name: getattr(offer, name) for name in FIELDS} | changes | {"sku_id": offer.sku_id}
    errors = _check(values)
    if changes.keys() <= {"active", "position"} and values["active"] is False:
        errors.pop("cash", None)  # an offer its item's new price broke can still be taken off the mall
    if errors:
        raise APIError("invalid_input", fields=errors)
    for name in FIELDS:
        setattr(offer, name, values[name])
    return offer


def find_offer(offer_id: int) -> RedemptionItem:
    offer = db.session.get(RedemptionItem, (current_tenant_id(), offer_id))
    if offer is None:
        raise APIError("not_found", "There is no such item in the points mall.")
    return offer


def offers(*, active_only: bool = False) -> list[RedemptionItem]:
    query = select(RedemptionItem).order_by(RedemptionItem.position, RedemptionItem.id)
    if active_only:
        query = query.where(RedemptionItem.active.is_(True))
    return list(db.session.scalars(query))


def with_catalog(found: list[RedemptionItem]) -> list[tuple[RedemptionItem, object, object]]:
    """Offers with their SKU's and item's facts (offers whose item was deleted are left out)."""
    catalog = skus_with_items([offer.sku_id for offer in found])
    return [(offer, *catalog[offer.sku_id]) for offer in found
            if offer.sku_id in catalog and catalog[offer.sku_id][1].deleted_at is None]


def shown(offer_id: int) -> tuple[RedemptionItem, object, object]:
    """An offer the points mall shows, with its SKU's and item's facts; 404 for any other."""
    found = with_catalog([find_offer(offer_id)])
    if not found or not found[0][0].active or not is_on_sale(found[0][2]):
        raise APIError("not_found", "There is no such item in the points mall.")
    return found[0]


def on_offer() -> list[tuple[RedemptionItem, object, object]]:
    """What the points mall shows: active offers of items on sale, in the shop's order."""
    return [entry for entry in with_catalog(offers(active_only=True)) if is_on_sale(entry[2])]


def redeemed(consumer_id: int, offer_id: int) -> int:
    """Units of the offer the consumer holds: in their orders not cancelled, less those refunded."""
    return units_under_offer(KIND, offer_id, consumer_id)


def redeem(*, consumer_id: int, offer_id: int, quantity: int, fulfillment_choice: object, note: str = "",
           now: dt.datetime | None = None):
    """Place the order of `quantity` of the offer's SKU, priced by the redemption step: its points
    taken now, paid at once when nothing is left to pay (else paid like any order)."""
    offer = find_offer(offer_id)
    return place_order(consumer_id=consumer_id, lines=[{"sku_id": offer.sku_id, "quantity": quantity}],
                       fulfillment_choice=fulfillment_choice, note=note, now=now, offer=(KIND, offer.id),
                       only_steps=STEPS)


def quote_redemption(*, consumer_id: int, offer_id: int, quantity: int, fulfillment_choice: object):
    """What redeeming would cost (the points, the cash part and delivery), without placing it."""
    offer = find_offer(offer_id)
    return quote(consumer_id=consumer_id, lines=[{"sku_id": offer.sku_id, "quantity": quantity}],
                 fulfillment_choice=fulfillment_choice, offer=(KIND, offer.id), only_steps=STEPS)


def records(consumer_id: int, *, before: int | None = None, limit: int = 20) -> tuple[list, int | None]:
    """The consumer's redemptions, newest first, a page at a time: (order, its line, points)."""
    redeemed_on = select(PointsEntry.source_id).where(PointsEntry.consumer_id == consumer_id,
                                                      PointsEntry.source_kind == "order",
                                                      PointsEntry.kind == PointsKind.REDEEMED)
    orders, next_before = newest_first(select(Order).where(Order.consumer_id == consumer_id,
                                                           Order.id.in_(redeemed_on)), Order.id,
                                       before=before, limit=limit)
    ids = [order.id for order in orders]
    points = dict(db.session.execute(
        select(PointsEntry.source_id, func.sum(PointsEntry.amount)).where(
            PointsEntry.source_kind == "order", PointsEntry.source_id.in_(ids),
            PointsEntry.kind == PointsKind.REDEEMED).group_by(PointsEntry.source_id)).all()) if ids else {}
    lines = lines_of(ids)
    return [(order, lines[order.id][0], -int(points[order.id])) for order in orders], next_before


class RedemptionStep(PointsStep):
    """Prices a redemption (`context.offer` names it): the SKU's price less the offer's cash price
    off the line, recorded with the points that pay for it; refuses an offer not open to the
    consumer. Reserves, gives back and refunds the points as the points step does."""

    def apply(self, quote, context) -> None:
        if context.offer is None or context.offer[0] != KIND:
            return
        offer = db.session.get(RedemptionItem, (current_tenant_id(), context.offer[1]))
        if offer is None or not offer.active or len(quote.lines) != 1 or quote.lines[0].sku_id != offer.sku_id:
            raise APIError("redemption_unavailable")
        line = quote.lines[0]
        if (missing := short_of(tier_held(context.consumer_id), offer.min_tier_id)) is not None:
            raise APIError("redemption_tier", f"This item is for {missing.name} members and above.")
        if offer.per_member_limit:
            left = offer.per_member_limit - redeemed(context.consumer_id, offer.id)
            if line.quantity > left:
                raise APIError("redemption_limit", f"A member may redeem {offer.per_member_limit} of this item; you "
                                                   f"can redeem {max(left, 0)} more.")
        off = (line.unit_price - offer.cash) * line.quantity
        if off <= 0:  # the item's price fell to the cash price or below: the shop must look at the offer
            raise APIError("redemption_unavailable")
        points = offer.points * line.quantity
        available = db.session.scalar(select(Member.points).where(Member.consumer_id == context.consumer_id)) or 0
        if available < points:
            raise APIError("points_insufficient", f"You have {available} points available; this needs {points}.")
        quote.discount(KIND, f"{points} points", off, [line], source=(KIND, offer.id), funded_by="merchant",
                       points=points)

    def reserve(self, order, adjustments, context) -> None:
        """Take the points (the member's row is locked by it: two redemptions of one member wait
        for each other), then count the limit again with this order in."""
        adjustment = adjustments[0]
        offer = db.session.get(RedemptionItem, (current_tenant_id(), adjustment.source_id))
        debit(order.consumer_id, adjustment.entry["points"], PointsKind.REDEEMED, source=("order", order.id),
              money=-adjustment.amount, note=f"Redeemed on order {order.number}")
        if offer.per_member_limit and redeemed(order.consumer_id, offer.id) > offer.per_member_limit:
            raise APIError("redemption_limit", f"A member may redeem {offer.per_member_limit} of this item.")


register_price_step(KIND, POSITION, RedemptionStep())

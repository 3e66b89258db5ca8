"""Membership in the price pipeline: the member price (`member_price`: the member's tier takes its
percentage off every item, or the member card's when it gives more; a timed discount after it takes
only what it cuts below), points spent at checkout (`points`: a rate, a share of the order they may
pay at most and an amount always left to pay; taken from the balance when the order is placed, given back when an unpaid order is
cancelled and, their refunded share, on refunds) and free delivery as a tier's or card's benefit
(`member_shipping`, after the delivery fee). A shop without tiers or cards pays no query for them."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, func, select

from core.db import db
from core.engines import flow_settings
from core.errors import APIError
from core.money import exponent
from core.tenancy import execute, of_tenant
from engines.membership.ledger import credit, debit
from engines.membership.models import Member, PointsEntry, PointsKind
from engines.membership.cards import plans_give_benefits, running_card
from engines.membership.tiers import effective_tier, tiers
from engines.orders.services import POSITIONS, register_price_step

MEMBER_SHIPPING_POSITION = 930  # after the delivery fee and free-delivery campaigns, before promotions' and coupons'

_members = Member.__table__
_TIER_OF = select(_members.c.tier_id).where(of_tenant(_members), _members.c.consumer_id == bindparam("consumer_id"))
_POINTS_OF = select(_members.c.points).where(of_tenant(_members), _members.c.consumer_id == bindparam("consumer_id"))


class Benefits(NamedTuple):
    """What the member's tier and card give at checkout: the better discount (and whose it is)
    and free delivery from either."""

    name: str
    source: tuple[str, int]
    discount_bp: int
    free_shipping: bool


def member_benefits(quote, context) -> Benefits | None:
    """The order's member benefits — read once per quote, and only for what the shop offers at
    checkout: the simulator's tier (by name or id), else the consumer's tier and running card."""
    if "member_benefits" not in quote.memo:
        quote.memo["member_benefits"] = _benefits(context)
    return quote.memo["member_benefits"]


def _benefits(context) -> Benefits | None:
    shop_tiers = tiers()
    found: list[Benefits] = []
    if any(t.discount_bp or t.free_shipping for t in shop_tiers):
        asked = str(context.member.get("tier") or "").strip().lower()
        tier = None
        if asked:
            tier = next((t for t in shop_tiers if asked in (t.name.lower(), str(t.id))), None)
        elif context.consumer_id:
            tier = effective_tier(execute(_TIER_OF, {"consumer_id": context.consumer_id}).scalar())
        if tier is not None:
            found.append(Benefits(tier.name, ("tier", tier.id), tier.discount_bp, tier.free_shipping))
    if context.consumer_id and not context.member.get("tier") and plans_give_benefits():
        held = running_card(context.consumer_id, context.now)
        if held is not None:
            _card, plan = held
            found.append(Benefits(plan.name, ("member_card", plan.id), plan.discount_bp, plan.free_shipping))
    if not found:
        return None
    best = max(found, key=lambda b: b.discount_bp)
    return best._replace(free_shipping=any(b.free_shipping for b in found))


def member_price(quote, context) -> None:
    benefits = member_benefits(quote, context)
    if benefits is None or not benefits.discount_bp:
        return
    label = f"{benefits.name} price ({benefits.discount_bp / 100:g}% off)"
    for line in quote.lines:
        if not line.gift:
            off = line.unit_price * benefits.discount_bp // 10_000 * line.quantity
            quote.discount("member_price", label, off, [line], source=benefits.source, funded_by="merchant")


def member_shipping(quote, context) -> None:
    benefits = member_benefits(quote, context)
    if benefits is not None and benefits.free_shipping and quote.shipping_fee > 0:
        quote.waive_shipping("member_shipping", f"{benefits.name}: free delivery", quote.shipping_fee,
                             source=benefits.source, funded_by="merchant")


def points_value(points: int, rate: int, currency: str) -> int:
    """What `points` are worth (minor units) at `rate` points to one unit of the currency."""
    return points * 10 ** exponent(currency) // rate


def points_for(money: int, rate: int, currency: str) -> int:
    """The points that pay `money` (minor units): rounded up, never a point short."""
    return -(-money * rate // 10 ** exponent(currency))


def usable(points_wanted: int, payable: int, settings: dict, currency: str) -> tuple[int, int]:
    """(money, points): what `points_wanted` may pay of lines costing `payable` under the shop's
    cap on the share points pay and the least left to pay."""
    most = min(payable * settings["points_max_share"] // 100, payable - settings["points_min_payable"])
    money = min(points_value(points_wanted, settings["points_rate"], currency), most)
    if money <= 0:
        return 0, 0
    return money, points_for(money, settings["points_rate"], currency)


class PointsStep:
    def apply(self, quote, context) -> None:
        if context.points <= 0:
            return
        settings = flow_settings("membership")
        if settings["points_max_share"] == 0:
            raise APIError("points_not_accepted")
        money, points = usable(context.points, sum(line.payable for line in quote.lines), settings, quote.currency)
        if points <= 0:
            return
        available = execute(_POINTS_OF, {"consumer_id": context.consumer_id}).scalar() or 0
        if available < points:
            raise APIError("points_insufficient", f"You have {available} points available; this needs {points}.")
        quote.discount("points", f"{points} points", money, source=("points", None), funded_by="merchant",
                       points=points)

    def reserve(self, order, adjustments, context) -> None:
        money = -sum(adjustment.amount for adjustment in adjustments)
        points = points_for(money, flow_settings("membership")["points_rate"], order.currency)
        debit(order.consumer_id, points, PointsKind.SPENT, source=("order", order.id), money=money,
              note=f"Order {order.number}")

    def release(self, order, adjustments) -> None:
        spent, _money, returned, _money_back = _spent_on(order.id)
        credit(order.consumer_id, spent - returned, PointsKind.RETURNED, source=("order", order.id),
               note=f"Order {order.number} cancelled")

    def release_lines(self, order, adjustments, line_quantities) -> None:
        refunded = -sum(adjustment.refunded for adjustment in adjustments)
        spent, money, returned, money_back = _spent_on(order.id)
        if not money or not refunded:
            return
        back = spent * (money_back + refunded) // money - spent * money_back // money
        if back:
            credit(order.consumer_id, back, PointsKind.RETURNED, source=("order", order.id), money=refunded,
                   note=f"Order {order.number} refunded")


def _spent_on(order_id: int) -> tuple[int, int, int, int]:
    """(points spent, the money they paid, points returned, the money those stood for) on an order
    (spent at checkout, or redeeming an item of the points mall)."""
    rows = db.session.execute(select(PointsEntry.kind, func.sum(PointsEntry.amount), func.sum(PointsEntry.money)).where(
        PointsEntry.source_kind == "order", PointsEntry.source_id == order_id,
        PointsEntry.kind.in_([PointsKind.SPENT, PointsKind.REDEEMED, PointsKind.RETURNED])).group_by(PointsEntry.kind))
    spent = money = returned = money_back = 0
    for kind, amount, paid in rows:
        if kind == PointsKind.RETURNED:
            returned, money_back = int(amount), int(paid)
        else:
            spent, money = spent - int(amount), money + int(paid)
    return spent, money, returned, money_back


class ContextStep:
    """A step of a function of the quote and the context (holding nothing)."""

    def __init__(self, apply):
        self.apply = apply


register_price_step("member_price", POSITIONS["member_price"], ContextStep(member_price))
register_price_step("points", POSITIONS["points"], PointsStep())
register_price_step("member_shipping", MEMBER_SHIPPING_POSITION, ContextStep(member_shipping))

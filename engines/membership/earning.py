"""What paid orders earn: points and growth per line (`OrderReward`), as the shop's settings and
the member's tier multiplier say. Growth counts at once; points are frozen until the order's
after-sales window closes (its completion plus the shop's days for after-sales), then become
available as one ledger entry. A refund takes back each refunded line's share of both, unit by
unit (cumulative floor, so refunding every unit takes back exactly what the line earned):
from the frozen points while they are frozen, else from the balance (as much as there is)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.db import db, utcnow
from core.engines import flow_settings
from core.money import Money, exponent
from core.tenancy import current_tenant, current_tenant_id
from engines.membership.cards import running_card
from engines.membership.ledger import credit, debit, ensure_member, not_below_zero
from engines.membership.models import Member, OrderReward, PointsKind
from engines.membership.tiers import add_growth, effective_tier
from engines.orders.services import Order, lines_of, refunded_units, share_of_units


def _per_line(paid: list[int], per_order: int) -> list[int]:
    """An order's own growth spread over its lines by what they paid (exact to the unit)."""
    if not per_order:
        return [0] * len(paid)
    weights = paid if sum(paid) > 0 else [1] * len(paid)
    return [share.amount for share in Money(per_order, current_tenant().currency).allocate(weights)]


def reward_paid_order(order_id: int, now: dt.datetime | None = None) -> int:
    """Record what a paid order's lines earn (once per order); the points it earns."""
    now = now or utcnow()
    order = db.session.get(Order, (current_tenant_id(), order_id))
    if order is None or db.session.scalar(select(OrderReward.id).where(OrderReward.order_id == order_id).limit(1)):
        return 0
    settings = flow_settings("membership")
    lines = lines_of([order_id])[order_id]
    if not lines:
        return 0
    ensure_member(order.consumer_id)
    member = db.session.scalars(select(Member).where(Member.consumer_id == order.consumer_id)).one()
    tier, card = effective_tier(member.tier_id), running_card(order.consumer_id, now)
    multiplier = max(tier.points_multiplier_bp if tier else 10_000, card[1].points_multiplier_bp if card else 10_000)
    unit = 10 ** exponent(current_tenant().currency)  # minor units in one ¥1
    order_growth = _per_line([line.paid_amount for line in lines], settings["growth_per_order"])
    rewards = [OrderReward(consumer_id=order.consumer_id, order_id=order_id, line_id=line.id, quantity=line.quantity,
                           points=line.paid_amount * settings["points_per_unit"] * multiplier // (unit * 10_000),
                           growth=line.paid_amount * settings["growth_per_unit"] // unit + extra,
                           created_at=now)
               for line, extra in zip(lines, order_growth, strict=True)]
    db.session.add_all(rewards)
    points = sum(reward.points for reward in rewards)
    member.last_order_at = now
    member.spent += sum(line.paid_amount for line in lines)
    db.session.flush()
    add_growth(order.consumer_id, sum(reward.growth for reward in rewards), "order", source=("order", order_id),
               now=now)
    if settings["freeze_points"]:
        _freeze(order.consumer_id, points)
    else:
        for reward in rewards:
            reward.thawed = True
        credit(order.consumer_id, points, PointsKind.ORDER, source=("order", order_id), note=f"Order {order.number}",
               now=now)
    db.session.flush()
    return points


def _freeze(consumer_id: int, points: int) -> None:
    if points:
        db.session.execute(update(Member).where(Member.tenant_id == current_tenant_id(),
                                                Member.consumer_id == consumer_id)
                           .values(points_frozen=Member.points_frozen + points)
                           .execution_options(synchronize_session=False))


def schedule_thaw(order_id: int, completed_at: dt.datetime) -> None:
    """The order completed: its frozen points thaw once its after-sales window closes."""
    thaws_at = completed_at + dt.timedelta(days=flow_settings("orders")["after_sales_days"])
    db.session.execute(update(OrderReward).where(OrderReward.tenant_id == current_tenant_id(),
                                                 OrderReward.order_id == order_id, OrderReward.thawed.is_(False))
                       .values(thaws_at=thaws_at).execution_options(synchronize_session=False))


def thaw_order(order_id: int, now: dt.datetime | None = None) -> int:
    """The order's frozen points become available (those not taken back by refunds): one entry."""
    now = now or utcnow()
    rewards = list(db.session.scalars(select(OrderReward).where(
        OrderReward.order_id == order_id, OrderReward.thawed.is_(False)).with_for_update()
        .execution_options(populate_existing=True)))
    if not rewards:
        return 0
    consumer_id = rewards[0].consumer_id
    points = sum(reward.points - reward.points_back for reward in rewards)
    for reward in rewards:
        reward.thawed = True
    db.session.flush()
    _freeze(consumer_id, -points)
    order = db.session.get(Order, (current_tenant_id(), order_id))
    credit(consumer_id, points, PointsKind.ORDER, source=("order", order_id),
           note=f"Order {order.number}" if order else "", now=now)
    return points


def take_back_refund(after_sale_id: int, now: dt.datetime | None = None) -> tuple[int, int]:
    """A refund was paid out: each refunded line gives back its units' share of the points and
    growth it earned. Returns (points, growth) taken back."""
    now = now or utcnow()
    found = refunded_units(after_sale_id)
    if found is None:
        return 0, 0
    order_id, units, money = found
    rewards = list(db.session.scalars(select(OrderReward).where(
        OrderReward.order_id == order_id, OrderReward.line_id.in_(list(units))).with_for_update()
        .execution_options(populate_existing=True)))
    frozen_back = available_back = growth_back = 0
    consumer_id = None
    for reward in rewards:
        consumer_id = reward.consumer_id
        count = min(units[reward.line_id], reward.quantity - reward.refunded_units)
        if count <= 0:
            continue
        points = share_of_units(reward.points, reward.quantity, reward.refunded_units, count)
        growth = share_of_units(reward.growth, reward.quantity, reward.refunded_units, count)
        reward.refunded_units += count
        reward.points_back += points
        reward.growth_back += growth
        growth_back += growth
        if reward.thawed:
            available_back += points
        else:
            frozen_back += points
    if consumer_id is None:
        return 0, 0
    db.session.flush()
    db.session.execute(update(Member).where(Member.tenant_id == current_tenant_id(), Member.consumer_id == consumer_id)
                       .values(spent=not_below_zero(Member.spent - money)).execution_options(synchronize_session=False))
    _freeze(consumer_id, -frozen_back)
    debit(consumer_id, available_back, PointsKind.REVERSED, source=("order", order_id),
          note="Refunded", now=now, up_to=True)
    add_growth(consumer_id, -growth_back, "reversed", source=("order", order_id), note="Refunded", now=now)
    return frozen_back + available_back, growth_back

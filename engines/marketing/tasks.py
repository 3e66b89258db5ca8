"""Jobs of the marketing engine: the new-member gift, the reminder a day before a consumer's
coupon expires, and what a promotion's tier gives once its order is paid (points, coupons)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.db import db, utcnow
from core.errors import APIError
from core.events import emit, on
from core.jobs import periodic, run_per_tenant
from core.tenancy import current_tenant_id, platform_scope
from engines.marketing import events  # noqa: F401  the events this module emits
from engines.marketing.models import ConsumerCoupon, Coupon, CouponStatus, HeldStatus
from engines.marketing.services import issue
from engines.orders.services import Order

REMIND_BEFORE = dt.timedelta(days=1)


def _remind(copy_id: int, now: dt.datetime) -> bool:
    """Emit coupon.expiring.v1 for one copy, once (marked in the same transaction)."""
    marked = db.session.execute(
        update(ConsumerCoupon).where(ConsumerCoupon.tenant_id == current_tenant_id(), ConsumerCoupon.id == copy_id,
                                     ConsumerCoupon.reminded_at.is_(None),
                                     ConsumerCoupon.status == HeldStatus.AVAILABLE)
        .values(reminded_at=now).execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        return False
    copy, name = db.session.execute(select(ConsumerCoupon, Coupon.name).join(
        Coupon, Coupon.id == ConsumerCoupon.coupon_id).where(ConsumerCoupon.id == copy_id)).one()
    emit("coupon.expiring.v1", {"consumer_coupon_id": str(copy.id), "coupon_id": str(copy.coupon_id),
                                "consumer_id": str(copy.consumer_id), "name": name,
                                "valid_until": copy.valid_until.isoformat()})
    return True


@periodic("marketing.remind_expiring", seconds=3600)
def remind_expiring(now: dt.datetime | None = None) -> int:
    """Every hour: the unused copies that stop working within a day, not reminded yet."""
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(ConsumerCoupon.tenant_id, ConsumerCoupon.id).where(
                ConsumerCoupon.status == HeldStatus.AVAILABLE, ConsumerCoupon.valid_until > now,
                ConsumerCoupon.valid_until <= now + REMIND_BEFORE, ConsumerCoupon.reminded_at.is_(None))
            .limit(1000))]
    return run_per_tenant(due, lambda copy_id: _remind(copy_id, now))


@on("consumer.registered.v1", handler="marketing.new_member_gifts")
def give_new_member_gifts(payload: dict, event) -> None:
    """Each coupon the shop gives new members, one copy each (a coupon all given out, or over,
    is skipped)."""
    consumer_id = int(payload["consumer_id"])
    now = utcnow()
    for coupon in db.session.scalars(select(Coupon).where(Coupon.new_member_gift.is_(True),
                                                          Coupon.status == CouponStatus.ACTIVE)):
        try:
            issue(coupon, consumer_id, source="gift", now=now)
        except APIError:
            continue


@on("order.paid.v1", handler="marketing.tier_rewards")
def give_tier_rewards(payload: dict, event) -> None:
    """The promotion tiers the order reached that give something once it is paid: a copy of each
    coupon (skipped when all given out, over or the consumer holds their share), and points —
    promotion.points_earned.v1, which the membership engine credits."""
    order = db.session.get(Order, (current_tenant_id(), int(payload["order_id"])))
    if order is None:
        return
    now = utcnow()
    for entry in (e for e in order.pricing or [] if e.get("step") == "order_promotions"):
        for coupon_id in entry.get("coupon_ids", []):
            coupon = db.session.get(Coupon, (current_tenant_id(), int(coupon_id)))
            if coupon is not None:
                try:
                    issue(coupon, order.consumer_id, source="promotion", now=now)
                except APIError:
                    continue
        if entry.get("points"):
            emit("promotion.points_earned.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                                "promotion_id": entry["promotion_id"], "points": entry["points"]})

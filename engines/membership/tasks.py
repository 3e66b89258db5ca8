"""Jobs of the membership engine: what orders earn (on payment; thawed once their after-sales
window closes; taken back on refunds), a promotion tier's points, the automations' triggers, and
the sweeps — thawing, expiring points (and the reminder a week before), birthday points,
re-evaluating tiers where the shop says tiers go down, automation runs that waited for quiet hours,
birthdays and dormancy. Each sweep takes `now`, so tests move the clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import and_, extract, or_, select, update

from core.db import db, utcnow
from core.engines import flow_settings
from core.events import emit, on
from core.jobs import periodic, run_per_tenant
from core.tenancy import current_tenant, current_tenant_id, platform_scope
from engines.marketing.services import points_wallet
from engines.membership import events as _events  # noqa: F401  the events this module emits
from engines.membership.automation_models import Automation, AutomationRun, AutomationStatus, RunStatus, Trigger
from engines.membership.automations import fire, perform, post_booking_reminder
from engines.membership.cards import on_card_paid, on_card_refunded, remind_ending
from engines.membership.earning import reward_paid_order, schedule_thaw, take_back_refund, thaw_order
from engines.membership.ledger import credit, debit, expire_points
from engines.membership.models import Member, MemberCard, MemberTier, OrderReward, PointsEntry, PointsKind
from engines.membership.wallet import on_recharge_paid, on_recharge_refunded
from engines.membership.tiers import add_growth, months_before, reevaluate, tier_by_id
from engines.orders.services import Order, paid_orders_count

REMIND_BEFORE = dt.timedelta(days=7)
CARD_REMIND_BEFORE = dt.timedelta(days=3)
BATCH = 1000


@on("order.paid.v1", handler="membership.reward_order")
def on_paid(payload: dict, event) -> None:
    reward_paid_order(int(payload["order_id"]))


@on("review.created.v1", handler="membership.review_growth")
def on_review(payload: dict, event) -> None:
    """A member reviewed a line of a completed order: the shop's growth for a review (once: the
    event's handler runs once per event)."""
    add_growth(int(payload["consumer_id"]), flow_settings("membership")["growth_per_review"], "review",
               source=("review", int(payload["review_id"])), note="Reviewed an order")


@on("order.paid.v1", handler="membership.member_card")
def on_card_order_paid(payload: dict, event) -> None:
    on_card_paid(int(payload["order_id"]))


@on("order.paid.v1", handler="membership.recharge")
def on_recharge_order_paid(payload: dict, event) -> None:
    on_recharge_paid(int(payload["order_id"]))


@on("after_sale.refunded.v1", handler="membership.recharge_refunded")
def on_recharge_order_refunded(payload: dict, event) -> None:
    on_recharge_refunded(int(payload["order_id"]), int(payload["amount"]["amount"]))


@on("after_sale.refunded.v1", handler="membership.member_card_refunded")
def on_card_order_refunded(payload: dict, event) -> None:
    on_card_refunded(int(payload["order_id"]))


@periodic("membership.cards_ending", seconds=3600)
def cards_ending(now: dt.datetime | None = None) -> int:
    """Every hour: cards ending within three days, not told yet (member_card.ending.v1)."""
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(MemberCard.tenant_id, MemberCard.id).where(
                MemberCard.ends_at > now, MemberCard.ends_at <= now + CARD_REMIND_BEFORE,
                MemberCard.reminded_at.is_(None)).limit(BATCH))]
    return run_per_tenant(due, lambda card_id: remind_ending(card_id, now))


@on("order.completed.v1", handler="membership.schedule_thaw")
def on_completed(payload: dict, event) -> None:
    order = db.session.get(Order, (current_tenant_id(), int(payload["order_id"])))
    if order is not None and order.completed_at is not None:
        schedule_thaw(order.id, order.completed_at)
        if flow_settings("orders")["after_sales_days"] == 0:
            thaw_order(order.id)


@on("after_sale.refunded.v1", handler="membership.take_back_refund")
def on_refunded(payload: dict, event) -> None:
    take_back_refund(int(payload["after_sale_id"]))


@on("promotion.points_earned.v1", handler="membership.promotion_points")
def on_promotion_points(payload: dict, event) -> None:
    credit(int(payload["consumer_id"]), int(payload["points"]), PointsKind.PROMOTION,
           source=("order", int(payload["order_id"])), note="Promotion reward")


@points_wallet
def spend_points(consumer_id: int, points: int, reason: str) -> None:
    """What marketing charges in points (a coupon bought with them): 409 when too few."""
    kind, _, source_id = reason.partition(":")
    debit(consumer_id, points, PointsKind.REDEEMED, source=(kind, int(source_id) if source_id.isdigit() else None),
          note=reason)


@periodic("membership.thaw_points", seconds=600)
def thaw_due(now: dt.datetime | None = None) -> int:
    """Every ten minutes: orders whose after-sales window closed give their frozen points."""
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(OrderReward.tenant_id, OrderReward.order_id).where(
                OrderReward.thawed.is_(False), OrderReward.thaws_at <= now).distinct().limit(BATCH))]
    return run_per_tenant(due, lambda order_id: thaw_order(order_id, now))


def _member_ids(*criteria) -> list[tuple[int, int]]:
    with platform_scope():
        return [tuple(row) for row in db.session.execute(
            select(Member.tenant_id, Member.consumer_id).where(*criteria).limit(BATCH))]


@periodic("membership.expire_points", seconds=3600)
def expire_due(now: dt.datetime | None = None) -> int:
    """Every hour: the points of batches past their expiry leave the balance."""
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(PointsEntry.tenant_id, PointsEntry.consumer_id).where(
                PointsEntry.remaining > 0, PointsEntry.expires_at <= now).distinct().limit(BATCH))]
    return run_per_tenant(due, lambda consumer_id: expire_points(consumer_id, now))


def _remind(consumer_id: int, now: dt.datetime) -> bool:
    """points.expiring.v1 for a member's batches expiring within a week not told yet, once."""
    batches = db.session.execute(
        update(PointsEntry).where(PointsEntry.tenant_id == current_tenant_id(), PointsEntry.consumer_id == consumer_id,
                                  PointsEntry.remaining > 0, PointsEntry.expires_at > now,
                                  PointsEntry.expires_at <= now + REMIND_BEFORE, PointsEntry.reminded_at.is_(None))
        .values(reminded_at=now).returning(PointsEntry.remaining, PointsEntry.expires_at)
        .execution_options(synchronize_session=False)).all()
    if not batches:
        return False
    emit("points.expiring.v1", {"consumer_id": str(consumer_id), "points": sum(int(b[0]) for b in batches),
                                "expires_at": min(b[1] for b in batches).isoformat()})
    return True


@periodic("membership.remind_expiring_points", seconds=3600)
def remind_expiring(now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(PointsEntry.tenant_id, PointsEntry.consumer_id).where(
                PointsEntry.remaining > 0, PointsEntry.expires_at > now, PointsEntry.expires_at <= now + REMIND_BEFORE,
                PointsEntry.reminded_at.is_(None)).distinct().limit(BATCH))]
    return run_per_tenant(due, lambda consumer_id: _remind(consumer_id, now))


def _birthday_gift(consumer_id: int, now: dt.datetime) -> bool:
    """The tier's birthday points, once a year, on the member's birthday in the shop's timezone."""
    member = db.session.scalars(select(Member).where(Member.consumer_id == consumer_id)).one()
    today = now.astimezone(zoneinfo.ZoneInfo(current_tenant().timezone)).date()
    tier = tier_by_id(member.tier_id)
    if member.birthday is None or (member.birthday.month, member.birthday.day) != (today.month, today.day) \
            or tier is None or not tier.birthday_points:
        return False
    given = db.session.scalar(select(PointsEntry.id).where(
        PointsEntry.consumer_id == consumer_id, PointsEntry.kind == PointsKind.BIRTHDAY,
        PointsEntry.source_id == today.year))
    if given is not None:
        return False
    credit(consumer_id, tier.birthday_points, PointsKind.BIRTHDAY, source=("birthday", today.year),
           note=f"Happy birthday from {tier.name}", now=now)
    return True


@periodic("membership.birthdays", seconds=3600)
def birthdays(now: dt.datetime | None = None) -> int:
    """Every hour: members whose birthday is today or tomorrow in UTC (so every timezone's today
    is covered) get their tier's birthday points, once."""
    now = now or utcnow()
    days = [(now + dt.timedelta(days=shift)).date() for shift in (-1, 0, 1)]
    matches = or_(*(and_(extract("month", Member.birthday) == day.month, extract("day", Member.birthday) == day.day)
                    for day in days))
    return run_per_tenant(_member_ids(Member.birthday.is_not(None), Member.tier_id.is_not(None), matches),
                          lambda consumer_id: _birthday_gift(consumer_id, now))


def _reevaluate_shop(tenant_id: int, now: dt.datetime) -> int:
    """In a shop whose tiers go down: its members judged longer ago than its period, re-evaluated."""
    settings = flow_settings("membership")
    if settings["downgrade"] != "period":
        return 0
    due = db.session.scalars(select(Member).where(
        Member.tier_id.is_not(None),
        or_(Member.evaluated_at.is_(None), Member.evaluated_at <= months_before(now, settings["downgrade_months"])))
        .order_by(Member.evaluated_at.is_not(None), Member.evaluated_at).limit(BATCH)).all()
    for member in due:
        reevaluate(member, now)
    return len(due)


@periodic("membership.reevaluate_tiers", seconds=86_400)
def reevaluate_tiers(now: dt.datetime | None = None) -> int:
    """Daily: in each shop with tiers, the members whose tier is due to be judged again (the
    shop's rule says whether tiers go down, and over how many months)."""
    now = now or utcnow()
    with platform_scope():
        shops = [(tenant_id, tenant_id) for tenant_id in db.session.scalars(
            select(MemberTier.tenant_id).distinct())]
    return run_per_tenant(shops, lambda tenant_id: _reevaluate_shop(tenant_id, now))


# -- automations ---------------------------------------------------------------------------------


@on("booking.reminder.v1", handler="membership.booking_reminder")
def on_booking_reminder(payload: dict, event) -> None:
    """A booking starts within a day: a reminder in the consumer's inbox (none for a booking staff
    made without a customer)."""
    if payload.get("consumer_id"):
        post_booking_reminder(int(payload["consumer_id"]), int(payload["booking_id"]), payload["name"],
                              dt.datetime.fromisoformat(payload["starts_at"]))


@on("consumer.registered.v1", handler="membership.automations.registration")
def on_registered(payload: dict, event) -> None:
    fire(Trigger.REGISTRATION, int(payload["consumer_id"]), "registration")


@on("order.paid.v1", handler="membership.automations.first_order")
def on_first_order(payload: dict, event) -> None:
    consumer_id = int(payload["consumer_id"])
    if paid_orders_count(consumer_id) == 1:
        fire(Trigger.FIRST_ORDER, consumer_id, "first_order")


@on("member.tier_changed.v1", handler="membership.automations.tier_change")
def on_tier_changed(payload: dict, event) -> None:
    if payload["to_tier_id"] is not None:
        fire(Trigger.TIER_CHANGE, int(payload["consumer_id"]), f"tier:{event.id}", tier_id=int(payload["to_tier_id"]))


@on("member_card.ending.v1", handler="membership.automations.card_ending")
def on_card_ending(payload: dict, event) -> None:
    fire(Trigger.CARD_ENDING, int(payload["consumer_id"]), f"card_ending:{event.id}")


@on("points.expiring.v1", handler="membership.automations.points_expiring")
def on_points_expiring(payload: dict, event) -> None:
    fire(Trigger.POINTS_EXPIRING, int(payload["consumer_id"]), f"expiring:{event.id}")


@periodic("membership.automation_runs", seconds=300)
def perform_due_runs(now: dt.datetime | None = None) -> int:
    """Every five minutes: runs that waited for quiet hours to end."""
    now = now or utcnow()
    with platform_scope():
        due = [tuple(row) for row in db.session.execute(
            select(AutomationRun.tenant_id, AutomationRun.id).where(
                AutomationRun.status == RunStatus.WAITING, AutomationRun.due_at <= now).limit(BATCH))]
    return run_per_tenant(due, lambda run_id: perform(
        db.session.get(AutomationRun, (current_tenant_id(), run_id)), now) == RunStatus.DONE)


def _dated_triggers(tenant_id: int, now: dt.datetime) -> int:
    """A shop's birthday and dormancy automations, for the members they apply to today."""
    made = 0
    today = now.astimezone(zoneinfo.ZoneInfo(current_tenant().timezone)).date()
    automations = list(db.session.scalars(select(Automation).where(
        Automation.status == AutomationStatus.ACTIVE, Automation.trigger.in_([Trigger.BIRTHDAY, Trigger.DORMANT]))))
    if any(a.trigger == Trigger.BIRTHDAY for a in automations):
        for consumer_id in db.session.scalars(select(Member.consumer_id).where(
                extract("month", Member.birthday) == today.month, extract("day", Member.birthday) == today.day)):
            made += fire(Trigger.BIRTHDAY, consumer_id, f"birthday:{today.year}", now)
    for days in sorted({a.days for a in automations if a.trigger == Trigger.DORMANT}):
        for consumer_id, last in db.session.execute(select(Member.consumer_id, Member.last_order_at).where(
                Member.last_order_at <= now - dt.timedelta(days=days)).limit(BATCH)):
            # the last order's moment, not its date: another order the same day is another occasion
            made += fire(Trigger.DORMANT, consumer_id, f"dormant:{days}:{int(last.timestamp())}", now)
    return made


@periodic("membership.dated_automations", seconds=3600)
def dated_automations(now: dt.datetime | None = None) -> int:
    """Every hour: in each shop with birthday or dormancy automations, the members they apply to
    (each occasion fires once: a birthday a year, a dormancy per last order)."""
    now = now or utcnow()
    with platform_scope():
        shops = [(tenant_id, tenant_id) for tenant_id in db.session.scalars(
            select(Automation.tenant_id).where(Automation.status == AutomationStatus.ACTIVE,
                                               Automation.trigger.in_([Trigger.BIRTHDAY, Trigger.DORMANT]))
            .distinct())]
    return run_per_tenant(shops, lambda tenant_id: _dated_triggers(tenant_id, now))

"""Members: a shop's tiers (`MemberTier`), each consumer's standing (`Member`: tier, growth,
points available and frozen), the points ledger (`PointsEntry`, append-only), the growth ledger
(`GrowthEntry`), what each paid order line earns (`OrderReward`, frozen until the order's
after-sales window closes) and the daily sign-ins (`SignIn`).

A member's available points are always the sum of the ledger's entries and the sum of the
unspent part (`remaining`) of its credits (each credit is a batch that expires on its own); both
are kept by the same statements, in the transaction that moves the member's row, so they never
disagree and never go below zero."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy import false as sa_false, true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk


class MemberTier(TenantModel):
    """A tier reached at `threshold` growth. Its benefits: `discount_bp` off every item (the
    member-price step; 500 is 5 % off), free delivery, a points multiplier on what orders earn
    (10,000 is ×1), and points on the member's birthday."""

    __tablename__ = "member_tiers"
    __table_args__ = (UniqueConstraint("tenant_id", "threshold"),)

    name: Mapped[str] = mapped_column(String(40))
    threshold: Mapped[int] = mapped_column(BigInteger)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    points_multiplier_bp: Mapped[int] = mapped_column(Integer, default=10_000, server_default="10000")
    birthday_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(TenantModel):
    """A consumer's standing in the shop, made the first time anything is earned or asked for."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("tenant_id", "consumer_id"), tenant_fk(["consumer_id"], "consumers"),
                      CheckConstraint("points >= 0", name="points_not_negative"),
                      CheckConstraint("points_frozen >= 0", name="frozen_not_negative"),
                      CheckConstraint("balance >= 0 AND bonus >= 0", name="wallet_not_negative"),
                      Index("ix_members_tier", "tenant_id", "tier_id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    tier_id: Mapped[int | None] = mapped_column(BigInteger)
    tier_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    growth: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)  # available: the ledger's sum
    points_frozen: Mapped[int] = mapped_column(BigInteger, default=0)  # earned by orders, not yet available
    spent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # paid for orders, less refunds
    balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # stored value: principal
    bonus: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # stored value: recharge bonus
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    tags: Mapped[str] = mapped_column(String(200), default="")  # comma-separated, as the merchant writes them
    last_order_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # tier last re-evaluated (downgrades)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsKind(enum.StrEnum):
    ORDER = "order"  # earned by a paid order, once its after-sales window closed
    SIGN_IN = "sign_in"
    TASK = "task"
    PROMOTION = "promotion"  # a promotion tier's points
    BIRTHDAY = "birthday"
    REWARD = "reward"  # an automation's
    ADJUSTMENT = "adjustment"  # staff, with a note
    SPENT = "spent"  # at checkout
    RETURNED = "returned"  # spent on an order that was cancelled or refunded
    REDEEMED = "redeemed"  # something bought with points (a coupon)
    REVERSED = "reversed"  # earned by an order line later refunded
    EXPIRED = "expired"


class PointsEntry(TenantModel):
    """One movement of a member's available points: signed, with the balance after it. A credit is
    also a batch: `remaining` is what of it is unspent, `expires_at` when that stops counting
    (debits take from the batches that expire first)."""

    __tablename__ = "points_entries"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_points_entries_member", "tenant_id", "consumer_id", "id"),
                      Index("ix_points_entries_source", "tenant_id", "source_kind", "source_id"),
                      Index("ix_points_entries_expiring", "expires_at"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[PointsKind] = mapped_column(str_enum(PointsKind))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    source_kind: Mapped[str] = mapped_column(String(20), default="")  # order, coupon, staff …
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    money: Mapped[int] = mapped_column(BigInteger, default=0)  # the discount spent points stand for (minor units)
    note: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(80), default="")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # points.expiring.v1 emitted
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class GrowthEntry(TenantModel):
    """One movement of a member's growth: signed, with the total after it."""

    __tablename__ = "growth_entries"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_growth_entries_member", "tenant_id", "consumer_id", "created_at"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # order, sign_in, adjustment, reversed
    amount: Mapped[int] = mapped_column(BigInteger)
    total_after: Mapped[int] = mapped_column(BigInteger)
    source_kind: Mapped[str] = mapped_column(String(20), default="")
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderReward(TenantModel):
    """What one paid order line earns: points (frozen until `thaws_at`, once the order's
    after-sales window is known) and growth (at once), and how many of its units were refunded
    since (their share of both taken back)."""

    __tablename__ = "order_rewards"
    __table_args__ = (UniqueConstraint("tenant_id", "line_id"), tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_order_rewards_order", "tenant_id", "order_id"),
                      Index("ix_order_rewards_thawing", "thawed", "thaws_at"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger)
    line_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    growth: Mapped[int] = mapped_column(BigInteger)
    refunded_units: Mapped[int] = mapped_column(Integer, default=0)
    points_back: Mapped[int] = mapped_column(BigInteger, default=0)  # taken back by refunds
    growth_back: Mapped[int] = mapped_column(BigInteger, default=0)
    thaws_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    thawed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignIn(TenantModel):
    """A member's daily sign-in (one a day, in the shop's timezone), its streak and what it gave."""

    __tablename__ = "sign_ins"
    __table_args__ = (UniqueConstraint("tenant_id", "consumer_id", "day"), tenant_fk(["consumer_id"], "consumers"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[dt.date] = mapped_column(Date)
    streak: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberSegment(TenantModel):
    """A saved filter of the member list (`filters`: tier ids, growth and points at least, spent at
    least, ordered within or not for N days, any of some tags), for the back office's list and for
    sending to (a coupon to everyone in it)."""

    __tablename__ = "member_segments"

    name: Mapped[str] = mapped_column(String(60))
    filters: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    PERMANENT = "permanent"


class CardPlan(TenantModel):
    """A paid member card on sale (付费会员): its period, list price and first-purchase price (the
    price of a member's first card of the shop, never above the list price), and its benefits —
    a discount on every item, free delivery, a points multiplier (the better of the card's and
    the tier's applies)."""

    __tablename__ = "card_plans"

    name: Mapped[str] = mapped_column(String(40))
    period: Mapped[CardPeriod] = mapped_column(str_enum(CardPeriod))
    price: Mapped[int] = mapped_column(BigInteger)
    first_price: Mapped[int] = mapped_column(BigInteger)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    points_multiplier_bp: Mapped[int] = mapped_column(Integer, default=10_000, server_default="10000")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberCard(TenantModel):
    """The card a member holds (one at a time): its plan, until when (None: permanent), how it
    came (an order, a code) and whether it was told it ends soon."""

    __tablename__ = "member_cards"
    __table_args__ = (UniqueConstraint("tenant_id", "consumer_id"), tenant_fk(["consumer_id"], "consumers"),
                      tenant_fk(["plan_id"], "card_plans"), Index("ix_member_cards_ending", "ends_at"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    plan_id: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40))  # order:<id>, code
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardCode(TenantModel):
    """An activation code of a plan (made in batches, unguessable, unique in the shop), used once."""

    __tablename__ = "card_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), tenant_fk(["plan_id"], "card_plans"))

    plan_id: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(20))
    batch: Mapped[str] = mapped_column(String(40), default="")
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RechargePlan(TenantModel):
    """A recharge on offer: the member pays `pay` and their balance gets `pay` of principal and
    `bonus` of bonus."""

    __tablename__ = "recharge_plans"

    pay: Mapped[int] = mapped_column(BigInteger)
    bonus: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WalletEntry(TenantModel):
    """One movement of a member's stored value: each part signed, with both after it."""

    __tablename__ = "wallet_entries"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_wallet_entries_member", "tenant_id", "consumer_id", "id"),
                      Index("ix_wallet_entries_source", "tenant_id", "source_kind", "source_id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # recharge, payment, refund, recharge_refund, adjustment
    principal: Mapped[int] = mapped_column(BigInteger)
    bonus: Mapped[int] = mapped_column(BigInteger)
    principal_after: Mapped[int] = mapped_column(BigInteger)
    bonus_after: Mapped[int] = mapped_column(BigInteger)
    source_kind: Mapped[str] = mapped_column(String(20), default="")
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RedemptionItem(TenantModel):
    """A catalog SKU on offer in the points mall: redeemed for `points` each and `cash` (minor
    units; 0: points only) instead of its price, at most `per_member_limit` a member (0: no
    limit), for members of `min_tier_id`'s tier or above only when set (an exclusive item). Stock
    is the SKU's; the order is an order like any other, shipped or verified."""

    __tablename__ = "redemption_items"
    __table_args__ = (UniqueConstraint("tenant_id", "sku_id", name="uq_redemption_items_sku"),
                      CheckConstraint("points > 0", name="points_positive"),
                      CheckConstraint("cash >= 0", name="cash_not_negative"),
                      CheckConstraint("per_member_limit >= 0", name="limit_not_negative"))

    sku_id: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(Integer)
    cash: Mapped[int] = mapped_column(BigInteger, default=0)
    per_member_limit: Mapped[int] = mapped_column(Integer, default=0)
    min_tier_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskClaim(TenantModel):
    """A task of the task centre whose points a member collected (once each)."""

    __tablename__ = "task_claims"
    __table_args__ = (UniqueConstraint("tenant_id", "consumer_id", "task", name="uq_task_claims_member_task"),
                      tenant_fk(["consumer_id"], "consumers"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    task: Mapped[str] = mapped_column(String(30))
    points: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExclusiveItem(TenantModel):
    """A catalog item only members of `tier_id`'s tier and above may buy (a tier's benefit)."""

    __tablename__ = "exclusive_items"
    __table_args__ = (UniqueConstraint("tenant_id", "item_id", name="uq_exclusive_items_item"),
                      Index("ix_exclusive_items_tier", "tenant_id", "tier_id"))

    item_id: Mapped[int] = mapped_column(BigInteger)
    tier_id: Mapped[int] = mapped_column(BigInteger)


class TierChange(TenantModel):
    """A member moved from one tier to another (None: no tier), for their timeline."""

    __tablename__ = "tier_changes"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_tier_changes_member", "tenant_id", "consumer_id", "id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    from_tier: Mapped[str] = mapped_column(String(40), default="")  # the tiers' names then ("": none)
    to_tier: Mapped[str] = mapped_column(String(40), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

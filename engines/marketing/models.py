"""Coupons: what a shop offers (`Coupon`) and each copy a consumer holds (`ConsumerCoupon`).
Amounts are integer minor units of the shop's currency; a percentage is in basis points of
10,000 (8.5 % off is 850)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint, false as sa_false, true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk


class CouponKind(enum.StrEnum):
    AMOUNT = "amount"  # a fixed amount off
    PERCENT = "percent"  # a percentage off, up to a cap
    THRESHOLD = "threshold"  # 满X减Y: an amount off once the eligible lines reach a spend
    FREE_SHIPPING = "free_shipping"  # the delivery fee, waived


class CouponScope(enum.StrEnum):
    ALL = "all"
    ITEMS = "items"
    CATEGORIES = "categories"


class CouponStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # no more claims; copies already held stay usable
    ENDED = "ended"  # no more claims; copies held stay usable until they expire


class Coupon(TenantModel):
    __tablename__ = "coupons"

    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[CouponKind] = mapped_column(str_enum(CouponKind))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # off (amount, threshold)
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)  # off, in basis points (percent)
    cap: Mapped[int | None] = mapped_column(BigInteger)  # the most a percent coupon takes off
    minimum: Mapped[int] = mapped_column(BigInteger, default=0)  # the eligible lines' spend it needs
    scope: Mapped[CouponScope] = mapped_column(str_enum(CouponScope), default=CouponScope.ALL)
    scope_ids: Mapped[list] = mapped_column(JSON, default=list)  # item or category ids, as strings
    excluded_item_ids: Mapped[list] = mapped_column(JSON, default=list)
    # When a copy may be used: a fixed window, or `valid_days` from the moment it is claimed.
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    valid_days: Mapped[int | None] = mapped_column(Integer)
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # offered in the claim centre
    new_member_gift: Mapped[bool] = mapped_column(Boolean, default=False)  # given to each new consumer
    total_limit: Mapped[int | None] = mapped_column(Integer)  # copies ever issued
    per_consumer_limit: Mapped[int] = mapped_column(Integer, default=1)
    per_day_limit: Mapped[int | None] = mapped_column(Integer)  # copies issued per day, in the shop's timezone
    points_price: Mapped[int | None] = mapped_column(Integer)  # points a copy costs (services.buy_with_points)
    issued_day: Mapped[str | None] = mapped_column(String(8))  # the shop's day of the last issue, 20261130
    issued_that_day: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    funded_by: Mapped[str] = mapped_column(String(40), default="merchant")
    # What it combines with (Shopify's combinesWith), by class: lines at a special price (item
    # discounts: a timed discount, a bundle) and order promotions (a promotion may refuse coupons
    # in turn: Promotion.combines_with_coupons).
    on_special_prices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    combines_with_promotions: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus), default=CouponStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HeldStatus(enum.StrEnum):
    AVAILABLE = "available"
    HELD = "held"  # on an order placed and not paid yet
    USED = "used"


class ConsumerCoupon(TenantModel):
    """A copy of a coupon a consumer holds. Expired is not a status: it is `valid_until` passed
    while still available."""

    __tablename__ = "consumer_coupons"
    __table_args__ = (tenant_fk(["coupon_id"], "coupons"), tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_consumer_coupons_wallet", "tenant_id", "consumer_id", "status", "valid_until"),
                      Index("ix_consumer_coupons_coupon_consumer", "tenant_id", "coupon_id", "consumer_id"),
                      Index("ix_consumer_coupons_order", "tenant_id", "order_id"),
                      Index("ix_consumer_coupons_expiring", "status", "valid_until"))

    coupon_id: Mapped[int] = mapped_column(BigInteger)
    consumer_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[HeldStatus] = mapped_column(str_enum(HeldStatus), default=HeldStatus.AVAILABLE)
    source: Mapped[str] = mapped_column(String(20), default="claim")  # claim, code, sent, gift
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(BigInteger)  # the order holding or having used it
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # coupon.expiring.v1 emitted


class PromotionKind(enum.StrEnum):
    SPEND = "spend"  # tiers by what the lines it covers cost (满减, 满折)
    QUANTITY = "quantity"  # tiers by how many units of them (满件减, 满件折)


class Promotion(TenantModel):
    """An order promotion: tiers of a threshold (money or units over the lines it covers) and what
    reaching it gives (engines.marketing.tiers) — the highest tier reached wins. It runs in its
    window while on; `budget` caps the discount it may give in all and `use_limit` the orders it
    applies to (both reserved at checkout, given back when an unpaid order is cancelled; a refund
    gives back the refunded units' share of the discount)."""

    __tablename__ = "promotions"

    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[PromotionKind] = mapped_column(str_enum(PromotionKind))
    tiers: Mapped[list] = mapped_column(JSON)  # [{"threshold": int, "amount_off": int} | {"threshold", "percent_bp"}]
    scope: Mapped[CouponScope] = mapped_column(str_enum(CouponScope), default=CouponScope.ALL)
    scope_ids: Mapped[list] = mapped_column(JSON, default=list)
    excluded_item_ids: Mapped[list] = mapped_column(JSON, default=list)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)  # no other promotion on the same order
    combines_with_coupons: Mapped[bool] = mapped_column(Boolean, default=True)
    # whether it also counts lines already at a special price (a timed discount, a bundle)
    on_special_prices: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    budget: Mapped[int | None] = mapped_column(BigInteger)  # the most discount it gives in all
    budget_used: Mapped[int] = mapped_column(BigInteger, default=0)
    use_limit: Mapped[int | None] = mapped_column(Integer)  # the most orders it applies to in all
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # orders holding it (unpaid or paid)
    funded_by: Mapped[str] = mapped_column(String(40), default="merchant")
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus), default=CouponStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponCode(TenantModel):
    """A redeem code of a coupon: made in batches (unguessable, unique in the shop), each redeemed
    once for one copy."""

    __tablename__ = "coupon_codes"
    __table_args__ = (tenant_fk(["coupon_id"], "coupons"), UniqueConstraint("tenant_id", "code"),
                      Index("ix_coupon_codes_coupon_batch", "tenant_id", "coupon_id", "batch"))

    coupon_id: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(24))
    batch: Mapped[str] = mapped_column(String(40))
    redeemed_by: Mapped[int | None] = mapped_column(BigInteger)  # the consumer
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimedDiscount(TenantModel):
    """A price cut on chosen items for a window (限时折扣): a percentage off, or an amount off each
    unit, on every SKU of the items."""

    __tablename__ = "timed_discounts"

    name: Mapped[str] = mapped_column(String(60))
    item_ids: Mapped[list] = mapped_column(JSON)  # as strings
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)
    amount_off: Mapped[int] = mapped_column(BigInteger, default=0)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    funded_by: Mapped[str] = mapped_column(String(40), default="merchant")
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus), default=CouponStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bundle(TenantModel):
    """A set of items sold together at a set price (组合搭配): `items` is [{"item_id": str,
    "quantity": int}]; an order holding every item of the set in those quantities gets the set at
    `price` (once per complete set in it), the difference taken off the set's lines."""

    __tablename__ = "bundles"

    name: Mapped[str] = mapped_column(String(60))
    items: Mapped[list] = mapped_column(JSON)
    price: Mapped[int] = mapped_column(BigInteger)  # the whole set, minor units
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    funded_by: Mapped[str] = mapped_column(String(40), default="merchant")
    sold_count: Mapped[int] = mapped_column(Integer, default=0)  # sets on paid orders
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus), default=CouponStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FreeShippingRule(TenantModel):
    """Free delivery as a campaign (包邮活动): the express or same-city fee is waived when the items
    cost at least `minimum`, the address is in one of `regions` (none: anywhere) and not in
    `excluded_regions`, and — when `item_ids` is set — every line is one of those items."""

    __tablename__ = "free_shipping_rules"

    name: Mapped[str] = mapped_column(String(60))
    minimum: Mapped[int] = mapped_column(BigInteger, default=0)
    regions: Mapped[list] = mapped_column(JSON, default=list)
    excluded_regions: Mapped[list] = mapped_column(JSON, default=list)
    item_ids: Mapped[list] = mapped_column(JSON, default=list)  # as strings
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    funded_by: Mapped[str] = mapped_column(String(40), default="merchant")
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus), default=CouponStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

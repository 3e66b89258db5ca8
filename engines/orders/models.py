"""The cart, shipping templates, orders with their lines and transitions, and
after-sales requests. Amounts are integer minor units in the order's currency."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Index, Integer, String, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk


class Cart(TenantModel):
    __tablename__ = "carts"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"), UniqueConstraint("tenant_id", "consumer_id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CartLine(TenantModel):
    __tablename__ = "cart_lines"
    __table_args__ = (tenant_fk(["cart_id"], "carts"), tenant_fk(["sku_id"], "skus"),
                      UniqueConstraint("tenant_id", "cart_id", "sku_id", "choice_key"),
                      CheckConstraint("quantity > 0", name="quantity_positive"))

    cart_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    choices: Mapped[dict] = mapped_column(JSON, default=dict)  # a dish's options: {"Spiciness": ["Mild"]}
    choice_key: Mapped[str] = mapped_column(String(64), default="")  # the same dish with other options: another line
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    IN_PREPARATION = "in_preparation"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # everything paid was refunded


class FulfillmentType(enum.StrEnum):
    EXPRESS = "express"
    SAME_CITY = "same_city"
    PICKUP = "pickup"
    DINE_IN = "dine_in"
    NONE = "none"  # services and virtual goods: nothing to carry, a code to verify


class ShippingTemplate(TenantModel):
    """How express delivery is priced: free above a threshold, else by item count or weight, with
    a rule per region (the rule without regions is the default)."""

    __tablename__ = "shipping_templates"

    name: Mapped[str] = mapped_column(String(60))
    basis: Mapped[str] = mapped_column(String(10), default="per_item")  # per_item | per_weight (kg)
    free_above: Mapped[int | None] = mapped_column(BigInteger)  # items total from which shipping is free
    # [{"regions": ["Zhejiang", ...], "first": 1, "first_fee": 800, "additional": 1, "additional_fee": 200}]
    rules: Mapped[list] = mapped_column(JSON, default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class OrderSequence(TenantModel):
    """Per tenant and day, the last order number handed out (one row per day, upserted)."""

    __tablename__ = "order_sequences"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    day: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(Integer, default=0)


class Order(TenantModel):
    __tablename__ = "orders"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"), UniqueConstraint("tenant_id", "number"),
                      UniqueConstraint("tenant_id", "verification_code"),
                      Index(None, "tenant_id", "consumer_id", "id"), Index(None, "tenant_id", "status", "id"),
                      Index("ix_orders_pay_by", "pay_by", postgresql_where=text("status = 'pending_payment'"),
                            sqlite_where=text("status = 'pending_payment'")),
                      Index("ix_orders_complete_by", "complete_by", postgresql_where=text("status = 'shipped'"),
                            sqlite_where=text("status = 'shipped'")),
                      Index(None, "tenant_id", "attention_at"),
                      CheckConstraint("total >= 0", name="total_not_negative"),
                      CheckConstraint("balance_due >= 0", name="balance_not_negative"))

    number: Mapped[str] = mapped_column(String(20))
    consumer_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.PENDING_PAYMENT)
    fulfillment_type: Mapped[FulfillmentType] = mapped_column(str_enum(FulfillmentType))
    fulfillment: Mapped[dict] = mapped_column(JSON, default=dict)  # address / store / table snapshot
    store_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    currency: Mapped[str] = mapped_column(String(3))
    items_total: Mapped[int] = mapped_column(BigInteger)
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    refunded_total: Mapped[int] = mapped_column(BigInteger, default=0)
    # Still to pay at the shop: the balance of an order paid online by a deposit (a room's nights, a
    # service), collected by staff on the day (engines.payments.counter); 0 for an order paid in full.
    balance_due: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    pricing: Mapped[list] = mapped_column(JSON, default=list)  # the price pipeline's steps
    verification_code: Mapped[str | None] = mapped_column(String(12))
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    carrier: Mapped[str] = mapped_column(String(40), default="")
    tracking_number: Mapped[str] = mapped_column(String(40), default="")
    pay_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    complete_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Something staff must look at (a refund the provider would not take); cleared when handled.
    attention: Mapped[str] = mapped_column(String(200), default="")
    attention_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OrderLine(TenantModel):
    """A snapshot of what was bought, at the price paid; discounts are allocated to lines so
    partial refunds are exact."""

    __tablename__ = "order_lines"
    __table_args__ = (tenant_fk(["order_id"], "orders"), Index(None, "tenant_id", "order_id"),
                      CheckConstraint("refunded_quantity <= quantity", name="refund_within_quantity"))
    # refunded_quantity / refunded_amount count what is refunded or being refunded (counted when
    # the refund is created, by compare-and-set; given back if the provider finally refuses).

    order_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    sku_code: Mapped[str] = mapped_column(String(64), default="")
    image: Mapped[str] = mapped_column(String(520), default="")
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_amount: Mapped[int] = mapped_column(BigInteger)  # subtotal - discount
    due_later: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # of it, the balance at the shop
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    booked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # capacity, not stock


class OrderAdjustment(TenantModel):
    """What one price step changed on an order and who is on the other side of it (DESIGN.md §4):
    a discount (amount < 0) is taken off the lines it is allocated to and funded by `funded_by`; a
    fee (amount > 0, today the delivery fee) is added to the order and owed to `funded_by`. Either
    way the order's total is its items total plus its adjustments, and settlement books each one
    against one party: "platform", "merchant" or "sub_merchant:<id>". Written with the order,
    never changed after."""

    __tablename__ = "order_adjustments"
    __table_args__ = (tenant_fk(["order_id"], "orders"), Index(None, "tenant_id", "order_id"),
                      # a tool's figures: the orders each coupon, promotion or discount was on
                      Index("ix_order_adjustments_source", "tenant_id", "source_kind", "source_id"),
                      CheckConstraint("funded_by IN ('platform', 'merchant') OR funded_by LIKE 'sub_merchant:%'",
                                      name="funded_by_known"))

    order_id: Mapped[int] = mapped_column(BigInteger)
    sequence: Mapped[int] = mapped_column(Integer)  # its place in the pipeline's record of the order
    step: Mapped[str] = mapped_column(String(40))  # the price step that made it (coupon, points, shipping …)
    source_kind: Mapped[str] = mapped_column(String(30))  # what it came from: coupon, campaign, shipping_template …
    source_id: Mapped[int | None] = mapped_column(BigInteger)  # … and which one (coupon:123)
    label: Mapped[str] = mapped_column(String(120))
    amount: Mapped[int] = mapped_column(BigInteger)
    funded_by: Mapped[str] = mapped_column(String(40))


class OrderAdjustmentLine(TenantModel):
    """An adjustment's share of one line (same sign as the adjustment; the shares add up to it).
    A line pays its subtotal plus its shares; an order-level fee has none."""

    __tablename__ = "order_adjustment_lines"
    __table_args__ = (tenant_fk(["order_id"], "orders"), tenant_fk(["adjustment_id"], "order_adjustments"),
                      tenant_fk(["line_id"], "order_lines"), Index(None, "tenant_id", "order_id"),
                      UniqueConstraint("tenant_id", "adjustment_id", "line_id"))

    order_id: Mapped[int] = mapped_column(BigInteger)
    adjustment_id: Mapped[int] = mapped_column(BigInteger)
    line_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)


class OrderTransition(TenantModel):
    """One step of an order's life: who moved it, when, from what to what."""

    __tablename__ = "order_transitions"
    __table_args__ = (tenant_fk(["order_id"], "orders"), Index(None, "tenant_id", "order_id"))

    order_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40))  # consumer:<id> | staff:<id> | system | provider:<name>
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AfterSaleStatus(enum.StrEnum):
    REQUESTED = "requested"
    AWAITING_RETURN = "awaiting_return"  # approved; the buyer sends the goods back
    RETURN_SHIPPED = "return_shipped"  # the buyer entered return tracking
    REFUNDING = "refunding"  # the refund is with the payment provider
    REFUNDED = "refunded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class AfterSale(TenantModel):
    """A refund request: refund only, or return and refund; by line and quantity."""

    __tablename__ = "after_sales"
    __table_args__ = (tenant_fk(["order_id"], "orders"), Index(None, "tenant_id", "order_id"),
                      Index(None, "tenant_id", "status", "id"))

    order_id: Mapped[int] = mapped_column(BigInteger)
    consumer_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # refund | return_refund
    status: Mapped[AfterSaleStatus] = mapped_column(str_enum(AfterSaleStatus), default=AfterSaleStatus.REQUESTED)
    lines: Mapped[list] = mapped_column(JSON)  # [{"line_id": "..", "quantity": n, "amount": minor}]
    amount: Mapped[int] = mapped_column(BigInteger)
    restock: Mapped[bool] = mapped_column(Boolean, default=False)  # goods come back to stock when refunded
    reason: Mapped[str] = mapped_column(String(200), default="")
    merchant_note: Mapped[str] = mapped_column(String(200), default="")
    return_carrier: Mapped[str] = mapped_column(String(40), default="")
    return_tracking: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Review(TenantModel):
    """A consumer's review of a line of a completed order: a rating from 1 to 5 and words; the shop
    may hide it (it stays, unseen). One per line."""

    __tablename__ = "reviews"
    __table_args__ = (tenant_fk(["order_id"], "orders"),
                      UniqueConstraint("tenant_id", "line_id", name="uq_reviews_line"),
                      CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),
                      Index("ix_reviews_item", "tenant_id", "item_id", "hidden", "id"))

    order_id: Mapped[int] = mapped_column(BigInteger)
    line_id: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int] = mapped_column(BigInteger)
    consumer_id: Mapped[int] = mapped_column(BigInteger)
    rating: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(String(500), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

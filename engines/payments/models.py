"""Payments, refunds, the provider events already applied and each shop's payment accounts,
tenant-scoped."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk


class PaymentAccount(TenantModel):
    """A shop's account with one provider: whether checkout offers it, its public settings (a
    publishable key, what to show of the secret) and its secrets, encrypted at rest
    (core.encryption). One row per provider and shop."""

    __tablename__ = "payment_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    provider: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[dict] = mapped_column(JSON, default=dict)
    credentials: Mapped[str] = mapped_column(Text, default="")  # Fernet token of a JSON object, or ""
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(TenantModel):
    """One attempt to pay an order; an order may have several (a failure, then a success)."""

    __tablename__ = "payments"
    __table_args__ = (tenant_fk(["order_id"], "orders"), Index(None, "tenant_id", "order_id"),
                      UniqueConstraint("tenant_id", "provider", "provider_ref"))

    order_id: Mapped[int] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(120))  # e.g. the Stripe PaymentIntent id
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus), default=PaymentStatus.PENDING)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # what the provider said, for support
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # counted on the payment (and the order's lines), not yet handed to the provider
    SENDING = "sending"  # handed to the provider; no answer recorded yet (a crash or an outage leaves it so)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused by the provider, or given up after MAX_REFUND_ATTEMPTS: staff are alerted


class Refund(TenantModel):
    """Money going back to the buyer from one payment. Its amount is counted on the payment (and,
    for an after-sale, on the order's lines) when the refund is created, by compare-and-set, so a
    refund the database refuses is never sent; a provider's final refusal gives the count back."""

    __tablename__ = "refunds"
    __table_args__ = (tenant_fk(["payment_id"], "payments"), Index(None, "tenant_id", "payment_id"),
                      UniqueConstraint("tenant_id", "reason", "source_id", "part"),
                      Index("ix_refunds_unsettled", "last_attempt_at",
                            postgresql_where=text("status IN ('pending', 'sending')"),
                            sqlite_where=text("status IN ('pending', 'sending')")))

    payment_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(20))  # after_sale | late_payment | duplicate_payment
    source_id: Mapped[int] = mapped_column(BigInteger)  # the after-sale, or the payment itself
    # An after-sale of an order paid twice (a deposit online, its balance at the shop) may be refunded
    # from both: part 0 from the first payment, 1 from the next. The same refund asked for twice is refused
    # by the database whatever split it would take the second time.
    part: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus), default=RefundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times handed to the provider
    last_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)  # made, or last sent
    failure: Mapped[str] = mapped_column(String(200), default="")  # why it failed, for staff
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ProviderEvent(TenantModel):
    """A provider's event id seen once: a duplicate webhook finds its row and does nothing."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "event_id"),)

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

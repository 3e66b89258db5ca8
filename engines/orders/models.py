"""The cart: one per consumer, lines by SKU."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.tenancy import TenantModel, tenant_fk


class Cart(TenantModel):
    __tablename__ = "carts"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"), UniqueConstraint("tenant_id", "consumer_id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CartLine(TenantModel):
    __tablename__ = "cart_lines"
    __table_args__ = (tenant_fk(["cart_id"], "carts"), tenant_fk(["sku_id"], "skus"),
                      UniqueConstraint("tenant_id", "cart_id", "sku_id"),
                      CheckConstraint("quantity > 0", name="quantity_positive"))

    cart_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Address(TenantModel):
    """A consumer's delivery address; one of them is the default."""

    __tablename__ = "addresses"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"), Index(None, "tenant_id", "consumer_id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(120))  # province / city / district
    line: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(12), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

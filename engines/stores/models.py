"""Stores and dining tables, tenant-scoped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.tenancy import TenantModel, tenant_fk


class Store(TenantModel):
    __tablename__ = "stores"

    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    hours: Mapped[str] = mapped_column(String(80), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    pickup: Mapped[bool] = mapped_column(Boolean, default=True)
    # same-city delivery: [{"up_to_km": 3, "fee": 500}, ...] ascending; beyond the last band, no delivery
    delivery_bands: Mapped[list] = mapped_column(JSON, default=list)
    delivery_minimum: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units of the items total
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DiningTable(TenantModel):
    """A table in a store; its QR code opens the shop with `?table=<code>`."""

    __tablename__ = "dining_tables"
    __table_args__ = (tenant_fk(["store_id"], "stores"), UniqueConstraint("tenant_id", "code"),
                      UniqueConstraint("tenant_id", "store_id", "name"))

    store_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(16))
    seats: Mapped[int] = mapped_column(Integer, default=4)

"""Catalog models, tenant-scoped. Prices are integer minor units in the tenant's currency."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk



class ItemKind(enum.StrEnum):
    PHYSICAL = "physical"
    DISH = "dish"
    SERVICE = "service"
    VIRTUAL = "virtual"
    ROOM = "room"  # nights of a room type (the booking engine holds them)
    TICKET = "ticket"  # a ticket type of an event (the booking engine holds its sessions' quotas)


class ItemStatus(enum.StrEnum):
    DRAFT = "draft"
    ON_SALE = "on_sale"
    OFF_SALE = "off_sale"


class Category(TenantModel):
    __tablename__ = "categories"
    __table_args__ = (tenant_fk(["parent_id"], "categories"), UniqueConstraint("tenant_id", "parent_id", "name"))

    name: Mapped[str] = mapped_column(String(60))
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    image: Mapped[str] = mapped_column(String(520), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Item(TenantModel):
    __tablename__ = "items"
    __table_args__ = (tenant_fk(["category_id"], "categories"), Index(None, "tenant_id", "status", "category_id"))

    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind), default=ItemKind.PHYSICAL)
    name: Mapped[str] = mapped_column(String(120))
    subtitle: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    images: Mapped[list] = mapped_column(JSON, default=list)  # media refs
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[ItemStatus] = mapped_column(str_enum(ItemStatus), default=ItemStatus.DRAFT)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[list] = mapped_column(JSON, default=list)  # [{"name": "Size", "values": ["S", "M"]}]
    option_groups: Mapped[list] = mapped_column(JSON, default=list)  # dish add-ons, see services.OptionGroup
    sales_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Sku(TenantModel):
    """One sellable variant: an item's option values, with its own price, stock and code."""

    __tablename__ = "skus"
    __table_args__ = (tenant_fk(["item_id"], "items"), UniqueConstraint("tenant_id", "code"),
                      Index(None, "tenant_id", "item_id"), CheckConstraint("stock >= 0", name="stock_not_negative"),
                      CheckConstraint("price >= 0", name="price_not_negative"))

    item_id: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # {"Size": "S", "Colour": "Red"}
    code: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    image: Mapped[str] = mapped_column(String(520), default="")
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

"""The consumer's address book: at most 20 addresses, exactly one default once there is one. In
core because every engine that takes goods or people somewhere needs it (orders' delivery, later
booking's home visits and dispatch's errands)."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate
from sqlalchemy import BigInteger, Boolean, Float, Index, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.consumers import PHONE
from core.db import UTCDateTime, db, utcnow
from core.errors import APIError
from core.tenancy import TenantModel, tenant_fk

MAX_ADDRESSES = 20


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
    latitude: Mapped[float | None] = mapped_column(Float)  # for same-city delivery
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AddressIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    phone = fields.String(required=True, validate=validate.Regexp(PHONE.pattern, error="Enter a phone number of 6 to 15 digits."))
    region = fields.String(required=True, validate=validate.Length(min=1, max=120))
    line = fields.String(required=True, validate=validate.Length(min=1, max=200))
    postcode = fields.String(load_default="", validate=validate.Regexp(r"^[0-9A-Za-z -]{0,12}$"))
    is_default = fields.Boolean(load_default=False)
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))


class AddressOut(Schema):
    id = fields.Function(lambda a: str(a.id))
    name = fields.String()
    phone = fields.String()
    region = fields.String()
    line = fields.String()
    postcode = fields.String()
    is_default = fields.Boolean()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class AddressListOut(Schema):
    items = fields.List(fields.Nested(AddressOut))


def addresses_of(consumer_id: int) -> list[Address]:
    return list(db.session.scalars(select(Address).where(Address.consumer_id == consumer_id)
                                   .order_by(Address.is_default.desc(), Address.id)))


def _make_default(consumer_id: int, address: Address) -> None:
    db.session.execute(update(Address).where(Address.consumer_id == consumer_id, Address.id != address.id)
                       .values(is_default=False).execution_options(synchronize_session="fetch"))
    address.is_default = True
    db.session.flush()


def add_address(*, consumer_id: int, data: dict) -> Address:
    count = db.session.scalar(select(func.count()).select_from(Address).where(Address.consumer_id == consumer_id))
    if count >= MAX_ADDRESSES:
        raise APIError("invalid_input", fields={"_schema": [f"At most {MAX_ADDRESSES} addresses."]})
    address = Address(consumer_id=consumer_id, **{k: v for k, v in data.items() if k != "is_default"})
    db.session.add(address)
    db.session.flush()
    if data.get("is_default") or count == 0:
        _make_default(consumer_id, address)
    return address


def find_address(consumer_id: int, address_id: int) -> Address:
    address = db.session.scalar(select(Address).where(Address.id == address_id, Address.consumer_id == consumer_id))
    if address is None:
        raise APIError("not_found", "There is no such address.")
    return address


def change_address(*, consumer_id: int, address_id: int, data: dict) -> Address:
    address = find_address(consumer_id, address_id)
    for name, value in data.items():
        if name != "is_default":
            setattr(address, name, value)
    if data.get("is_default"):
        _make_default(consumer_id, address)
    return address


def remove_address(*, consumer_id: int, address_id: int) -> None:
    """Removing the default makes the oldest remaining address the default."""
    address = find_address(consumer_id, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        remaining = addresses_of(consumer_id)
        if remaining:
            _make_default(consumer_id, remaining[0])

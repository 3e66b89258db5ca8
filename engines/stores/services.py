"""The stores' write path and what checkout asks of them: which store, which table, and what
same-city delivery costs at a distance."""

from __future__ import annotations

import dataclasses
import math
import secrets

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from core.cache import LRU, bump_after_commit, remembered
from core.db import add_unique, db
from core.errors import APIError, register_codes
from core.money import Money, MoneyError
from core.tenancy import current_tenant_id
from engines.stores.models import DiningTable, Store

register_codes({"not_deliverable": (422, "This address is outside the delivery area.")})

EARTH_RADIUS_KM = 6371.0088
STORES_STAMP = "stores"


class DeliveryBand(Schema):
    up_to_km = fields.Float(required=True, validate=validate.Range(min=0.1, max=100))
    fee = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**8))


def _bands(bands: list) -> list[dict]:
    try:
        loaded = DeliveryBand(many=True).load(bands or [])
    except ValidationError as error:
        raise APIError("invalid_input", fields={"delivery_bands": error.messages}) from None
    return sorted(loaded, key=lambda band: band["up_to_km"])


def _check(name: str, latitude: float | None, longitude: float | None) -> None:
    if not name.strip():
        raise APIError("invalid_input", fields={"name": ["Name the store."]})
    if (latitude is None) != (longitude is None) or (latitude is not None and not (-90 <= latitude <= 90
                                                                                  and -180 <= longitude <= 180)):
        raise APIError("invalid_input", fields={"latitude": ["Give both coordinates, in degrees."]})


def create_store(*, name: str, address: str = "", phone: str = "", hours: str = "", latitude: float | None = None,
                 longitude: float | None = None, pickup: bool = True, delivery_bands: list | None = None,
                 delivery_minimum: int = 0) -> Store:
    _check(name, latitude, longitude)
    store = Store(name=name.strip(), address=address, phone=phone, hours=hours, latitude=latitude,
                  longitude=longitude, pickup=pickup, delivery_bands=_bands(delivery_bands or []),
                  delivery_minimum=delivery_minimum)
    db.session.add(store)
    db.session.flush()
    bump_after_commit(current_tenant_id(), STORES_STAMP)
    return store


def update_store(store: Store, *, name: str, address: str = "", phone: str = "", hours: str = "",
                 latitude: float | None = None, longitude: float | None = None, pickup: bool = True,
                 delivery_bands: list | None = None, delivery_minimum: int = 0, active: bool = True) -> Store:
    _check(name, latitude, longitude)
    store.name, store.address, store.phone, store.hours = name.strip(), address, phone, hours
    store.latitude, store.longitude, store.pickup, store.active = latitude, longitude, pickup, active
    store.delivery_bands, store.delivery_minimum = _bands(delivery_bands or []), delivery_minimum
    db.session.flush()
    bump_after_commit(current_tenant_id(), STORES_STAMP)
    return store


def parse_bands(text: str, currency: str) -> list[dict]:
    """Bands typed as "3 km: 5.00, 8 km: 12.00" (kilometres and fees in major units)."""
    bands = []
    for part in filter(None, (p.strip() for p in text.replace("\n", ",").split(","))):
        distance, _, fee = part.partition(":")
        try:
            bands.append({"up_to_km": float(distance.lower().replace("km", "").strip()),
                          "fee": Money.parse(fee.strip(), currency).amount})
        except (ValueError, MoneyError):
            raise APIError("invalid_input", fields={"delivery_bands": [
                f"Write bands as “3 km: 5.00, 8 km: 12.00”; “{part}” is not one."]}) from None
    return bands


def format_bands(bands: list[dict], currency: str) -> str:
    return ", ".join(f"{band['up_to_km']:g} km: {Money(band['fee'], currency).to_decimal()}" for band in bands)


def add_table(*, store_id: int, name: str, seats: int = 4) -> DiningTable:
    if not name.strip() or len(name) > 20:
        raise APIError("invalid_input", fields={"name": ["Name the table (at most 20 characters)."]})
    find_store(store_id)
    return add_unique(DiningTable(store_id=store_id, name=name.strip(), seats=seats, code=secrets.token_hex(5)),
                      APIError("already_exists", "This store already has a table of that name."))


def find_store(store_id: int | None, *, active: bool = True) -> Store:
    store = db.session.scalar(select(Store).where(Store.id == store_id)) if store_id else None
    if store is None or (active and not store.active):
        raise APIError("not_found", "There is no such store.")
    return store


@dataclasses.dataclass(frozen=True)
class StoreFacts:
    """What checkout needs of a store, remembered per process until the shop's stores change."""

    id: int
    name: str
    address: str
    phone: str
    pickup: bool
    latitude: float | None
    longitude: float | None
    delivery_bands: tuple
    delivery_minimum: int


_facts = LRU(5_000)


def store_facts(store_id: int | None) -> StoreFacts:
    """An open store's facts without a query while nothing changed (checkout reads them on every
    order); 404 for a closed or unknown store."""
    def read() -> StoreFacts:
        store = find_store(store_id)
        return StoreFacts(id=store.id, name=store.name, address=store.address, phone=store.phone,
                          pickup=store.pickup, latitude=store.latitude, longitude=store.longitude,
                          delivery_bands=tuple(dict(band) for band in store.delivery_bands),
                          delivery_minimum=store.delivery_minimum)

    return remembered(_facts, current_tenant_id(), STORES_STAMP, store_id, read)


def active_stores() -> list[Store]:
    return list(db.session.scalars(select(Store).where(Store.active.is_(True)).order_by(Store.id)))


def tables_of(store_id: int) -> list[DiningTable]:
    return list(db.session.scalars(select(DiningTable).where(DiningTable.store_id == store_id)
                                   .order_by(DiningTable.name)))


def remove_table(table_id: int) -> None:
    table = db.session.scalar(select(DiningTable).where(DiningTable.id == table_id))
    if table is None:
        raise APIError("not_found", "There is no such table.")
    db.session.delete(table)


def table_by_code(code: str) -> tuple[DiningTable, Store] | None:
    row = db.session.execute(select(DiningTable, Store).join(Store, (Store.tenant_id == DiningTable.tenant_id)
                                                             & (Store.id == DiningTable.store_id))
                             .where(DiningTable.code == str(code)[:16], Store.active.is_(True))).first()
    return (row[0], row[1]) if row else None


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def delivery_fee(store: Store | StoreFacts, latitude: float, longitude: float) -> tuple[int, float]:
    """The fee of the first band that reaches the address, and the distance; 422 beyond them."""
    if store.latitude is None or not store.delivery_bands:
        raise APIError("not_deliverable", "This store does not deliver.")
    distance = distance_km(store.latitude, store.longitude, latitude, longitude)
    for band in store.delivery_bands:
        if distance <= band["up_to_km"]:
            return band["fee"], round(distance, 2)
    raise APIError("not_deliverable", f"The address is {distance:.1f} km away, beyond the delivery area.")

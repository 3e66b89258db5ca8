"""A shop taking bookings: a staffed cleaning service (two housekeepers, two-hour slots), an event
with two ticket types under overlapping quotas and a registration form, and a room type of two
rooms with weekend and season prices; a signed-in consumer with an address."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from core.addresses import add_address
from core.consumers import issue_token
from core.tenancy import tenant_scope
from engines.booking.resources import create_quota, create_resource, create_session, create_staff
from engines.catalog.services import SkuInput, create_item, skus_by_item
from tests.engines.membership.test_membership_admin import enter  # noqa: F401  a fixture: staff of a role signed in
from tests.engines.orders.conftest import shop  # noqa: F401  a shop selling from stock, beside

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def days_ahead(days: int) -> dt.date:
    """A local date `days` from today in the shop's time zone (Shanghai)."""
    return dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)


def at(day: dt.date, clock: str) -> str:
    """A local time of a date, as ISO 8601 with its offset."""
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI).isoformat()


def make_booking_shop(tenant, create_consumer) -> dict:
    with tenant_scope(tenant):
        cleaning = create_item(kind="service", name="Deep cleaning", price=30000, status="on_sale")
        gala = create_item(kind="ticket", name="New Year gala", price=0, status="on_sale",
                           options=[{"name": "Ticket", "values": ["Standard", "VIP"]}],
                           skus=[SkuInput(price=5000, stock=0, options={"Ticket": "Standard"}),
                                 SkuInput(price=20000, stock=0, options={"Ticket": "VIP"})])
        room = create_item(kind="room", name="Garden room", price=40000, status="on_sale")
        skus = skus_by_item([cleaning.id, gala.id, room.id])
        service = create_resource(item_id=cleaning.id, capacity=2, duration_minutes=120, step_minutes=120,
                                  hours=[[["08:00", "18:00"]]] * 7, staffed=True, lead_minutes=60,
                                  cancellation=[{"hours_before": 24, "refund_percent": 100},
                                                {"hours_before": 0, "refund_percent": 50}])
        ann = create_staff(name="Ann", resource_ids=[str(service.id)], hours=[[["08:00", "18:00"]]] * 7,
                           qualifications=[{"name": "Health certificate", "image": "", "verified": True}])
        bea = create_staff(name="Bea", resource_ids=[str(service.id)], hours=[[["12:00", "18:00"]]] * 7)
        event = create_resource(item_id=gala.id, form_fields=[
            {"key": "name", "label": "Name", "type": "text", "required": True},
            {"key": "phone", "label": "Phone", "type": "phone", "required": True}])
        evening = days_ahead(20)
        session = create_session(event, starts_at=dt.datetime.fromisoformat(at(evening, "19:30")),
                                 ends_at=dt.datetime.fromisoformat(at(evening, "22:00")), place="Grand hall")
        standard, vip = (skus[gala.id][0], skus[gala.id][1])
        create_quota(event, name="Hall", size=3, sku_ids=[str(standard.id), str(vip.id)])
        create_quota(event, name="VIP seats", size=1, sku_ids=[str(vip.id)])
        rooms = create_resource(item_id=room.id, capacity=2, min_stay=1, max_stay=7, weekend_price=52000)
        consumer = create_consumer(tenant)
        address = add_address(consumer_id=consumer.id, data={
            "name": "Li Lei", "phone": "13800138000", "region": "Shanghai Huangpu", "line": "2 Nanjing Rd"})
        token = issue_token(consumer)
    return {"tenant": tenant, "consumer": consumer, "headers": {"Authorization": f"Bearer {token}"},
            "service": service.id, "cleaning": str(skus[cleaning.id][0].id), "ann": ann.id, "bea": bea.id,
            "event": event.id, "session": session.id, "standard": str(standard.id), "vip": str(vip.id),
            "rooms": rooms.id, "room": str(skus[room.id][0].id), "address": str(address.id)}


@pytest.fixture
def booking_shop(db_session, tenant_a, create_consumer):
    made = make_booking_shop(tenant_a, create_consumer)
    db_session.commit()
    return made

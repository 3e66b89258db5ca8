"""The shop's side of booking, the only write path for it: bookable resources (a catalog item of
a kind booked by time: service, ticket, room), an event's sessions and ticket quotas, the staff who
serve, and blocks — times taken out of sale. Each function runs in the caller's transaction and
refuses what does not hold together with a 4xx APIError naming the field."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.cache import bump_after_commit
from core.db import db
from core.errors import APIError, register_codes
from core.identities import StaffMember
from core.tenancy import current_tenant_id
from engines.booking.availability import in_calendar
from engines.booking.models import (SHAPE_OF_KIND, BookableResource, BookingBlock, EventSession, SessionStatus, Shape,
                                    BookingStaff, TicketQuota)
from engines.catalog.services import Item, on_sale_by_ids, skus_by_item

register_codes({
    "booking_resource_exists": (409, "This item is booked by time already; change its booking settings instead."),
    "booking_session_not_found": (404, "There is no such session."),
    "booking_quota_not_found": (404, "There is no such quota."),
    "booking_staff_not_found": (404, "There is no such staff member."),
    "booking_block_not_found": (404, "There is no such block."),
})

EVERY_DAY_NINE_TO_SIX = [[["09:00", "18:00"]] for _ in range(7)]
BOOKING_STAMP = "booking"  # the storefront's pages that show services, events, rooms or staff


def _shown_changed() -> None:
    """What the storefront shows of booking changed: its cached pages end when this commits."""
    bump_after_commit(current_tenant_id(), BOOKING_STAMP)


def _refuse(field: str, message: str):
    raise APIError("invalid_input", fields={field: [message]})


def _int_ids(values: list) -> list[int]:
    return [int(value) for value in values]


# -- resources ---------------------------------------------------------------------------------

def create_resource(*, item_id: object, **settings) -> BookableResource:
    """Book a catalog item by time: a service by slots, a ticket by sessions, a room by nights."""
    item = Item.get(int(item_id)) if str(item_id).isdigit() else None
    if item is None or item.deleted_at is not None:
        _refuse("item_id", "There is no such item.")
    shape = SHAPE_OF_KIND.get(item.kind.value)
    if shape is None:
        _refuse("item_id", "Only services, event tickets and rooms are booked by time.")
    if db.session.scalar(select(BookableResource.id).where(BookableResource.item_id == item.id)) is not None:
        raise APIError("booking_resource_exists")
    resource = BookableResource(item_id=item.id, shape=shape, capacity=1, duration_minutes=60, step_minutes=60,
                                hours=EVERY_DAY_NINE_TO_SIX if shape == Shape.SLOT else [], staffed=False,
                                form_fields=[], min_stay=1, max_stay=30, weekend_price=None, seasons=[],
                                cancellation=[], deposit_percent=0, lead_minutes=0, horizon_days=90, active=True)
    db.session.add(resource)
    return update_resource(resource, **settings)


def update_resource(resource: BookableResource, **changes) -> BookableResource:
    for name, value in changes.items():
        setattr(resource, name, value)
    if resource.max_stay < resource.min_stay:
        _refuse("max_stay", "Not below the minimum stay.")
    if any(season["from"] > season["to"] for season in resource.seasons or []):
        _refuse("seasons", "A season ends on or after the day it begins.")
    resource.cancellation = sorted(resource.cancellation or [], key=lambda rule: -rule["hours_before"])
    db.session.flush()
    _shown_changed()
    return resource


def resources(*, shape: str | None = None, active_only: bool = False) -> list[BookableResource]:
    query = select(BookableResource).order_by(BookableResource.id)
    if shape is not None:
        query = query.where(BookableResource.shape == Shape(shape))
    if active_only:
        query = query.where(BookableResource.active)
    return list(db.session.scalars(query))


def on_sale(found: list[BookableResource]) -> list[tuple[BookableResource, Item, list]]:
    """The resources whose items are on sale, each with its item and SKUs (two queries)."""
    items = on_sale_by_ids([resource.item_id for resource in found])
    skus = skus_by_item(list(items))
    return [(resource, items[resource.item_id], skus[resource.item_id]) for resource in found
            if resource.item_id in items and skus[resource.item_id]]


def _of_shape(resource: BookableResource, shape: Shape, what: str) -> None:
    if resource.shape != shape:
        _refuse("resource_id", f"Only {what}.")


# -- sessions and quotas ----------------------------------------------------------------------

def _in_calendar(field: str, *moments: dt.datetime) -> None:
    """422 for a time no calendar of bookings has (year 1 or 9999 once in UTC)."""
    for moment in moments:
        try:
            fits = in_calendar(moment.astimezone(dt.UTC).date())
        except OverflowError:
            fits = False
        if not fits:
            _refuse(field, "Give a time between the years 2000 and 2199.")


def _session_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    _in_calendar("starts_at", starts_at, ends_at)
    if ends_at <= starts_at:
        _refuse("ends_at", "A session ends after it starts.")


def create_session(resource: BookableResource, *, starts_at: dt.datetime, ends_at: dt.datetime, place: str = "",
                   status: str = "on_sale") -> EventSession:
    _of_shape(resource, Shape.SESSION, "events have sessions")
    _session_times(starts_at, ends_at)
    session = EventSession(resource_id=resource.id, starts_at=starts_at, ends_at=ends_at, place=place,
                           status=SessionStatus(status))
    db.session.add(session)
    db.session.flush()
    _shown_changed()
    return session


def find_session(session_id: int) -> EventSession:
    session = EventSession.get(session_id)
    if session is None:
        raise APIError("booking_session_not_found")
    return session


def update_session(session: EventSession, **changes) -> EventSession:
    if "status" in changes:
        changes["status"] = SessionStatus(changes["status"])
    for name, value in changes.items():
        setattr(session, name, value)
    _session_times(session.starts_at, session.ends_at)
    db.session.flush()
    _shown_changed()
    return session


def _ticket_types(resource: BookableResource, sku_ids: list) -> list[str]:
    own = {sku.id for sku in skus_by_item([resource.item_id])[resource.item_id]}
    if not set(_int_ids(sku_ids)) <= own:
        _refuse("sku_ids", "Name ticket types (SKUs) of this event's item.")
    return sorted({str(sku_id) for sku_id in sku_ids})


def create_quota(resource: BookableResource, *, name: str, size: int, sku_ids: list,
                 session_id: object = None) -> TicketQuota:
    _of_shape(resource, Shape.SESSION, "events have quotas")
    if session_id is not None and find_session(int(session_id)).resource_id != resource.id:
        _refuse("session_id", "Name a session of this event.")
    quota = TicketQuota(resource_id=resource.id, name=name, size=size, sku_ids=_ticket_types(resource, sku_ids),
                        session_id=int(session_id) if session_id is not None else None)
    db.session.add(quota)
    db.session.flush()
    return quota


def find_quota(quota_id: int) -> TicketQuota:
    quota = TicketQuota.get(quota_id)
    if quota is None:
        raise APIError("booking_quota_not_found")
    return quota


def update_quota(quota: TicketQuota, **changes) -> TicketQuota:
    if "sku_ids" in changes:
        changes["sku_ids"] = _ticket_types(BookableResource.get(quota.resource_id), changes["sku_ids"])
    for name, value in changes.items():
        setattr(quota, name, value)
    db.session.flush()
    return quota


def quotas_of(resource: BookableResource) -> list[TicketQuota]:
    return list(db.session.scalars(select(TicketQuota).where(TicketQuota.resource_id == resource.id)
                                   .order_by(TicketQuota.id)))


# -- staff -------------------------------------------------------------------------------------

def _services(resource_ids: list) -> list[str]:
    ids = set(_int_ids(resource_ids))
    found = set(db.session.scalars(select(BookableResource.id).where(BookableResource.id.in_(ids),
                                                                     BookableResource.shape == Shape.SLOT)))
    if found != ids:
        _refuse("resource_ids", "Name bookable services of this shop.")
    return sorted(str(resource_id) for resource_id in ids)


def create_staff(*, name: str, **profile) -> BookingStaff:
    member = BookingStaff(name=name, phone="", photo="", bio="", qualifications=[], resource_ids=[],
                         hours=EVERY_DAY_NINE_TO_SIX, active=True)
    db.session.add(member)
    return update_staff(member, **profile)


def _account(account_id: object, member: BookingStaff) -> int | None:
    """A back-office staff account of the shop that no other staff profile serves as."""
    if account_id is None:
        return None
    account = StaffMember.get(int(account_id))
    if account is None:
        _refuse("account_id", "Name a staff account of this shop.")
    taken = db.session.scalar(select(BookingStaff.id).where(BookingStaff.user_id == account.id,
                                                            BookingStaff.id != member.id))
    if taken is not None:
        _refuse("account_id", "Another staff profile is linked to this account.")
    return account.id


def update_staff(member: BookingStaff, **changes) -> BookingStaff:
    if "resource_ids" in changes:
        changes["resource_ids"] = _services(changes["resource_ids"])
    if "account_id" in changes:
        changes["user_id"] = _account(changes.pop("account_id"), member)
    for name, value in changes.items():
        setattr(member, name, value)
    db.session.flush()
    _shown_changed()
    return member


def find_staff(staff_id: int) -> BookingStaff:
    member = BookingStaff.get(staff_id)
    if member is None:
        raise APIError("booking_staff_not_found")
    return member


def staff_list(*, active_only: bool = False) -> list[BookingStaff]:
    query = select(BookingStaff).order_by(BookingStaff.id)
    if active_only:
        query = query.where(BookingStaff.active)
    return list(db.session.scalars(query))


# -- blocks ------------------------------------------------------------------------------------

def create_block(*, starts_at: dt.datetime, ends_at: dt.datetime, resource_id: object = None, staff_id: object = None,
                 quantity: int | None = None, note: str = "") -> BookingBlock:
    """Take time out of sale: places of a resource (a closed date: all of them) or a staff
    member's time (a day off). Bookings already made keep their places."""
    _in_calendar("starts_at", starts_at, ends_at)
    if ends_at <= starts_at:
        _refuse("ends_at", "A block ends after it starts.")
    if (resource_id is None) == (staff_id is None):
        _refuse("resource_id", "Block a resource or a staff member.")
    if resource_id is not None and BookableResource.get(int(resource_id)) is None:
        raise APIError("booking_resource_not_found")
    if staff_id is not None:
        find_staff(int(staff_id))
    block = BookingBlock(resource_id=int(resource_id) if resource_id is not None else None,
                         staff_id=int(staff_id) if staff_id is not None else None, starts_at=starts_at,
                         ends_at=ends_at, quantity=quantity, note=note)
    db.session.add(block)
    db.session.flush()
    return block


def find_block(block_id: int) -> BookingBlock:
    block = BookingBlock.get(block_id)
    if block is None:
        raise APIError("booking_block_not_found")
    return block


def delete_block(block: BookingBlock) -> None:
    db.session.delete(block)
    db.session.flush()


def blocks_between(start: dt.datetime, end: dt.datetime) -> list[BookingBlock]:
    return list(db.session.scalars(select(BookingBlock).where(BookingBlock.starts_at < end,
                                                              BookingBlock.ends_at > start)
                                   .order_by(BookingBlock.starts_at)))


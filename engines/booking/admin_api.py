"""Booking in the Admin API (/admin/api/v1/booking, "booking.manage"): bookable resources (a
service's slots and hours, a room type's stays and prices, an event's form), an event's sessions
and ticket quotas, the staff, blocks (closed dates, a staff member's day off), the bookings of a
range and the availability as consumers see it — audited as the back office audits them."""

from __future__ import annotations

import datetime as dt

from flask import jsonify, request
from sqlalchemy import select

from core.admin_api import AdminAPIBlueprint, record_audit, staff_actor, writing
from core.api import load_json
from core.db import db, utcnow
from core.errors import APIError
from core.ids import parse_id
from core.media import resolve_media
from core.openapi import api_doc
from engines.booking.availability import (MAX_DAYS, availability_answer, date_range, day_bounds, find_resource,
                                          sessions_between)
from engines.booking.attendance import take_step
from engines.booking.bookings import find_booking
from engines.booking.desk import book_for_customer
from engines.booking.models import Booking, BookingStatus
from engines.booking.resources import (blocks_between, create_block, create_quota, create_resource, create_session,
                                       create_staff, delete_block, find_block, find_quota, find_session, find_staff,
                                       quotas_of, resources, staff_list, update_quota, update_resource, update_session,
                                       update_staff)
from engines.booking.schemas import (AvailabilityOut, AvailabilityQuery, BlockAnswer, BlockIn, BlockListOut, BlockOut,
                                     DeskBookingAnswer, DeskBookingIn, StepIn,
                                     QuotaAnswer, QuotaIn, QuotaListOut, QuotaOut, QuotaPatchIn, ResourceAnswer,
                                     ResourceIn, ResourceListOut, ResourceOut, ResourcePatchIn, SessionAnswer,
                                     SessionIn, SessionListOut, SessionOut, SessionPatchIn, StaffAnswer,
                                     StaffBookingAnswer, StaffBookingListOut, StaffBookingOut, StaffDetailOut, StaffIn, StaffListOut,
                                     StaffPatchIn)

bp = AdminAPIBlueprint("booking_admin_api", __name__, permission="booking.manage")
TAGS = ["booking"]


def _range() -> tuple[dt.datetime, dt.datetime]:
    """The request's from/to dates as the UTC instants bounding them in the shop's time zone."""
    return day_bounds(*date_range(request.args.get("from"), request.args.get("to")))


# -- resources ---------------------------------------------------------------------------------

@bp.get("/booking/resources")
@api_doc("The shop's bookable resources, active or not", tags=TAGS, response=ResourceListOut,
         query={"shape": "slot, session or night (default: all)"})
def list_resources():
    shape = request.args.get("shape")
    if shape not in (None, "slot", "session", "night"):
        raise APIError("invalid_input", fields={"shape": ["slot, session or night."]})
    return jsonify(resources=ResourceOut(many=True).dump(resources(shape=shape)))


@bp.post("/booking/resources")
@api_doc("Book a catalog item by time: a service by slots, an event's tickets by sessions, a room type by nights "
         "(its shape follows the item's kind)", tags=TAGS, body=ResourceIn, response=ResourceAnswer, status=201,
         errors=(409, 422))
def add_resource():
    data = load_json(ResourceIn)
    with writing():
        resource = create_resource(**data)
        record_audit("booking_resource.create", target=f"booking_resource {resource.id}",
                     details={"item_id": str(resource.item_id), "shape": resource.shape.value})
    return jsonify(resource=ResourceOut().dump(resource)), 201


@bp.get("/booking/resources/<int:resource_id>")
@api_doc("One bookable resource", tags=TAGS, response=ResourceAnswer, errors=(404,))
def get_resource(resource_id: int):
    return jsonify(resource=ResourceOut().dump(find_resource(resource_id)))


@bp.patch("/booking/resources/<int:resource_id>")
@api_doc("Change a resource's booking settings (active false stops new bookings; those made stay)", tags=TAGS,
         body=ResourcePatchIn, response=ResourceAnswer, errors=(404, 422))
def change_resource(resource_id: int):
    data = load_json(ResourcePatchIn)
    with writing():
        resource = update_resource(find_resource(resource_id), **data)
        record_audit("booking_resource.update", target=f"booking_resource {resource.id}",
                     details={"fields": sorted(data)})
    return jsonify(resource=ResourceOut().dump(resource))


# -- sessions and quotas ----------------------------------------------------------------------

@bp.get("/booking/resources/<int:resource_id>/sessions")
@api_doc("An event's sessions, in time order", tags=TAGS, response=SessionListOut, errors=(404,))
def list_sessions(resource_id: int):
    return jsonify(sessions=SessionOut(many=True).dump(sessions_between(find_resource(resource_id))))


@bp.post("/booking/resources/<int:resource_id>/sessions")
@api_doc("Add a session to an event", tags=TAGS, body=SessionIn, response=SessionAnswer, status=201, errors=(404, 422))
def add_session(resource_id: int):
    data = load_json(SessionIn)
    with writing():
        session = create_session(find_resource(resource_id), **data)
        record_audit("booking_session.create", target=f"booking_session {session.id}",
                     details={"starts_at": session.starts_at.isoformat()})
    return jsonify(session=SessionOut().dump(session)), 201


@bp.patch("/booking/sessions/<int:session_id>")
@api_doc("Change a session (status closed stops registrations; tickets held stay valid)", tags=TAGS,
         body=SessionPatchIn, response=SessionAnswer, errors=(404, 422))
def change_session(session_id: int):
    data = load_json(SessionPatchIn)
    with writing():
        session = update_session(find_session(session_id), **data)
        record_audit("booking_session.update", target=f"booking_session {session.id}", details={"fields": sorted(data)})
    return jsonify(session=SessionOut().dump(session))


@bp.get("/booking/resources/<int:resource_id>/quotas")
@api_doc("An event's ticket quotas", tags=TAGS, response=QuotaListOut, errors=(404,))
def list_quotas(resource_id: int):
    return jsonify(quotas=QuotaOut(many=True).dump(quotas_of(find_resource(resource_id))))


@bp.post("/booking/resources/<int:resource_id>/quotas")
@api_doc("Add a quota: so many tickets of some ticket types, for one session or each. A ticket type sells while every "
         "quota it is in has room; one in no quota does not sell", tags=TAGS, body=QuotaIn, response=QuotaAnswer,
         status=201, errors=(404, 422))
def add_quota(resource_id: int):
    data = load_json(QuotaIn)
    with writing():
        quota = create_quota(find_resource(resource_id), **data)
        record_audit("booking_quota.create", target=f"booking_quota {quota.id}", details={"size": quota.size})
    return jsonify(quota=QuotaOut().dump(quota)), 201


@bp.patch("/booking/quotas/<int:quota_id>")
@api_doc("Change a quota (a size below the tickets sold stops sales; none are taken back)", tags=TAGS,
         body=QuotaPatchIn, response=QuotaAnswer, errors=(404, 422))
def change_quota(quota_id: int):
    data = load_json(QuotaPatchIn)
    with writing():
        quota = update_quota(find_quota(quota_id), **data)
        record_audit("booking_quota.update", target=f"booking_quota {quota.id}", details={"fields": sorted(data)})
    return jsonify(quota=QuotaOut().dump(quota))


# -- staff -------------------------------------------------------------------------------------

@bp.get("/booking/staff")
@api_doc("The staff who serve bookings", tags=TAGS, response=StaffListOut)
def list_staff():
    return jsonify(staff=StaffDetailOut(many=True).dump(staff_list()))


@bp.post("/booking/staff")
@api_doc("Add a staff member: profile, qualifications, the services they do, weekly hours", tags=TAGS, body=StaffIn,
         response=StaffAnswer, status=201, errors=(422,))
def add_staff():
    data = load_json(StaffIn)
    with writing():
        member = create_staff(**data)
        record_audit("booking_staff.create", target=f"booking_staff {member.id}", details={"name": member.name})
    return jsonify(staff=StaffDetailOut().dump(member)), 201


@bp.patch("/booking/staff/<int:staff_id>")
@api_doc("Change a staff member (active false: no new bookings; theirs stay)", tags=TAGS, body=StaffPatchIn,
         response=StaffAnswer, errors=(404, 422))
def change_staff(staff_id: int):
    data = load_json(StaffPatchIn)
    with writing():
        member = update_staff(find_staff(staff_id), **data)
        record_audit("booking_staff.update", target=f"booking_staff {member.id}", details={"fields": sorted(data)})
    return jsonify(staff=StaffDetailOut().dump(member))


# -- blocks ------------------------------------------------------------------------------------

@bp.get("/booking/blocks")
@api_doc("The blocks over a range of dates (at most 62 days)", tags=TAGS, response=BlockListOut,
         query={"from": "YYYY-MM-DD", "to": "YYYY-MM-DD, inclusive"}, errors=(422,))
def list_blocks():
    return jsonify(blocks=BlockOut(many=True).dump(blocks_between(*_range())))


@bp.post("/booking/blocks")
@api_doc("Take time out of sale: places of a resource (quantity null: all — a closed date) or a staff member's time "
         "(a day off). Bookings already made keep their places", tags=TAGS, body=BlockIn, response=BlockAnswer,
         status=201, errors=(404, 422))
def add_block():
    data = load_json(BlockIn)
    with writing():
        block = create_block(**data)
        record_audit("booking_block.create", target=f"booking_block {block.id}",
                     details={"starts_at": block.starts_at.isoformat(), "ends_at": block.ends_at.isoformat()})
    return jsonify(block=BlockOut().dump(block)), 201


@bp.delete("/booking/blocks/<int:block_id>")
@api_doc("Remove a block: its time is on sale again", tags=TAGS, status=204, errors=(404,))
def remove_block(block_id: int):
    with writing():
        block = find_block(block_id)
        delete_block(block)
        record_audit("booking_block.delete", target=f"booking_block {block_id}")
    return "", 204


# -- bookings and availability ---------------------------------------------------------------

@bp.get("/booking/bookings")
@api_doc(f"The bookings starting over a range of dates (at most {MAX_DAYS} days), in time order", tags=TAGS,
         response=StaffBookingListOut, errors=(422,),
         query={"from": "YYYY-MM-DD", "to": "YYYY-MM-DD, inclusive", "resource_id": "Only this resource's",
                "staff_id": "Only this staff member's", "status": "Only in this status"})
def list_bookings():
    start, end = _range()
    query = select(Booking).where(Booking.starts_at >= start, Booking.starts_at < end).order_by(
        Booking.starts_at, Booking.id).limit(2000)
    for name, column in (("resource_id", Booking.resource_id), ("staff_id", Booking.staff_id)):
        if request.args.get(name):
            query = query.where(column == (parse_id(request.args[name]) or 0))
    if request.args.get("status"):
        if request.args["status"] not in {status.value for status in BookingStatus}:
            raise APIError("invalid_input", fields={"status": ["Not a booking status."]})
        query = query.where(Booking.status == BookingStatus(request.args["status"]))
    return jsonify(bookings=StaffBookingOut(many=True).dump(db.session.scalars(query)))


@bp.get("/booking/bookings/<int:booking_id>")
@api_doc("One booking", tags=TAGS, response=StaffBookingAnswer, errors=(404,))
def get_booking(booking_id: int):
    return jsonify(booking=StaffBookingOut().dump(find_booking(booking_id)))


@bp.post("/booking/bookings")
@api_doc("A booking the shop takes itself (at the desk, by phone): the line as the consumer checkout names it, the "
         "customer by phone (their account made when they have none), paid at the shop or left for them to pay. "
         "Booked as checkout books: 409 fully_booked when the place went meanwhile", tags=TAGS, body=DeskBookingIn,
         response=DeskBookingAnswer, status=201, errors=(404, 409, 422))
def take_booking():
    data = load_json(DeskBookingIn)
    with writing():
        booking, order, _customer = book_for_customer(
            line={"sku_id": data["sku_id"], "quantity": data["quantity"], "booking": data["booking"]},
            phone=data["phone"], name=data["name"], note=data["note"], paid_at_shop=data["paid_at_shop"],
            actor=staff_actor())
        record_audit("booking.create", target=f"booking {booking.id}",
                     details={"order": str(order.id), "paid_at_shop": data["paid_at_shop"]})
        answer = {"booking": StaffBookingOut().dump(booking), "order_id": str(order.id), "order_number": order.number}
    return jsonify(answer), 201


@bp.post("/booking/bookings/<int:booking_id>/steps")
@api_doc("Mark a step of the day: arrive (check in), complete (check out; the order completes when nothing of it is "
         "left to serve) or no_show, with photos of the shop's media. 409 once past that step, or too early (two "
         "hours before the start; a no-show from the start)", tags=TAGS, body=StepIn, response=StaffBookingAnswer,
         errors=(404, 409, 422))
def mark_step(booking_id: int):
    data = load_json(StepIn)
    if set(data["photos"]) - set(resolve_media(data["photos"])):
        raise APIError("invalid_input", fields={"photos": ["Name the shop's own media."]})
    with writing():
        booking = take_step(booking_id, data["step"], actor=staff_actor(), photos=data["photos"],
                            balance_paid=data["balance_paid"])
        record_audit(f"booking.{data['step']}", target=f"booking {booking.id}", details={"photos": len(data["photos"])})
        answer = {"booking": StaffBookingOut().dump(booking)}
    return jsonify(answer)


@bp.get("/booking/availability")
@api_doc("Availability as consumers see it (inactive resources too)", tags=TAGS, response=AvailabilityOut,
         query={"resource": "A resource's id", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD, inclusive",
                "staff_id": "Only this staff member's slots", "sku_id": "The room rate priced"}, errors=(404, 422))
def availability():
    query = AvailabilityQuery().load(request.args.to_dict())
    resource = find_resource(int(query["resource"]))
    first, last = date_range(query["from_"], query["to"])
    return jsonify(availability_answer(resource, first, last, utcnow(), staff_id=parse_id(query["staff_id"]),
                                       sku_id=parse_id(query["sku_id"])))

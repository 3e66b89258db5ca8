"""The consumer API of booking: what can be booked (/api/v1/booking/resources), one of them with
its SKUs, staff, form and rules, its availability over a range of dates
(/api/v1/booking/availability?resource=&from=&to=), and the consumer's bookings
(/api/v1/me/bookings). Booking itself is a checkout line naming its slot, session or dates
(POST /api/v1/checkout, engines.booking.holds)."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from core.api import api_blueprint, require_consumer_id
from core.db import db, utcnow
from core.errors import APIError
from core.ids import parse_id
from core.media import resolve_media
from core.money import Money
from core.openapi import api_doc
from core.paging import page_arguments
from core.tenancy import current_tenant
from engines.booking.availability import availability_answer, date_range, find_resource, sessions_between, staff_of
from engines.booking.bookings import bookings_of, cancel_booking, find_booking
from engines.booking.models import BookableResource, BookingStaff, Shape
from engines.booking.resources import on_sale, resources
from engines.booking.schemas import (AvailabilityOut, AvailabilityQuery, BookableAnswer, BookableListOut, BookingAnswer,
                                     BookingCancelledOut, BookingOut, BookingPageOut, PublicStaffOut, SessionOut)
from engines.catalog.services import item_names
from engines.orders.services import AfterSaleOut

bp = api_blueprint("booking_api", __name__)
_BOOKING = BookingOut()


def _thumbnail(pictures: dict, ref: str) -> str:
    return pictures.get(ref, {}).get("thumbnail", "")


def _bookable(resource: BookableResource, item, skus: list, pictures: dict) -> dict:
    currency = current_tenant().currency
    return {"id": str(resource.id), "item_id": str(item.id), "shape": resource.shape.value, "name": item.name,
            "subtitle": item.subtitle, "image": _thumbnail(pictures, (item.images or [""])[0]),
            "price_from": Money(min(sku.price for sku in skus), currency).to_json(),
            "duration_minutes": resource.duration_minutes, "capacity": resource.capacity}


@bp.get("/booking/resources")
@api_doc("What can be booked: services (shape slot), events (session) and room types (night), in the shop's order",
         tags=["booking"], response=BookableListOut, query={"shape": "slot, session or night (default: all)"})
def bookables():
    shape = request.args.get("shape")
    if shape is not None and shape not in {s.value for s in Shape}:
        raise APIError("invalid_input", fields={"shape": ["slot, session or night."]})
    found = on_sale(resources(shape=shape, active_only=True))
    pictures = resolve_media([(item.images or [""])[0] for _, item, _ in found])
    return jsonify(resources=[_bookable(resource, item, skus, pictures) for resource, item, skus in found])


@bp.get("/booking/resources/<int:resource_id>")
@api_doc("One bookable service, event or room type: its SKUs (ticket types, grades, rates), the staff who may serve "
         "it, its registration form, its cancellation rules and an event's sessions to come", tags=["booking"],
         response=BookableAnswer, errors=(404,))
def bookable(resource_id: int):
    resource = find_resource(resource_id)
    found = on_sale([resource]) if resource.active else []
    if not found:
        raise APIError("booking_resource_not_found")
    _, item, skus = found[0]
    staff = staff_of(resource.id) if resource.staffed else []
    pictures = resolve_media([*(item.images or []), *(member.photo for member in staff),
                              *(q.get("image", "") for member in staff for q in member.qualifications or [])])
    currency = current_tenant().currency
    answer = _bookable(resource, item, skus, pictures)
    now = utcnow()
    answer.update(
        description=item.description, images=[pictures[ref]["url"] for ref in item.images or [] if ref in pictures],
        skus=[{"id": str(sku.id), "options": sku.options or {}, "price": Money(sku.price, currency).to_json()}
              for sku in skus],
        staffed=resource.staffed,
        staff=[{**PublicStaffOut().dump(member), "photo": _thumbnail(pictures, member.photo),
                "qualifications": [{**q, "image": pictures.get(q.get("image", ""), {}).get("url", "")}
                                   for q in member.qualifications or []]} for member in staff],
        form_fields=resource.form_fields, cancellation=resource.cancellation,
        deposit_percent=resource.deposit_percent, min_stay=resource.min_stay,
        max_stay=resource.max_stay,
        sessions=SessionOut(many=True).dump([session for session in sessions_between(resource)
                                             if session.ends_at > now][:50]))
    return jsonify(resource=answer)


@bp.get("/booking/availability")
@api_doc("What is free to book between two dates (at most 62 days): a service's slots and the places left (staffed: "
         "the staff free to serve each), an event's sessions and the tickets left of each type, a room type's nights "
         "with the rooms left and each night's price", tags=["booking"], response=AvailabilityOut,
         query={"resource": "A bookable resource's id", "from": "The first date (YYYY-MM-DD, the shop's time zone)",
                "to": "The last date, inclusive", "staff_id": "Only this staff member's slots (staffed services)",
                "sku_id": "The room rate whose nights are priced (default: the first)"}, errors=(404, 422))
def availability():
    query = AvailabilityQuery().load(request.args.to_dict())
    resource = find_resource(int(query["resource"]))
    if not resource.active or not on_sale([resource]):
        raise APIError("booking_resource_not_found")
    first, last = date_range(query["from_"], query["to"])
    return jsonify(availability_answer(resource, first, last, utcnow(), staff_id=parse_id(query["staff_id"]),
                                       sku_id=parse_id(query["sku_id"])))


@bp.get("/me/bookings")
@api_doc("The consumer's bookings, newest first", tags=["booking"], response=BookingPageOut, auth=True,
         query={"status": "upcoming (still to come) or past (done, cancelled, or over); default: all",
                "limit": "1 to 50 (default 20)", "cursor": "next_cursor of the previous page"})
def my_bookings():
    consumer_id = require_consumer_id()
    limit, before = page_arguments()
    status = request.args.get("status")
    if status not in (None, "upcoming", "past"):
        raise APIError("invalid_input", fields={"status": ["upcoming or past."]})
    found, next_cursor = bookings_of(consumer_id, upcoming=None if status is None else status == "upcoming",
                                     before=before, limit=limit)
    return jsonify(bookings=_named(found), next_cursor=str(next_cursor) if next_cursor else None)


@bp.get("/me/bookings/<int:booking_id>")
@api_doc("One of the consumer's bookings", tags=["booking"], response=BookingAnswer, auth=True, errors=(404,))
def my_booking(booking_id: int):
    return jsonify(booking=_named([find_booking(booking_id, consumer_id=require_consumer_id())])[0])


def _named(found: list) -> list[dict]:
    """Bookings as the consumer API shows them, each with the name of what was booked, who serves
    it and the photos staff took of the work (arrival, completion: the customer sees them) — one
    query each for the resources, the names, the staff and the photos."""
    items = dict(db.session.execute(select(BookableResource.id, BookableResource.item_id).where(
        BookableResource.id.in_({b.resource_id for b in found}))).all()) if found else {}
    names = item_names(list(items.values()))
    staff_ids = {b.staff_id for b in found if b.staff_id}
    served_by = dict(db.session.execute(select(BookingStaff.id, BookingStaff.name).where(
        BookingStaff.id.in_(staff_ids))).all()) if staff_ids else {}
    pictures = resolve_media([photo["media"] for b in found for photo in b.photos or []])
    return [{**_BOOKING.dump(b), "name": names.get(items.get(b.resource_id), ""),
             "staff_name": served_by.get(b.staff_id, ""),
             "photos": [{"stage": photo["stage"], "at": photo["at"], "url": pictures[photo["media"]]["url"],
                         "thumbnail": pictures[photo["media"]]["thumbnail"]}
                        for photo in b.photos or [] if photo["media"] in pictures]} for b in found]


@bp.post("/me/bookings/<int:booking_id>/cancel")
@api_doc("Cancel a paid booking before it starts: its places are refunded by the shop's cancellation rules (the share "
         "for how long before the start it is cancelled), the refund approved at once", tags=["booking"],
         response=BookingCancelledOut, auth=True, errors=(404, 409))
def cancel_my_booking(booking_id: int):
    consumer_id = require_consumer_id()
    booking, after_sale = cancel_booking(find_booking(booking_id, consumer_id=consumer_id, for_update=True),
                                         consumer_id=consumer_id)
    answer = {"booking": _named([booking])[0], "after_sale": AfterSaleOut().dump(after_sale)}
    db.session.commit()
    return jsonify(answer)

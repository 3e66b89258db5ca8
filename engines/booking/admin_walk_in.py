"""A booking the shop takes itself — a customer at the desk or on the phone — at
/merchant/booking/new: what (a service, an event, a room type), then when (a free time of a day
and who serves, a session and a ticket type with the registration answers, or the dates and
guests), who (a phone number) and whether it was paid at the shop; booked by
engines.booking.desk. Audited; refusals said on the form, nothing written."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from core.backoffice import record_staff_action
from core.db import db, utcnow
from core.errors import APIError
from core.staff_session import permission_required, staff_actor
from engines.booking.admin import MANAGE, bp, chosen_day
from engines.booking.availability import local_today, sessions_between, session_open, slots, staff_of, tickets_left, zone
from engines.booking.models import BookableResource, Shape
from engines.booking.resources import on_sale, resources
from engines.booking.desk import book_for_customer


def _chosen(found: list) -> tuple | None:
    """The resource the form is about (`resource` of the query or the form), with its item and SKUs."""
    wanted = (request.values.get("resource") or "").strip()
    return next((entry for entry in found if str(entry[0].id) == wanted), None)


def _choices(entry: tuple, day: dt.date) -> dict:
    """What the form offers for the chosen resource: a day's free times and the staff who do the
    service, the sessions taking registrations with the tickets left, or the room type's rates."""
    resource, item, skus = entry
    now = utcnow()
    offered: dict = {"skus": [(str(sku.id), " / ".join((sku.options or {}).values()) or item.name) for sku in skus]}
    if resource.shape == Shape.SLOT:
        free = slots(resource, day, day, now)[day]
        offered["times"] = [(slot.start.isoformat(), f"{slot.start.astimezone(zone()):%H:%M}", slot.left)
                            for slot in free if slot.left > 0]
        offered["staff"] = [(str(member.id), member.name) for member in staff_of(resource.id)] if resource.staffed else []
    elif resource.shape == Shape.SESSION:
        sessions = [session for session in sessions_between(resource) if session_open(session, resource, now)]
        left = tickets_left(resource, sessions)
        offered["sessions"] = [(str(session.id), f"{session.starts_at.astimezone(zone()):%Y-%m-%d %H:%M}"
                                f"{' · ' + session.place if session.place else ''}",
                                {str(sku): count for sku, count in left[session.id].items()}) for session in sessions]
    return offered


def _line(resource: BookableResource, form) -> dict:
    """The checkout line the form asks for, as the consumer API's."""
    quantity = form.get("quantity") or "1"
    line = {"sku_id": form.get("sku_id", ""), "quantity": int(quantity) if quantity.isdigit() else 0}
    if resource.shape == Shape.SLOT:
        line["booking"] = {"start": form.get("start", "")}
        if form.get("staff_id"):
            line["booking"]["staff_id"] = form["staff_id"]
    elif resource.shape == Shape.SESSION:
        line["booking"] = {"session_id": form.get("session_id", ""), "answers": {
            field["key"]: form.get(f"answer_{field['key']}", "") for field in resource.form_fields or []}}
    else:
        guests = form.get("guests", "1")
        line["booking"] = {"from": form.get("from", ""), "to": form.get("to", ""),
                           "guests": int(guests) if guests.isdigit() else 0}
    return line


def _page(found: list, entry: tuple | None, values: dict, errors: dict, status: int = 200):
    day = chosen_day(values.get("day"), local_today(utcnow()))
    return render_template("booking/walk_in.html", bookable=[(r.id, item.name) for r, item, _skus in found],
                           entry=entry, offered=_choices(entry, day) if entry else {}, day=day, values=values,
                           errors=errors), status


@bp.get("/new")
@permission_required(MANAGE)
def walk_in():
    found = on_sale(resources(active_only=True))
    return _page(found, _chosen(found), request.args.to_dict(), {})


@bp.post("/new")
@permission_required(MANAGE)
def walk_in_save():
    found = on_sale(resources(active_only=True))
    entry = _chosen(found)
    values = request.form.to_dict()
    if entry is None:
        return _page(found, None, values, {"resource": _("Choose what is booked.")}, 422)
    paid = bool(request.form.get("paid"))
    try:
        booking, order, customer = book_for_customer(
            line=_line(entry[0], request.form), phone=request.form.get("phone", ""),
            name=request.form.get("name", ""), note=request.form.get("note", ""), paid_at_shop=paid,
            actor=staff_actor())
    except APIError as error:
        db.session.rollback()
        said = {name.split(".")[-1]: " ".join(str(m) for m in messages)
                for name, messages in (error.fields or {}).items()}
        return _page(found, entry, values, said or {"form": error.message}, error.status)
    record_staff_action("booking.create", f"booking {booking.id}", {"order": str(order.id), "paid_at_shop": paid})
    db.session.commit()
    flash(_("Booked for %(phone)s: order %(number)s.", phone=customer.phone, number=order.number), "success")
    return redirect(url_for("booking_admin.booking", booking_id=booking.id))

"""The booking back office under /merchant/booking: the schedule (a day or a week of bookings by
staff member, the blocks beside them, a block made or lifted from the same page), the rooms' month
(rooms left each night), the bookings list and one booking's page, where staff mark arrival,
completion or a no-show with photos. Staff who serve bookings ("booking.serve") see their own day on
a phone at /merchant/booking/mine and mark their own work there. Every write goes through the
engine (engines.booking.attendance, .resources) and is audited as the Admin API audits it."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.backoffice import record_staff_action
from core.consumers import Consumer
from core.db import db, utcnow
from core.errors import APIError
from core.forms import ConfirmForm
from core.media import resolve_media, upload_media
from core.money import Money
from core.spreadsheets import neutralise
from core.staff_session import permission_required, staff_actor
from engines.booking.attendance import MOST_PHOTOS, STEPS, step_label, step_names, take_step
from engines.booking.availability import in_calendar, local_today, nights_left, zone
from engines.booking.bookings import find_booking
from engines.booking.models import Booking, BookingStaff, BookingStatus, Shape
from engines.booking.resources import blocks_between, create_block, delete_block, find_block, resources, staff_list
from engines.catalog.services import item_names
from engines.orders.services import find_order

bp = Blueprint("booking_admin", __name__, url_prefix="/merchant/booking", template_folder="templates")

MANAGE, SERVE = "booking.manage", "booking.serve"
SHOWN = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED,
         BookingStatus.NO_SHOW)
STATUS_LABELS = {"held": _l("Awaiting payment"), "confirmed": _l("Confirmed"), "in_progress": _l("In progress"),
                 "completed": _l("Completed"), "no_show": _l("No-show"), "cancelled": _l("Cancelled")}
STATUS_COLOURS = {"held": "yellow", "confirmed": "blue", "in_progress": "purple", "completed": "green",
                  "no_show": "red", "cancelled": "secondary"}
MOST_LISTED = 200


# -- reading -----------------------------------------------------------------------------------------

def chosen_day(value: str | None, default: dt.date) -> dt.date:
    """A date of the query (`?date=`), else `default` — also for one no calendar page can show."""
    try:
        day = dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if in_calendar(day) else default


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(zone())


def _bounds(first: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    where = zone()
    return (dt.datetime.combine(first, dt.time(), where),
            dt.datetime.combine(first + dt.timedelta(days=days), dt.time(), where))


class Facts:
    """What a page of bookings shows beside them, read in one query each: the names of what was
    booked, of who serves it, and of who booked it."""

    def __init__(self, bookings: list[Booking]):
        listed = {r.id: r for r in resources()}
        self.resources = listed
        self.names = item_names([r.item_id for r in listed.values()])
        self.staff = {s.id: s for s in staff_list()}
        consumer_ids = {b.consumer_id for b in bookings if b.consumer_id}
        self.consumers = {c.id: c for c in db.session.scalars(
            select(Consumer).where(Consumer.id.in_(consumer_ids)))} if consumer_ids else {}

    def what(self, booking: Booking) -> str:
        resource = self.resources.get(booking.resource_id)
        return self.names.get(resource.item_id, "—") if resource else "—"

    def shape(self, booking: Booking) -> Shape:
        resource = self.resources.get(booking.resource_id)
        return resource.shape if resource else Shape.SLOT

    def who(self, booking: Booking) -> str:
        """The person to meet: the address's or the form's name and phone, else the account's."""
        for source in (booking.address or {}, booking.answers or {}):
            if source.get("name"):
                return " · ".join(str(part) for part in (source.get("name"), source.get("phone")) if part)
        consumer = self.consumers.get(booking.consumer_id)
        if consumer is None:
            return _("Walk-in")
        return consumer.name or consumer.phone or consumer.email or _("Consumer")

    def server(self, booking: Booking) -> str:
        member = self.staff.get(booking.staff_id)
        return member.name if member else ""

    def when(self, booking: Booking) -> str:
        if booking.first_night is not None:
            return _("%(first)s to %(last)s (%(nights)s nights)", first=booking.first_night.isoformat(),
                     last=(booking.last_night + dt.timedelta(days=1)).isoformat(),
                     nights=(booking.last_night - booking.first_night).days + 1)
        start, end = _local(booking.starts_at), _local(booking.ends_at)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def _between(start: dt.datetime, end: dt.datetime, *, statuses=SHOWN, staff_id: int | None = None) -> list[Booking]:
    query = (select(Booking).where(Booking.starts_at < end, Booking.ends_at > start, Booking.status.in_(statuses))
             .order_by(Booking.starts_at, Booking.id).limit(MOST_LISTED))
    if staff_id is not None:
        query = query.where(Booking.staff_id == staff_id)
    return list(db.session.scalars(query))


def _words() -> dict:
    return {"status": lambda status: str(STATUS_LABELS[status.value]), "colour": lambda s: STATUS_COLOURS[s.value],
            "step": step_label, "time": lambda m: f"{_local(m):%H:%M}", "date": lambda m: f"{_local(m):%Y-%m-%d %H:%M}"}


# -- the schedule --------------------------------------------------------------------------------------

@bp.get("/")
@permission_required(MANAGE)
def schedule():
    """A day or a week of bookings and blocks, a row per staff member (then what nobody serves)."""
    view = "week" if request.args.get("view") == "week" else "day"
    today = local_today(utcnow())
    first = chosen_day(request.args.get("date"), today)
    if view == "week":
        first -= dt.timedelta(days=first.weekday())
    days = [first + dt.timedelta(days=n) for n in range(7 if view == "week" else 1)]
    start, end = _bounds(first, len(days))
    found = _between(start, end)
    facts = Facts(found)
    blocks = blocks_between(start, end)
    rows = [(member.id, member.name) for member in facts.staff.values() if member.active]
    if any(b.staff_id is None for b in found) or any(b.resource_id for b in blocks):
        rows.append((None, _("Not assigned to anyone")))
    cells: dict[tuple[int | None, dt.date], list] = {}
    for booking in found:
        cells.setdefault((booking.staff_id, _local(booking.starts_at).date()), []).append(("booking", booking))
    for block in blocks:
        for day in days:
            day_start, day_end = _bounds(day, 1)
            if block.starts_at < day_end and block.ends_at > day_start:
                cells.setdefault((block.staff_id, day), []).append(("block", block))
    step = dt.timedelta(days=len(days))
    return render_template("booking/schedule.html", view=view, days=days, today=today, rows=rows, cells=cells,
                           facts=facts, words=_words(), previous=first - step, following=first + step,
                           staff=[m for m in facts.staff.values() if m.active],
                           bookable=[(r.id, facts.names.get(r.item_id, "—")) for r in facts.resources.values()],
                           block_form=ConfirmForm())


def local_moment(day: str, clock: str, field: str) -> dt.datetime:
    try:
        date = dt.date.fromisoformat(day)
        if not in_calendar(date):
            raise ValueError(day)
        return dt.datetime.combine(date, dt.time.fromisoformat(clock or "00:00"), zone())
    except ValueError:
        raise APIError("invalid_input", fields={field: [_("Give a date and a time, e.g. 2030-06-01 and 09:00.")]}) from None


@bp.post("/blocks")
@permission_required(MANAGE)
def add_block():
    """Close a staff member's time (a day off) or a resource's places (a closed date) — from the
    schedule's form; a wrong field is said back on the schedule, nothing saved."""
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    form = request.form
    back = url_for(".schedule", date=form.get("from_day") or None, view=form.get("view") or None)
    target = form.get("target", "")
    kind, _sep, target_id = target.partition(":")
    try:
        if kind not in ("staff", "resource") or not target_id.isdigit():
            raise APIError("invalid_input", fields={"target": [_("Choose whom or what to close.")]})
        starts_at = local_moment(form.get("from_day", ""), form.get("from_time", ""), "from")
        ends_at = local_moment(form.get("to_day", ""), form.get("to_time", ""), "to")
        block = create_block(starts_at=starts_at, ends_at=ends_at, note=(form.get("note") or "").strip()[:200],
                             **{f"{kind}_id": int(target_id)})
    except APIError as error:
        db.session.rollback()
        messages = [m for ms in error.fields.values() for m in ms] or [error.message]
        flash(_("Nothing was closed: %(why)s", why=" ".join(messages)), "danger")
        return redirect(back)
    record_staff_action("booking_block.create", f"booking_block {block.id}",
                        {"resource_id": block.resource_id, "staff_id": block.staff_id})
    db.session.commit()
    flash(_("Closed from %(start)s to %(end)s.", start=f"{_local(block.starts_at):%Y-%m-%d %H:%M}",
            end=f"{_local(block.ends_at):%Y-%m-%d %H:%M}"), "success")
    return redirect(back)


@bp.post("/blocks/<int:block_id>/delete")
@permission_required(MANAGE)
def remove_block(block_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    try:
        block = find_block(block_id)
    except APIError:
        abort(404, description=_("There is no such block."))
    day = _local(block.starts_at).date().isoformat()
    record_staff_action("booking_block.delete", f"booking_block {block.id}", {})
    delete_block(block)
    db.session.commit()
    flash(_("Open again."), "success")
    return redirect(url_for(".schedule", date=day, view=request.form.get("view") or None))


# -- the rooms' month -----------------------------------------------------------------------------------

@bp.get("/rooms")
@permission_required(MANAGE)
def rooms():
    """Each room type's rooms left each night of a month."""
    today = local_today(utcnow())
    first = chosen_day(f"{request.args['month']}-01" if request.args.get("month") else None, today).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    listed = [r for r in resources(shape=Shape.NIGHT.value)]
    names = item_names([r.item_id for r in listed])
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    grid = [(resource, names.get(resource.item_id, "—"), nights_left(resource, first, last)) for resource in listed]
    return render_template("booking/rooms.html", days=days, grid=grid, today=today, month=first,
                           previous=(first - dt.timedelta(days=1)).replace(day=1), following=last + dt.timedelta(days=1))


# -- bookings -------------------------------------------------------------------------------------------

def _filtered(*, limit: int | None) -> tuple[list[Booking], dict]:
    """The bookings the list's filters choose — from a day on (today by default), of a status and a
    resource if chosen — by start; and the filters as read."""
    first = chosen_day(request.args.get("from"), local_today(utcnow()))
    query = select(Booking).where(Booking.ends_at > _bounds(first, 0)[0]).order_by(Booking.starts_at, Booking.id)
    status = request.args.get("status", "")
    if status in STATUS_LABELS:
        query = query.where(Booking.status == BookingStatus(status))
    resource = request.args.get("resource", "")
    if resource.isdigit():
        query = query.where(Booking.resource_id == int(resource))
    found = list(db.session.scalars(query.limit(limit) if limit else query))
    return found, {"first": first, "status": status, "resource": resource}


@bp.get("/bookings")
@permission_required(MANAGE)
def bookings():
    found, chosen = _filtered(limit=MOST_LISTED)
    facts = Facts(found)
    return render_template("booking/bookings.html", bookings=found, facts=facts, words=_words(), **chosen,
                           statuses=STATUS_LABELS, most=MOST_LISTED,
                           bookable=[(r.id, facts.names.get(r.item_id, "—")) for r in facts.resources.values()])


@bp.get("/bookings.csv")
@permission_required(MANAGE)
def bookings_csv():
    """The same bookings as CSV, all of them (an event's registrant list for its organiser): when,
    what, who, places, status, the staff member, the address and each registration answer."""
    found, chosen = _filtered(limit=None)
    facts = Facts(found)
    keys = sorted({key for booking in found for key in (booking.answers or {})})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["booking", "order", "when", "what", "who", "places", "status", "served_by", "address",
                     *(f"answer:{key}" for key in keys)])
    for booking in found:
        address = booking.address or {}
        writer.writerow(map(neutralise, [
            str(booking.id), str(booking.order_id), facts.when(booking), facts.what(booking), facts.who(booking),
            str(booking.quantity - booking.refunded_quantity), booking.status.value, facts.server(booking),
            " ".join(str(address.get(part, "")) for part in ("region", "line")).strip(),
            *(str((booking.answers or {}).get(key, "")) for key in keys)]))
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={g.shop.slug}-bookings-{chosen['first'].isoformat()}.csv"})


def _booking_page(booking_id: int, *, staff_id: int | None = None, mine: bool = False):
    try:
        booking = find_booking(booking_id)
    except APIError:
        abort(404, description=_("There is no such booking."))
    if staff_id is not None and booking.staff_id != staff_id:
        abort(404, description=_("There is no such booking."))
    facts = Facts([booking])
    photos = resolve_media([p["media"] for p in booking.photos])
    order = find_order(booking.order_id)
    balance = Money(order.balance_due, order.currency).format() if order.balance_due else None
    return render_template("booking/booking.html", booking=booking, facts=facts, words=_words(), order=order,
                           balance=balance, steps=step_names(booking), photos=photos, action_form=ConfirmForm(),
                           mine=mine)


@bp.get("/bookings/<int:booking_id>")
@permission_required(MANAGE)
def booking(booking_id: int):
    return _booking_page(booking_id)


def _photos() -> list[str]:
    """The photos sent with a step, stored as the shop's media (each checked as an image; too many:
    none stored)."""
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(files) > MOST_PHOTOS:
        raise APIError("invalid_input", fields={"photos": [_("At most %(most)s photos.", most=MOST_PHOTOS)]})
    return [f"media:{upload_media(data=f.read(), filename=f.filename).id}" for f in files]


def _step(booking_id: int, name: str, *, staff_id: int | None, then: str):
    if name not in STEPS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    try:
        # locked first: the photos are stored only for a step that is then taken (else its refusal)
        booking = find_booking(booking_id, for_update=True)
        may = name in step_names(booking) and staff_id in (None, booking.staff_id)
        booking = take_step(booking_id, name, actor=staff_actor(), photos=_photos() if may else [],
                            staff_id=staff_id, balance_paid=bool(request.form.get("balance_paid")))
    except APIError as error:
        db.session.rollback()
        if error.code == "booking_not_found":
            abort(404, description=_("There is no such booking."))
        messages = [m for ms in error.fields.values() for m in ms] or [error.message]
        flash(" ".join(messages), "danger")
        return redirect(url_for(then, booking_id=booking_id))
    record_staff_action(f"booking.{name}", f"booking {booking.id}", {"photos": len(booking.photos)})
    db.session.commit()
    flash(_("Marked: %(step)s.", step=step_label(name, Facts([booking]).shape(booking))), "success")
    return redirect(url_for(then, booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/<name>")
@permission_required(MANAGE)
def booking_step(booking_id: int, name: str):
    return _step(booking_id, name, staff_id=None, then=".booking")


# -- the staff member's own day (a phone page) -------------------------------------------------------------

def _me() -> BookingStaff | None:
    return db.session.scalar(select(BookingStaff).where(BookingStaff.user_id == g.staff.id))


@bp.get("/mine")
@permission_required(SERVE)
def mine():
    """The signed-in staff member's bookings of today and the next six days."""
    me = _me()
    today = local_today(utcnow())
    found = _between(*_bounds(today, 7), staff_id=me.id) if me else []
    days: dict[dt.date, list[Booking]] = {}
    for row in found:
        days.setdefault(_local(row.starts_at).date(), []).append(row)
    return render_template("booking/mine.html", me=me, days=days, today=today, facts=Facts(found), words=_words(),
                           steps={row.id: step_names(row) for row in found}, action_form=ConfirmForm())


@bp.get("/mine/<int:booking_id>")
@permission_required(SERVE)
def my_booking(booking_id: int):
    me = _me()
    return _booking_page(booking_id, staff_id=me.id if me else -1, mine=True)


@bp.post("/mine/<int:booking_id>/<name>")
@permission_required(SERVE)
def my_step(booking_id: int, name: str):
    me = _me()
    return _step(booking_id, name, staff_id=me.id if me else -1, then=".my_booking")


from engines.booking import admin_staff  # noqa: E402,F401  the staff pages, on bp
from engines.booking import admin_resources  # noqa: E402,F401  the pages of what is booked, on bp
from engines.booking import admin_walk_in  # noqa: E402,F401  a booking the shop takes itself, on bp

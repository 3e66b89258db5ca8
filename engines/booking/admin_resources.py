"""What customers book, in the back office (on engines.booking.admin's `bp`): the services, rooms
and events that are booked by time, listed with their places, hours and cancellation rules, and a
form to make an item bookable or change how it is booked — a service's places a slot, length, step,
weekly opening hours and whether each booking takes a staff member; a room type's rooms, stays and
weekend price and season prices; an event's registration form (what each ticket holder is asked);
for all, how long ahead it may be booked and the refunds by time before the start. An event's
sessions and ticket quotas are added below its form. The form is read with the Admin API's schema
and saved through the same service; saves are audited."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from core.backoffice import record_staff_action
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.money import Money, MoneyError
from core.staff_session import permission_required
from engines.booking.admin import MANAGE, bp, local_moment
from engines.booking.admin_staff import day_names, field_messages, week_posted, week_shown
from engines.booking.availability import find_resource, sessions_between, tickets_left, zone
from engines.booking.models import SHAPE_OF_KIND, BookableResource, Shape
from engines.booking.resources import (create_quota, create_resource, create_session, quotas_of, resources,
                                      update_resource)
from engines.booking.schemas import ResourceIn, ResourcePatchIn
from engines.catalog.services import item_names, items_of_kinds, skus_by_item

RULES = 3  # cancellation rules on the form
SEASONS = 4  # a room type's season rows on the form
FIELDS = 6  # an event's registration questions on the form
FIELD_TYPES = ("text", "phone", "email", "number", "choice")


def _whole(name: str, errors: dict, message: str) -> int | None:
    text = request.form.get(name, "").strip()
    if text.isdigit() and len(text) <= 7:
        return int(text)
    errors[name] = message
    return None


def _posted(shape: Shape, errors: dict) -> dict:
    """The form in the Admin API's shape; what cannot be read goes into `errors`, by field."""
    form = request.form
    data: dict = {"active": bool(form.get("active"))}
    data["lead_minutes"] = (_whole("lead_hours", errors, _("Whole hours, e.g. 2; 0 for none.")) or 0) * 60
    data["horizon_days"] = _whole("horizon_days", errors, _("Whole days, e.g. 60."))
    data["capacity"] = _whole("capacity", errors, _("A whole number, e.g. 2."))
    deposit = form.get("deposit_percent", "").strip() or "0"  # blank: paid in full
    if deposit.isdigit() and int(deposit) <= 99:
        data["deposit_percent"] = int(deposit)
    else:
        errors["deposit_percent"] = _("A percentage from 0 to 99, e.g. 30.")
    if shape == Shape.SLOT:
        data["duration_minutes"] = _whole("duration_minutes", errors, _("Minutes, e.g. 120."))
        data["step_minutes"] = _whole("step_minutes", errors, _("Minutes, e.g. 30."))
        data["staffed"] = bool(form.get("staffed"))
        data["hours"] = week_posted(form)
    if shape == Shape.NIGHT:
        data["min_stay"] = _whole("min_stay", errors, _("Nights, e.g. 1."))
        data["max_stay"] = _whole("max_stay", errors, _("Nights, e.g. 14."))
        weekend = form.get("weekend_price", "").strip().replace(",", "")
        try:
            data["weekend_price"] = Money.parse(weekend, g.shop.currency).amount if weekend else None
        except MoneyError:
            errors["weekend_price"] = _("A price such as 520.00; blank for the room's price.")
        data["seasons"] = _seasons_posted(errors)
    if shape == Shape.SESSION:
        data["form_fields"] = _questions_posted(errors)
    rules = []
    for number in range(RULES):
        hours, percent = form.get(f"rule{number}_hours", "").strip(), form.get(f"rule{number}_percent", "").strip()
        if not hours and not percent:
            continue
        if not (hours.isdigit() and percent.isdigit() and int(percent) <= 100 and len(hours) <= 5):
            errors["cancellation"] = _("Each rule: whole hours before the start and a refund of 0 to 100%.")
            continue
        rules.append({"hours_before": int(hours), "refund_percent": int(percent)})
    data["cancellation"] = rules
    return {name: value for name, value in data.items() if name not in errors}


def _money(text: str) -> int | None:
    """A price as typed (520.00), in minor units; None when blank; MoneyError when not a price."""
    text = text.strip().replace(",", "")
    return Money.parse(text, g.shop.currency).amount if text else None


def _seasons_posted(errors: dict) -> list[dict]:
    """The season rows filled in: from, to (dates, inclusive), the price and a weekend price."""
    seasons = []
    for number in range(SEASONS):
        row = {part: request.form.get(f"season{number}_{part}", "").strip() for part in ("from", "to", "price", "weekend")}
        if not any(row.values()):
            continue
        try:
            price, weekend = _money(row["price"]), _money(row["weekend"])
        except MoneyError:
            price = weekend = None
        if not (row["from"] and row["to"] and price is not None):
            errors["seasons"] = _("Each season: the first and the last night, and a price such as 580.00.")
            continue
        seasons.append({"from": row["from"], "to": row["to"], "price": price, "weekend_price": weekend})
    return seasons


def _questions_posted(errors: dict) -> list[dict]:
    """The registration questions filled in, each keeping its key (new ones get the next free
    `q<n>`): the answers already given stay attached to their question when its label changes."""
    questions, keys = [], set()
    for number in range(FIELDS):
        label = request.form.get(f"question{number}_label", "").strip()
        if not label:
            continue
        kind = request.form.get(f"question{number}_type", "text")
        choices = [c.strip() for c in request.form.get(f"question{number}_choices", "").split(",") if c.strip()]
        if kind not in FIELD_TYPES or (kind == "choice" and not choices):
            errors["form_fields"] = _("A question of choices lists them, separated by commas.")
            continue
        key = request.form.get(f"question{number}_key", "").strip()
        if not key or key in keys:
            key = next(f"q{n}" for n in range(1, FIELDS * 4) if f"q{n}" not in keys and
                       f"q{n}" not in {request.form.get(f"question{i}_key", "") for i in range(FIELDS)})
        keys.add(key)
        questions.append({"key": key, "label": label[:60], "type": kind,
                          "required": bool(request.form.get(f"question{number}_required")),
                          "choices": choices if kind == "choice" else []})
    return questions


def _shown(resource: BookableResource | None, shape: Shape) -> dict:
    """The form's values as saved (a new service: weekdays 09:00 to 18:00, one place, an hour)."""
    if request.method == "POST":
        form = request.form
        values = {name: form.get(name, "") for name in form}
        values["hours"] = week_shown(week_posted(form))
        values["active"], values["staffed"] = bool(form.get("active")), bool(form.get("staffed"))
        return values
    if resource is None:
        return {"capacity": "1", "duration_minutes": "60", "step_minutes": "60", "staffed": False, "active": True,
                "hours": [[["09:00", "18:00"]]] * 5 + [[], []], "lead_hours": "0", "horizon_days": "90",
                "min_stay": "1", "max_stay": "30", "weekend_price": "", "deposit_percent": "0"}
    values = {"capacity": str(resource.capacity), "duration_minutes": str(resource.duration_minutes),
              "step_minutes": str(resource.step_minutes), "staffed": resource.staffed, "active": resource.active,
              "hours": week_shown(resource.hours) if shape == Shape.SLOT else [[]] * 7,
              "lead_hours": str(resource.lead_minutes // 60), "horizon_days": str(resource.horizon_days),
              "deposit_percent": str(resource.deposit_percent),
              "min_stay": str(resource.min_stay), "max_stay": str(resource.max_stay),
              "weekend_price": f"{Money(resource.weekend_price, g.shop.currency).to_decimal():f}"
              if resource.weekend_price is not None else ""}
    for number, rule in enumerate(resource.cancellation[:RULES]):
        values[f"rule{number}_hours"], values[f"rule{number}_percent"] = (str(rule["hours_before"]),
                                                                         str(rule["refund_percent"]))
    shown = lambda amount: f"{Money(amount, g.shop.currency).to_decimal():f}" if amount is not None else ""  # noqa: E731
    for number, season in enumerate((resource.seasons or [])[:SEASONS]):
        values.update({f"season{number}_from": season["from"], f"season{number}_to": season["to"],
                       f"season{number}_price": shown(season["price"]),
                       f"season{number}_weekend": shown(season.get("weekend_price"))})
    for number, question in enumerate((resource.form_fields or [])[:FIELDS]):
        values.update({f"question{number}_key": question["key"], f"question{number}_label": question["label"],
                       f"question{number}_type": question.get("type", "text"),
                       f"question{number}_required": question.get("required", False),
                       f"question{number}_choices": ", ".join(question.get("choices", []))})
    return values


@bp.get("/resources")
@permission_required(MANAGE)
def bookables():
    listed = resources()
    return render_template("booking/resources.html", resources=listed, names=item_names([r.item_id for r in listed]),
                           day_names=day_names())


@bp.route("/resources/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_bookable():
    taken = {r.item_id for r in resources()}
    kinds = items_of_kinds(list(SHAPE_OF_KIND))
    choices = [(item_id, name, kind) for item_id, name, kind in kinds if item_id not in taken]
    chosen = next((c for c in choices if str(c[0]) == request.values.get("item_id", "")), None)
    if chosen is None:  # first, which item
        return (render_template("booking/resource_pick.html", choices=choices, any_items=bool(kinds)),
                400 if request.method == "POST" else 200)
    return _resource_form(None, chosen[0], chosen[1], SHAPE_OF_KIND[chosen[2]])


@bp.route("/resources/<int:resource_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_bookable(resource_id: int):
    try:
        resource = find_resource(resource_id)
    except APIError:
        abort(404, description=_("There is no such service, room or event."))
    return _resource_form(resource, resource.item_id, item_names([resource.item_id]).get(resource.item_id, "—"),
                          resource.shape)


def _resource_form(resource: BookableResource | None, item_id: int, name: str, shape: Shape):
    errors: dict[str, str] = {}
    if request.method == "POST" and request.form.get("save"):
        if not ConfirmForm().validate_on_submit():
            abort(400, description=_("The form expired; reload the page and try again."))
        data = _posted(shape, errors)
        try:
            data = (ResourcePatchIn if resource else ResourceIn)().load(
                data if resource else {**data, "item_id": str(item_id)})
        except ValidationError as error:
            errors.update({k: v for k, v in field_messages(error).items() if k not in errors})
        if not errors:
            try:
                saved = update_resource(resource, **data) if resource else create_resource(**data)
            except APIError as error:
                db.session.rollback()
                errors.update(field_messages(error) or {"capacity": error.message})
            else:
                record_staff_action("booking_resource.update" if resource else "booking_resource.create",
                                    f"booking_resource {saved.id}", {"item_id": str(saved.item_id)})
                db.session.commit()
                flash(_("%(name)s: booking saved.", name=name), "success")
                return redirect(url_for(".bookables"))
    event = {}
    if resource is not None and shape == Shape.SESSION:
        sessions = sessions_between(resource)
        where = zone()
        event = {"sessions": sessions, "left": tickets_left(resource, sessions), "quotas": quotas_of(resource),
                 "types": ticket_types(resource),
                 "when": {s.id: f"{s.starts_at.astimezone(where):%Y-%m-%d %H:%M}–{s.ends_at.astimezone(where):%H:%M}"
                          for s in sessions}}
    return render_template("booking/resource_form.html", resource=resource, item_id=item_id, name=name, shape=shape,
                           values=_shown(resource, shape), errors=errors, day_names=day_names(), rules=range(RULES),
                           seasons=range(SEASONS), questions=range(FIELDS), field_types=_field_types(),
                           action_form=ConfirmForm(), event=event), 400 if errors else 200


def _field_types() -> list[tuple[str, str]]:
    return [("text", _("Text")), ("phone", _("Phone")), ("email", _("Email")), ("number", _("Number")),
            ("choice", _("Choice"))]


# -- an event's sessions and ticket quotas ---------------------------------------------------------

def _event(resource_id: int) -> BookableResource:
    try:
        resource = find_resource(resource_id)
    except APIError:
        abort(404, description=_("There is no such service, room or event."))
    if resource.shape != Shape.SESSION:
        abort(404, description=_("Only events have sessions and ticket quotas."))
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    return resource


def ticket_types(resource: BookableResource) -> list[tuple[int, str]]:
    """An event's ticket types: its item's SKUs, named by their options (Standard, VIP)."""
    skus = skus_by_item([resource.item_id])[resource.item_id]
    return [(sku.id, " / ".join(str(value) for value in (sku.options or {}).values()) or _("Ticket")) for sku in skus]


def _refused(error: APIError) -> None:
    db.session.rollback()
    flash(" ".join(message for messages in error.fields.values() for message in messages) or error.message, "danger")


@bp.post("/resources/<int:resource_id>/sessions")
@permission_required(MANAGE)
def add_session(resource_id: int):
    """A session of an event: its day, start and end time, and place; a wrong field is said back."""
    resource = _event(resource_id)
    form = request.form
    try:
        session = create_session(resource, starts_at=local_moment(form.get("day", ""), form.get("starts", ""), "starts_at"),
                                 ends_at=local_moment(form.get("day", ""), form.get("ends", ""), "ends_at"),
                                 place=form.get("place", "").strip()[:200])
    except APIError as error:
        _refused(error)
    else:
        record_staff_action("booking_session.create", f"booking_session {session.id}", {"resource_id": str(resource.id)})
        db.session.commit()
        flash(_("Session added."), "success")
    return redirect(url_for(".edit_bookable", resource_id=resource.id, _anchor="sessions"))


@bp.post("/resources/<int:resource_id>/quotas")
@permission_required(MANAGE)
def add_quota(resource_id: int):
    """A ticket quota of an event (every session's): a name, how many, and the ticket types it counts."""
    resource = _event(resource_id)
    form = request.form
    size = form.get("size", "").strip()
    try:
        if not (size.isdigit() and len(size) <= 6):
            raise APIError("invalid_input", fields={"size": [_("How many tickets: a whole number, e.g. 200.")]})
        name = form.get("name", "").strip()
        if not 1 <= len(name) <= 60:
            raise APIError("invalid_input", fields={"name": [_("Give the quota a name, e.g. Hall.")]})
        sku_ids = form.getlist("sku_ids")
        if not sku_ids:
            raise APIError("invalid_input", fields={"sku_ids": [_("Choose the ticket types it counts.")]})
        quota = create_quota(resource, name=name, size=int(size), sku_ids=sku_ids)
    except APIError as error:
        _refused(error)
    else:
        record_staff_action("booking_quota.create", f"booking_quota {quota.id}", {"resource_id": str(resource.id)})
        db.session.commit()
        flash(_("Quota %(name)s added.", name=quota.name), "success")
    return redirect(url_for(".edit_bookable", resource_id=resource.id, _anchor="quotas"))

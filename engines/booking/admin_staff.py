"""The booking staff pages of the back office (on engines.booking.admin's `bp`): the people who
serve bookings listed with their services, hours and linked account, and a form to add or change
one — profile and photo, the services they do, their weekly hours, verified qualifications shown
to customers (each with a photo of the certificate), and the back-office account that sees their
schedule. The form is read with the Admin API's schema and saved through the same service, so a
wrong field is named beside it and nothing is written (the photos are stored only once the rest
is accepted); saves are audited as the Admin API's are."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from core.backoffice import record_staff_action
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.media import resolve_media, upload_media
from core.identities import Identity, StaffMember
from core.staff_session import permission_required
from engines.booking.admin import MANAGE, bp
from engines.booking.models import BookingStaff, Shape
from engines.booking.resources import create_staff, find_staff, resources, staff_list, update_staff
from engines.booking.schemas import StaffIn
from engines.catalog.services import item_names



def week_posted(form) -> list[list]:
    """Weekly hours as a form of seven rows sends them (day<n>_works, _from, _to), Monday first;
    a day closing at 23:59 closes at midnight (a time field cannot say 24:00)."""
    def closing(value: str) -> str:
        return "24:00" if value == "23:59" else value

    return [[[form.get(f"day{day}_from", ""), closing(form.get(f"day{day}_to", ""))]] if form.get(f"day{day}_works")
            else [] for day in range(7)]


def week_shown(hours: list) -> list[list]:
    """Weekly hours as the form's time fields show them (midnight as 23:59)."""
    return [[[opens, "23:59" if closes == "24:00" else closes] for opens, closes in day] for day in hours]


def day_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
MOST_QUALIFICATIONS = 10
SPARE_QUALIFICATIONS = 2  # empty rows on the form beyond those saved


def _plain() -> dict[str, str]:
    """The form's own words for the schema's refusals of a field."""
    return {"name": _("Give their name (up to 60 characters)."),
            "phone": _("A phone number of 6 to 15 digits, e.g. 13800138000."),
            "hours": _("Each working day opens before it closes, e.g. 09:00 to 18:00.")}


def _services() -> list[tuple[int, str]]:
    slots = resources(shape=Shape.SLOT.value)
    names = item_names([r.item_id for r in slots])
    return [(r.id, names.get(r.item_id, "—")) for r in slots]


def _accounts() -> list[tuple[int, str]]:
    return [(member.id, identity.email) for member, identity in db.session.execute(
        select(StaffMember, Identity).join(Identity, Identity.id == StaffMember.identity_id).order_by(Identity.email))]


def _posted() -> dict:
    """What the form says, in the Admin API's shape. A qualification row keeps the certificate
    photo it showed (`qualification<n>_kept`: a reference the schema checks; a file sent with the
    row replaces it, see `_with_photos`)."""
    form = request.form
    qualifications = [{"name": name, "image": form.get(f"qualification{number}_kept", ""), "verified": True,
                       "row": number}
                      for number in range(MOST_QUALIFICATIONS)
                      if (name := form.get(f"qualification{number}_name", "").strip())]
    return {"name": form.get("name", "").strip(), "phone": form.get("phone", "").strip(),
            "bio": form.get("bio", "").strip(), "resource_ids": form.getlist("resource_ids"),
            "hours": week_posted(form), "qualifications": qualifications,
            "account_id": form.get("account_id") or None, "active": bool(form.get("active"))}


def _sent(name: str):
    found = request.files.get(name)
    return found if found and found.filename else None


def _with_photos(data: dict, errors: dict) -> dict:
    """The photos sent with the form stored as the shop's media: the staff member's (`photo`) and
    each qualification row's certificate (`qualification<n>_image`); one that is not an image is
    named beside its field."""
    try:
        if (photo := _sent("photo")) is not None:
            data["photo"] = f"media:{upload_media(data=photo.read(), filename=photo.filename, alt=data['name']).id}"
    except APIError:
        errors["photo"] = _("A photo in PNG, JPEG, GIF or WebP, at most 5 MB.")
    for qualification in data.get("qualifications", []):
        row = qualification.pop("row")
        if (image := _sent(f"qualification{row}_image")) is not None:
            try:
                qualification["image"] = f"media:{upload_media(data=image.read(), filename=image.filename, alt=qualification['name']).id}"
            except APIError:
                errors[f"qualification{row}"] = _("A photo in PNG, JPEG, GIF or WebP, at most 5 MB.")
    return data


def _rows(qualifications: list[dict]) -> list[dict]:
    """The qualification rows the form shows: those saved or sent, then empty ones (three rows at least)."""
    count = min(MOST_QUALIFICATIONS, max(3, len(qualifications) + SPARE_QUALIFICATIONS))
    return [qualifications[number] if number < len(qualifications) else {"name": "", "image": ""}
            for number in range(count)]


def _shown(member: BookingStaff | None) -> dict:
    """The form's values of a staff member as saved (a new one: weekdays 09:00 to 18:00)."""
    if member is None:
        return {"name": "", "phone": "", "bio": "", "resource_ids": [], "qualifications": _rows([]), "account_id": "",
                "active": True, "hours": [[["09:00", "18:00"]]] * 5 + [[], []], "photo": ""}
    return {"name": member.name, "phone": member.phone, "bio": member.bio, "resource_ids": list(member.resource_ids),
            "qualifications": _rows(member.qualifications), "photo": member.photo,
            "account_id": str(member.user_id or ""), "active": member.active, "hours": week_shown(member.hours)}


def field_messages(error: ValidationError | APIError) -> dict[str, str]:
    fields = error.messages if isinstance(error, ValidationError) else error.fields
    out = {}
    for name, messages in fields.items():
        flat = messages if isinstance(messages, list) else [str(messages)]
        out[name.split(".")[0]] = " ".join(str(m) for m in flat if isinstance(m, str)) or _("Check this field.")
    return out


@bp.get("/staff")
@permission_required(MANAGE)
def staff():
    services = dict(_services())
    accounts = dict(_accounts())
    return render_template("booking/staff.html", staff=staff_list(), services=services, accounts=accounts,
                           day_names=day_names())


@bp.route("/staff/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_staff():
    return _staff_form(None)


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_staff(staff_id: int):
    try:
        member = find_staff(staff_id)
    except APIError:
        abort(404, description=_("There is no such staff member."))
    return _staff_form(member)


def _staff_form(member: BookingStaff | None):
    errors: dict[str, str] = {}
    values = _shown(member)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400, description=_("The form expired; reload the page and try again."))
        posted = _posted()
        values = {**posted, "qualifications": _rows([{"name": q["name"], "image": q["image"]}
                                                    for q in posted["qualifications"]]),
                  "photo": member.photo if member else "", "account_id": posted["account_id"] or "",
                  "hours": week_shown(posted["hours"])}
        try:
            StaffIn().load({**posted, "qualifications": [{k: v for k, v in q.items() if k != "row"}
                                                          for q in posted["qualifications"]]})
        except ValidationError as error:
            errors.update(field_messages(error))
            errors.update({name: message for name, message in _plain().items() if name in errors})
        if not errors:
            data = StaffIn().load(_with_photos(posted, errors))
        if not errors:
            try:
                saved = update_staff(member, **data) if member else create_staff(**data)
            except APIError as error:
                db.session.rollback()
                errors.update(field_messages(error) or {"name": error.message})
            else:
                record_staff_action("booking_staff.update" if member else "booking_staff.create",
                                    f"booking_staff {saved.id}", {"name": saved.name})
                db.session.commit()
                flash(_("%(name)s saved.", name=saved.name), "success")
                return redirect(url_for(".staff"))
        db.session.rollback()  # photos stored for a form then refused are not kept
    pictures = resolve_media([values["photo"], *(q["image"] for q in values["qualifications"])])
    return render_template("booking/staff_form.html", member=member, values=values, errors=errors,
                           services=_services(), accounts=_accounts(), day_names=day_names(), pictures=pictures,
                           action_form=ConfirmForm()), 400 if errors else 200

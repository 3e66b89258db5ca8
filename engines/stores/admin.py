"""/merchant/stores: the shop's stores (address, coordinates, hours, pickup, same-city delivery
bands) and their dining tables with printable QR codes. "stores.manage" (managers)."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.db import db
from core.errors import APIError
from core.backoffice import record_staff_action, save_form
from core.forms import ConfirmForm
from core.money import Money, MoneyError
from core.staff_session import permission_required
from engines.stores.models import Store
from engines.stores.services import (add_table, create_store, format_bands, parse_bands, remove_table, tables_of,
                                     update_store)

bp = Blueprint("stores_admin", __name__, url_prefix="/merchant/stores", template_folder="templates")

MANAGE = "stores.manage"


class StoreForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=20)])
    hours = StringField(_l("Opening hours"), validators=[Length(max=80)])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    pickup = BooleanField(_l("Customers may pick up orders here"), default=True)
    delivery_bands = TextAreaField(_l("Same-city delivery fees"), validators=[Length(max=400)],
                                   description=_l("Distance bands, e.g. 3 km: 5.00, 8 km: 12.00 — nothing beyond the "
                                                  "last band. Needs the coordinates."))
    delivery_minimum = StringField(_l("Minimum order for delivery"), default="0")
    active = BooleanField(_l("Open"), default=True)


class TableForm(FlaskForm):
    name = StringField(_l("Table"), validators=[DataRequired(), Length(max=20)])
    seats = IntegerField(_l("Seats"), default=4, validators=[NumberRange(1, 100)])


def _store(store_id: int) -> Store:
    store = db.session.get(Store, (g.shop.id, store_id))
    if store is None:
        abort(404)
    return store


def _values(form: StoreForm) -> dict:
    try:
        minimum = Money.parse(form.delivery_minimum.data or "0", g.shop.currency).amount
    except MoneyError:
        raise APIError("invalid_input", fields={"delivery_minimum": [_("Enter an amount such as 20.00.")]}) from None
    return {"name": form.name.data, "address": form.address.data or "", "phone": form.phone.data or "",
            "hours": form.hours.data or "", "latitude": form.latitude.data, "longitude": form.longitude.data,
            "pickup": form.pickup.data, "delivery_minimum": minimum,
            "delivery_bands": parse_bands(form.delivery_bands.data or "", g.shop.currency)}


@bp.get("/")
@permission_required(MANAGE)
def index():
    stores = list(db.session.scalars(db.select(Store).order_by(Store.id)))
    return render_template("stores/index.html", stores=stores, bands=lambda s: format_bands(s.delivery_bands,
                                                                                           g.shop.currency))


@bp.route("/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new():
    form = StoreForm()
    if form.validate_on_submit():
        done = save_form(form, lambda: create_store(**_values(form)),
                         audit_as=lambda store: ("store.create", f"store {store.id}", {"name": store.name}),
                         saved=_("Store added."), then=lambda store: url_for(".edit", store_id=store.id))
        if done:
            return done
    return render_template("stores/edit.html", form=form, store=None), 400 if form.errors else 200


@bp.route("/<int:store_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit(store_id: int):
    store = _store(store_id)
    form = StoreForm(obj=store) if request.method == "GET" else StoreForm()
    if request.method == "GET":
        form.delivery_bands.data = format_bands(store.delivery_bands, g.shop.currency)
        form.delivery_minimum.data = str(Money(store.delivery_minimum, g.shop.currency).to_decimal())
    elif form.validate_on_submit():
        done = save_form(form, lambda: update_store(store, **_values(form), active=form.active.data),
                         audit_as=lambda store: ("store.update", f"store {store.id}", {"name": store.name}),
                         saved=_("Store saved."), then=lambda store: url_for(".edit", store_id=store.id))
        if done:
            return done
    return render_template("stores/edit.html", form=form, store=store, tables=tables_of(store.id),
                           table_form=TableForm(), remove_form=ConfirmForm()), 400 if form.errors else 200


@bp.post("/<int:store_id>/tables")
@permission_required(MANAGE)
def tables(store_id: int):
    store = _store(store_id)
    form = TableForm()
    if not form.validate_on_submit():
        flash(" ".join(m for ms in form.errors.values() for m in ms), "danger")
        return redirect(url_for(".edit", store_id=store.id))
    try:
        table = add_table(store_id=store.id, name=form.name.data, seats=form.seats.data)
    except APIError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for(".edit", store_id=store.id))
    record_staff_action("table.create", f"table {table.id}", {"store": store.name, "name": table.name})
    db.session.commit()
    flash(_("Table added."), "success")
    return redirect(url_for(".edit", store_id=store.id))


@bp.post("/<int:store_id>/tables/<int:table_id>/remove")
@permission_required(MANAGE)
def delete_table(store_id: int, table_id: int):
    store = _store(store_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove_table(table_id)
    except APIError:
        abort(404)
    record_staff_action("table.remove", f"table {table_id}", {"store": store.name})
    db.session.commit()
    flash(_("Table removed."), "success")
    return redirect(url_for(".edit", store_id=store.id))


@bp.get("/<int:store_id>/qr")
@permission_required(MANAGE)
def table_codes(store_id: int):
    """A printable sheet: one QR code per table, opening the shop with the table's code."""
    store = _store(store_id)
    base = request.host_url.rstrip("/") + f"/s/{g.shop.slug}/"
    sheets = [{"table": table, "url": f"{base}?table={table.code}",
               "svg": segno.make(f"{base}?table={table.code}", error="m").svg_inline(scale=5, border=2)}
              for table in tables_of(store.id)]
    return render_template("stores/qr.html", store=store, sheets=sheets, shop=g.shop)


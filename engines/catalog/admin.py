"""/merchant/catalog: items, SKUs, categories, bulk on/off sale, CSV import and export. Every view
checks "catalog.manage"; every write is audited."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.db import db
from core.errors import APIError
from core.backoffice import record_staff_action, save_form
from core.forms import ConfirmForm
from core.ids import parse_id
from core.media import resolve_media
from core.money import Money, MoneyError
from core.staff_session import permission_required
from engines.catalog.csv_io import export_csv, import_csv, parse_options
from engines.catalog.models import Category, Item
from engines.catalog.services import (MAX_STOCK, create_category, create_item, delete_item, list_for_staff,
                                      set_status, skus_by_item, update_item, update_sku)

bp = Blueprint("catalog_admin", __name__, url_prefix="/merchant/catalog", template_folder="templates")

MANAGE = "catalog.manage"

KINDS = [("physical", _l("Physical product")), ("dish", _l("Dish")), ("service", _l("Service")), ("virtual", _l("Virtual")),
         ("room", _l("Room type")), ("ticket", _l("Event ticket"))]
KIND_LABELS = dict(KINDS)  # what staff read where an item's kind is shown
MAX_IMAGES = 9  # as the service allows
STATUSES = [("draft", _l("Draft")), ("on_sale", _l("On sale")), ("off_sale", _l("Off sale"))]


def _categories() -> list[tuple[str, str]]:
    rows = list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.name)))
    names = {c.id: c.name for c in rows}
    return [("", _("No category"))] + [(str(c.id), f"{names.get(c.parent_id)} / {c.name}" if c.parent_id else c.name)
                                       for c in rows]


def _top_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.parent_id.is_(None))
                                   .order_by(Category.sort_order, Category.name)))


def _parents() -> list[tuple[str, str]]:
    return [("", _("Top level"))] + [(str(c.id), c.name) for c in _top_categories()]


class ItemForm(FlaskForm):
    # Choices are callables: WTForms 3.3 deprecates plain tuple lists.
    kind = SelectField(_l("Kind"), choices=lambda: KINDS, default="physical")
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    subtitle = StringField(_l("Selling point"), validators=[Length(max=200)])
    category_id = SelectField(_l("Category"), choices=lambda: _categories())
    status = SelectField(_l("Status"), choices=lambda: STATUSES, default="on_sale")
    # The item form draws these two as a picture picker and a rich-text editor (core/macros.html);
    # what they post is still text: media references, and HTML the service sanitises.
    images = StringField(_l("Images"), validators=[Length(max=2000)],
                         description=_l("Media references (media:<id>) or https addresses, separated by spaces"))
    description = TextAreaField(_l("Description"),
                                description=_l("Headings, lists and links are kept; other formatting is removed."))
    options = StringField(_l("Options"), validators=[Length(max=500)],
                          description=_l("Physical products: Size:S|M;Colour:Red|Blue makes one variant per combination"))
    price = StringField(_l("Price"), description=_l("In major units, e.g. 12.50; every variant starts at it"))
    stock = IntegerField(_l("Stock"), default=0, validators=[Optional(), NumberRange(min=0, max=MAX_STOCK)])
    sku_code = StringField(_l("Code (SKU)"), validators=[Length(max=64)])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    parent_id = SelectField(_l("Under"), choices=lambda: _parents())


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"))


def _picture_field(form: ItemForm) -> dict:
    """What the item form's picture field needs: the media library's addresses (the designer's
    endpoints, which catalog staff may use) and the thumbnails of the pictures already chosen."""
    refs = [ref for ref in (form.images.data or "").split()  # as typed: only well-formed references are looked up
            if ref.startswith("https://") or (ref.startswith("media:") and parse_id(ref[6:]) is not None)]
    thumbnails = {ref: media["thumbnail"] for ref, media in resolve_media(refs).items()}
    return {"urls": {"list": url_for("designer.media"), "upload": url_for("designer.upload")},
            "thumbnails": thumbnails, "limit": MAX_IMAGES}


def _price(text: str) -> int:
    """A price typed in major units, in minor units from 0 to MAX_PRICE (core.money.MAX_TYPED; the
    message is on `price`)."""
    try:
        amount = Money.parse(text or "", g.shop.currency).amount
    except MoneyError as error:
        raise APIError("invalid_input", fields={"price": [str(error)]}) from None
    if amount < 0:
        raise APIError("invalid_input", fields={"price": [_("A price is zero or more.")]})
    return amount  # Money.parse refuses more than MAX_PRICE


def _stock(text: str | None) -> int:
    """A variant's stock as typed: ASCII digits, else -1 (which update_sku refuses, as it does a
    number beyond the column)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else -1


@bp.get("/")
@permission_required(MANAGE)
def index():
    status = request.args.get("status") or None
    category = parse_id(request.args.get("category"))
    query = request.args.get("q", "").strip()[:60]
    rows, next_cursor = list_for_staff(status=status, category_id=category, query=query or None,
                                       before=parse_id(request.args.get("before")))
    skus = skus_by_item([i.id for i in rows])
    return render_template("catalog/index.html", items=rows, skus=skus, status=status, category=category, query=query,
                           next_cursor=next_cursor, categories=_categories(), statuses=STATUSES,
                           action_form=ConfirmForm(), import_form=ImportForm(), currency=g.shop.currency, Money=Money,
                           kinds=KIND_LABELS)


@bp.post("/bulk")
@permission_required(MANAGE)
def bulk():
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    status = request.form.get("status")
    ids = [i for i in map(parse_id, request.form.getlist("item_id")) if i is not None]
    if status not in ("on_sale", "off_sale") or not ids:
        flash(_("Tick some items, then choose on sale or off sale."), "warning")
        return redirect(url_for(".index"))
    changed = set_status(item_ids=ids, status=status)
    record_staff_action("item.bulk_status", f"{len(ids)} items", {"status": status, "changed": changed})
    db.session.commit()
    flash(_("%(n)s item(s) changed.", n=changed), "success")
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new():
    form = ItemForm()
    if form.validate_on_submit():
        done = save_form(form, lambda: create_item(
            kind=form.kind.data, name=form.name.data, subtitle=form.subtitle.data or "",
            description=form.description.data or "", images=(form.images.data or "").split(),
            category_id=int(form.category_id.data) if form.category_id.data else None, status=form.status.data,
            price=_price(form.price.data), stock=form.stock.data or 0, options=_options(form.options.data),
            sku_code=form.sku_code.data or None),
            audit_as=lambda item: ("item.create", f"item {item.id}", {"name": item.name}), saved=_("Item saved."),
            then=lambda item: url_for(".edit", item_id=item.id))
        if done:
            return done
    return render_template("catalog/item_new.html", form=form, pictures=_picture_field(form)), \
        400 if form.errors or form.form_errors else 200


def _options(text: str) -> list:
    try:
        return parse_options(text or "")
    except ValueError as error:
        raise APIError("invalid_input", fields={"options": [str(error)]}) from None


@bp.route("/<int:item_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit(item_id: int):
    item = Item.get(item_id)
    if item is None or item.deleted_at is not None:
        abort(404)
    skus = skus_by_item([item.id])[item.id]
    # The fields as people read and type them (no `obj=`: WTForms would take the item's list of
    # images over these, show "[]" and refuse it on the next save).
    form = ItemForm(data={"kind": item.kind.value, "name": item.name, "subtitle": item.subtitle,
                          "category_id": str(item.category_id or ""), "status": item.status.value,
                          "images": " ".join(item.images), "description": item.description})
    sku_errors: dict[str, dict] = {}
    if form.validate_on_submit():
        def save():
            update_item(item, name=form.name.data, subtitle=form.subtitle.data or "",
                        description=form.description.data or "", images=(form.images.data or "").split(),
                        category_id=int(form.category_id.data) if form.category_id.data else None,
                        status=form.status.data)
            for sku in skus:
                try:
                    update_sku(sku, price=_price(request.form.get(f"price_{sku.id}", "")),
                               stock=_stock(request.form.get(f"stock_{sku.id}")), code=request.form.get(f"code_{sku.id}"))
                except APIError as error:
                    sku_errors[str(sku.id)] = error.fields
            if sku_errors:
                raise APIError("invalid_input", "Some variants are not valid.")
            return item

        done = save_form(form, save, audit_as=lambda item: ("item.update", f"item {item.id}", {"name": item.name}),
                         saved=_("Item saved."), then=lambda item: url_for(".edit", item_id=item.id))
        if done:
            return done
    return render_template("catalog/item_edit.html", form=form, item=item, skus=skus, sku_errors=sku_errors,
                           currency=g.shop.currency, Money=Money, action_form=ConfirmForm(), kinds=KIND_LABELS,
                           pictures=_picture_field(form)), \
        400 if form.errors or form.form_errors or sku_errors else 200


@bp.post("/<int:item_id>/delete")
@permission_required(MANAGE)
def delete(item_id: int):
    item = Item.get(item_id)
    if item is None or not ConfirmForm().validate_on_submit():
        abort(404 if item is None else 400)
    delete_item(item)
    record_staff_action("item.delete", f"item {item.id}", {"name": item.name})
    db.session.commit()
    flash(_("Item deleted."), "success")
    return redirect(url_for(".index"))


@bp.route("/categories", methods=["GET", "POST"])
@permission_required(MANAGE)
def categories():
    form = CategoryForm()
    tops = _top_categories()
    if form.validate_on_submit():
        done = save_form(form, lambda: create_category(
            name=form.name.data, parent_id=int(form.parent_id.data) if form.parent_id.data else None),
            audit_as=lambda category: ("category.create", f"category {category.id}", {"name": category.name}),
            saved=_("Category added."), then=lambda category: url_for(".categories"))
        if done:
            return done
    children = list(db.session.scalars(select(Category).where(Category.parent_id.is_not(None)).order_by(Category.name)))
    return render_template("catalog/categories.html", form=form, tops=tops, children=children), 400 if form.errors else 200


@bp.get("/export.csv")
@permission_required(MANAGE)
def export():
    return Response(export_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={g.shop.slug}-catalog.csv"})


@bp.post("/import")
@permission_required(MANAGE)
def upload():
    form = ImportForm()
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a CSV file to import."), "warning")
        return redirect(url_for(".index"))
    try:
        items = import_csv(form.file.data.read().decode("utf-8-sig"))
    except (APIError, UnicodeDecodeError) as error:
        db.session.rollback()
        details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in getattr(error, "fields", {}).items())
        flash((getattr(error, "message", None) or _("The file is not UTF-8 text.")) + (f" {details}" if details else ""),
              "danger")
        return redirect(url_for(".index"))
    record_staff_action("catalog.import", f"{len(items)} items")
    db.session.commit()
    flash(_("%(n)s item(s) imported.", n=len(items)), "success")
    return redirect(url_for(".index"))

"""CSV import and export of the catalog. An import validates every row first and writes nothing
when any row is bad, reporting each bad row by its line number.

The export is opened in spreadsheets: a cell starting with =, +, -, @, a tab or a carriage return
would run as a formula there (OWASP's CSV injection), so it gets a leading single quote, which
the import takes off again (a negative number is never legitimate in a catalog, so a leading "-"
is always text)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from core.db import db
from core.errors import APIError
from core.money import Money, MoneyError
from core.spreadsheets import neutralise, restore
from core.tenancy import current_tenant
from engines.catalog.models import Category, Item, ItemKind, ItemStatus, Sku
from engines.catalog.services import MAX_STOCK, category_path, create_item

REQUIRED = ["name", "category", "kind", "price", "stock"]
OPTIONAL = ["options", "sku_code", "status", "description"]
def parse_options(text: str) -> list[dict]:
    """'Size:S|M;Colour:Red|Blue' → [{"name": "Size", "values": ["S", "M"]}, …]."""
    dimensions = []
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        name, sep, values = part.partition(":")
        values = [v.strip() for v in values.split("|") if v.strip()]
        if not sep or not name.strip() or not values:
            raise ValueError(f"options: {part!r} should look like Size:S|M")
        dimensions.append({"name": name.strip(), "values": values})
    return dimensions


def import_csv(text: str) -> list[Item]:
    """Import items from CSV text into the current tenant; all or nothing."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise APIError("invalid_input", f"The CSV lacks the column(s) {', '.join(missing)}.",
                       fields={"line 1": [f"missing column(s): {', '.join(missing)}"]})
    currency = current_tenant().currency
    rows, errors = [], {}
    for line, row in enumerate(reader, start=2):
        row = {column: restore(value) if isinstance(value, str) else value for column, value in row.items()}
        problems = []
        name = (row.get("name") or "").strip()
        if not name:
            problems.append("name: empty")
        kind = (row.get("kind") or "").strip() or "physical"
        if kind not in {k.value for k in ItemKind}:
            problems.append(f"kind: {kind!r} is not one of {', '.join(k.value for k in ItemKind)}")
        try:
            price = Money.parse((row.get("price") or "").strip(), currency).amount
            if price < 0:
                problems.append("price: must not be negative")
        except MoneyError as error:
            problems.append(f"price: {error}")
            price = 0
        stock_text = (row.get("stock") or "").strip() or "0"
        if not (stock_text.isascii() and stock_text.isdigit()):  # "²" is a digit to isdigit, not to int
            problems.append(f"stock: {stock_text!r} is not a whole number")
        elif len(stock_text) > 10 or int(stock_text) > MAX_STOCK:
            problems.append(f"stock: {stock_text} is more than {MAX_STOCK}")
        status = (row.get("status") or "").strip() or ItemStatus.ON_SALE.value
        if status not in {s.value for s in ItemStatus}:
            problems.append(f"status: {status!r} is not one of {', '.join(s.value for s in ItemStatus)}")
        try:
            options = parse_options(row.get("options") or "")
        except ValueError as error:
            problems.append(str(error))
            options = []
        category = (row.get("category") or "").strip()
        if category.count("/") > 1:
            problems.append("category: two levels at most (Parent/Child)")
        if problems:
            errors[f"line {line}"] = problems
            continue
        rows.append({"line": line, "name": name, "kind": kind, "price": price, "stock": int(stock_text), "status": status,
                     "options": options, "category": category, "sku_code": (row.get("sku_code") or "").strip() or None,
                     "description": row.get("description") or ""})
    if errors:
        raise APIError("invalid_input", f"{len(errors)} bad row(s); nothing was imported.", fields=errors)
    items = []
    for row in rows:
        try:
            category_id = category_path(row["category"]).id if row["category"] else None
            items.append(create_item(kind=row["kind"], name=row["name"], price=row["price"], stock=row["stock"],
                                     category_id=category_id, options=row["options"], status=row["status"],
                                     sku_code=row["sku_code"], description=row["description"]))
        except APIError as error:
            messages = [f"{k}: {' '.join(map(str, v))}" for k, v in error.fields.items()] or [error.message]
            raise APIError("invalid_input", f"Line {row['line']} was refused; nothing was imported.",
                           fields={f"line {row['line']}": messages}) from None
    return items


def export_csv() -> str:
    """The catalog as CSV in the import's format (one row per item; price and stock of its first
    SKU when all SKUs agree)."""
    categories = {c.id: c for c in db.session.scalars(select(Category))}

    def path(category_id):
        category = categories.get(category_id)
        if category is None:
            return ""
        parent = categories.get(category.parent_id)
        return f"{parent.name}/{category.name}" if parent else category.name

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REQUIRED + OPTIONAL)
    currency = current_tenant().currency
    items = list(db.session.scalars(select(Item).where(Item.deleted_at.is_(None)).order_by(Item.id)))
    skus: dict[int, list[Sku]] = {}
    for sku in db.session.scalars(select(Sku).order_by(Sku.position)):
        skus.setdefault(sku.item_id, []).append(sku)
    for item in items:
        first = (skus.get(item.id) or [None])[0]
        options = ";".join(f"{o['name']}:{'|'.join(o['values'])}" for o in item.options)
        writer.writerow(map(neutralise, [
            item.name, path(item.category_id), item.kind.value,
            str(Money(first.price, currency).to_decimal()) if first else "0", str(first.stock if first else 0), options,
            first.code or "" if first and len(skus.get(item.id, [])) == 1 else "", item.status.value, item.description]))
    return out.getvalue()

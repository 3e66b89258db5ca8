"""The write path of the catalog (and the reads other engines use). Every function runs in the
caller's transaction, refuses bad input with field errors, and invalidates the cached pages that
show catalog data once the transaction commits. Stock changes are conditional updates: stock
never goes below zero, whatever runs at the same time."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from dataclasses import fields as fields_of

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import aliased

from core.cache import LRU, bump_after_commit, remembered, stamps
from core.components import MEDIA_REF, sanitize_html
from core.db import db, utcnow
from core.errors import APIError, register_codes
from core.paging import newest_first
from core.plans import register_limit, require_room
from core.money import MAX_TYPED
from core.tenancy import current_tenant_id, execute, execute_with_inserts, of_tenant
from engines.catalog.models import Category, Item, ItemKind, ItemStatus, Sku

register_codes({
    "out_of_stock": (409, "Not enough stock left."),
    "not_on_sale": (409, "This item is not on sale."),
})

MAX_SKUS = 200
MAX_PRICE = MAX_TYPED  # minor units (ten billion in a two-decimal currency): sums of lines stay far inside BIGINT
MAX_STOCK = 2**31 - 1  # the stock column is a 32-bit INTEGER
PRICE_RANGE = f"Prices are whole minor units (cents), from 0 to {MAX_PRICE}."
STOCK_RANGE = f"Stock is a whole number from 0 to {MAX_STOCK}."
_short = LRU(10_000)  # (tenant_id, sku_id) -> (catalog stamp, stock seen) after a refused reservation
_for_sale = LRU(10_000)  # see skus_for_sale


class OptionDimension(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=20))
    values = fields.List(fields.String(validate=validate.Length(min=1, max=30)), required=True,
                         validate=validate.Length(min=1, max=30))


class GroupChoice(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=30))
    price = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_PRICE))


class OptionGroup(Schema):
    """A dish's option group: 'Spiciness' (choose 1), 'Add-ons' (choose up to 3, priced)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=30))
    min = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=20))
    max = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=20))
    choices = fields.List(fields.Nested(GroupChoice), required=True, validate=validate.Length(min=1, max=30))


@dataclass
class SkuInput:
    price: int
    stock: int = 0
    options: dict = field(default_factory=dict)
    code: str | None = None
    image: str = ""
    weight_grams: int | None = None


def _changed() -> None:
    bump_after_commit(current_tenant_id(), "catalog")


# -- categories --------------------------------------------------------------------------------

def create_category(*, name: str, parent_id: int | None = None, sort_order: int = 0, image: str = "") -> Category:
    """A category, top-level or under a top-level one (two levels at most)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise APIError("invalid_input", fields={"name": ["Give the category a name of at most 60 characters."]})
    if parent_id is not None:
        parent = Category.get(parent_id)
        if parent is None:
            raise APIError("invalid_input", fields={"parent_id": ["There is no such category."]})
        if parent.parent_id is not None:
            raise APIError("invalid_input", fields={"parent_id": ["Categories have two levels at most."]})
    if db.session.scalar(select(Category.id).where(Category.name == name, Category.parent_id.is_(None) if parent_id is None
                                                   else Category.parent_id == parent_id)):
        raise APIError("already_exists", "A category with this name exists here.", fields={"name": ["Taken."]})
    category = Category(name=name, parent_id=parent_id, sort_order=sort_order, image=image)
    db.session.add(category)
    db.session.flush()
    _changed()
    return category


def category_path(path: str) -> Category:
    """The category at 'Drinks/Tea', created as needed (the CSV import's way)."""
    parts = [p.strip() for p in path.split("/") if p.strip()]
    if not 1 <= len(parts) <= 2:
        raise APIError("invalid_input", fields={"category": ["Use 'Category' or 'Category/Subcategory'."]})
    parent = None
    for name in parts:
        statement = select(Category).where(Category.name == name)
        statement = statement.where(Category.parent_id.is_(None) if parent is None else Category.parent_id == parent.id)
        found = db.session.scalar(statement)
        parent = found or create_category(name=name, parent_id=parent.id if parent else None)
    return parent


def category_tree() -> list[dict]:
    rows = list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)))
    tops = [{"id": str(c.id), "name": c.name, "image": c.image, "children": []} for c in rows if c.parent_id is None]
    by_id = {t["id"]: t for t in tops}
    for c in rows:
        if c.parent_id is not None and str(c.parent_id) in by_id:
            by_id[str(c.parent_id)]["children"].append({"id": str(c.id), "name": c.name, "image": c.image})
    return tops


# -- items -------------------------------------------------------------------------------------

def _validate_item(*, kind: str, name: str, category_id: int | None, images: list, options: list, option_groups: list,
                   skus: list[SkuInput]) -> dict:
    errors: dict[str, list] = {}
    try:
        kind = ItemKind(kind)
    except ValueError:
        errors["kind"] = [f"Use one of {', '.join(k.value for k in ItemKind)}."]
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        errors["name"] = ["Give the item a name of at most 120 characters."]
    if category_id is not None and Category.get(category_id) is None:
        errors["category_id"] = ["There is no such category."]
    if any(not isinstance(i, str) or not MEDIA_REF.match(i) for i in images or []) or len(images or []) > 9:
        errors["images"] = ["Up to 9 images from the media library (media:<id>) or https addresses."]
    try:
        options = OptionDimension(many=True).load(options or [])
        option_groups = OptionGroup(many=True).load(option_groups or [])
    except ValidationError as error:
        errors["options"] = [str(error.messages)]
    if options and kind == ItemKind.DISH:  # a product's sizes, a ticket's types, a room's rates, a service's grades
        errors["options"] = ["Dishes use option groups, not option dimensions."]
    if option_groups and kind != ItemKind.DISH:
        errors["option_groups"] = ["Only dishes have option groups."]
    if not skus:
        errors["skus"] = ["An item needs a price."]
    for index, sku in enumerate(skus):
        if type(sku.price) is not int or not 0 <= sku.price <= MAX_PRICE:
            errors[f"skus.{index}.price"] = [PRICE_RANGE]
        if type(sku.stock) is not int or not 0 <= sku.stock <= MAX_STOCK:
            errors[f"skus.{index}.stock"] = [STOCK_RANGE]
        if sku.code is not None and not 1 <= len(sku.code) <= 64:
            errors[f"skus.{index}.code"] = ["Codes are 1 to 64 characters."]
    codes = [s.code for s in skus if s.code]
    if len(set(codes)) != len(codes):
        errors["skus"] = ["Two variants share a code."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return {"kind": kind, "name": name, "options": options, "option_groups": option_groups}


def variants(options: list[dict]) -> list[dict]:
    """Every combination of option values, in order: Size S|M × Colour Red|Blue → 4."""
    if not options:
        return [{}]
    names = [o["name"] for o in options]
    combos = [dict(zip(names, values)) for values in itertools.product(*(o["values"] for o in options))]
    if len(combos) > MAX_SKUS:
        raise APIError("invalid_input", fields={"options": [f"At most {MAX_SKUS} variants; these options make {len(combos)}."]})
    return combos


def _items() -> int:
    return db.session.scalar(select(func.count()).select_from(Item).where(Item.deleted_at.is_(None)))


register_limit("items", _l("Items"), _items)


def create_item(*, kind: str, name: str, price: int, stock: int = 0, category_id: int | None = None, subtitle: str = "",
                description: str = "", images: list | None = None, options: list | None = None,
                option_groups: list | None = None, status: str = ItemStatus.DRAFT, sku_code: str | None = None,
                skus: list[SkuInput] | None = None) -> Item:
    """An item with one SKU per combination of its options (all at `price` and `stock`, unless
    `skus` says otherwise per combination)."""
    combos = variants(OptionDimension(many=True).load(options or []) if options else [])
    skus = skus or [SkuInput(price=price, stock=stock, options=c, code=sku_code if len(combos) == 1 else None)
                    for c in combos]
    clean = _validate_item(kind=kind, name=name, category_id=category_id, images=images or [], options=options or [],
                           option_groups=option_groups or [], skus=skus)
    require_room("items")
    try:
        status = ItemStatus(status)
    except ValueError:
        raise APIError("invalid_input", fields={"status": [f"Use one of {', '.join(s.value for s in ItemStatus)}."]}) from None
    item = Item(kind=clean["kind"], name=clean["name"], subtitle=(subtitle or "")[:200],
                description=sanitize_html(description or ""), images=images or [], category_id=category_id,
                status=status, options=clean["options"], option_groups=clean["option_groups"])
    codes = [s.code for s in skus if s.code]
    if codes and db.session.scalar(select(Sku.code).where(Sku.code.in_(codes)).limit(1)):
        # A race between two imports still ends at the unique key, as a 409 conflict.
        raise APIError("already_exists", "Another item uses this SKU code.", fields={"sku_code": ["Taken."]})
    db.session.add(item)
    db.session.flush()
    for position, sku in enumerate(skus):
        db.session.add(Sku(item_id=item.id, options=sku.options, code=sku.code or None, price=sku.price, stock=sku.stock,
                           image=sku.image, weight_grams=sku.weight_grams, position=position))
    db.session.flush()
    _changed()
    return item


def set_status(*, item_ids: list[int], status: str) -> int:
    """Put items on or off sale in bulk; returns how many changed."""
    status = ItemStatus(status)
    result = db.session.execute(update(Item).where(Item.id.in_(item_ids), Item.deleted_at.is_(None), Item.status != status)
                                .values(status=status, updated_at=utcnow()).execution_options(synchronize_session=False))
    _changed()
    return result.rowcount


def delete_item(item: Item) -> None:
    item.deleted_at = item.deleted_at or utcnow()
    _changed()


# -- stock -------------------------------------------------------------------------------------

LOW_STOCK = 10  # a reservation leaving this many or fewer refreshes the pages that show the count


@dataclass(frozen=True, slots=True)
class Reserved:
    """What the statement that took the stock read, in the checkout's own transaction: what the
    order is charged is checked against it, never against a cache."""

    left: int
    price: int
    on_sale: bool
    option_groups: list


def reserve_stock(*, sku_id: int, quantity: int) -> Reserved:
    """Take `quantity` from a SKU's stock, or refuse with 409 out_of_stock; never below zero,
    however many checkouts run at once (one conditional UPDATE), which also answers the SKU's
    price and its item's on-sale state and option prices as they are now. A refusal is
    remembered with the catalog's stamp read before the UPDATE, so `known_short` can answer the
    next request for more than is left without touching the database until the catalog changes
    again (a release, a restock, an edit). A reservation only lowers stock, so it leaves
    remembered refusals true; it refreshes the cached pages once the SKU is down to LOW_STOCK
    (below that, "3 left" and "sold out" are exact; a large count may lag until the catalog next
    changes). Runs at once: inside `inserts_together`, use `take_stock`."""
    taken: dict[int, Reserved] = {}
    take_stock(sku_id=sku_id, quantity=quantity, into=taken)
    if sku_id not in taken:
        raise RuntimeError("reserve_stock inside inserts_together: use take_stock")
    return taken[sku_id]


def take_stock(*, sku_id: int, quantity: int, into: dict[int, Reserved]) -> None:
    """`reserve_stock` as one of the writes of an `inserts_together` block (checkout: the stock
    of each SKU, then the order's number, in one statement on PostgreSQL): `into[sku_id]` is what
    it reserved once the block's statement ran, or the block raises 409 out_of_stock."""
    if type(quantity) is not int or quantity < 1:
        raise APIError("invalid_input", fields={"quantity": ["Order at least one."]})
    tenant_id = current_tenant_id()
    stamp = stamps().all(tenant_id).get("catalog", 0)

    def check(rows) -> None:
        row = rows.first()
        if row is None:
            left = execute(_STOCK, {"sku_id": sku_id}).scalar()
            if left is not None:
                _short.set((tenant_id, sku_id), (stamp, left))
            raise APIError("out_of_stock", extra={"sku_id": str(sku_id)})
        if row.stock <= LOW_STOCK:
            _changed()
        into[sku_id] = Reserved(left=row.stock, price=row.price, on_sale=bool(row.on_sale),
                                option_groups=row.option_groups or [])

    execute_with_inserts(_TAKE_STOCK[db.session.get_bind().dialect.name], {"sku_id": sku_id, "quantity": quantity},
                         check)


def forget_remembered_facts() -> None:
    """Drop this process's remembered checkout facts (`skus_for_sale`): checkout found them
    older than the database — a change whose invalidation has not reached this process."""
    _for_sale.clear()


def known_short(wanted: dict[int, int]) -> int | None:
    """A SKU of `wanted` ({sku_id: quantity}) known to have less stock than asked for, with no
    catalog change since that was seen; None when unknown (then ask the database)."""
    tenant_id = current_tenant_id()
    stamp = stamps().all(tenant_id).get("catalog", 0)
    for sku_id, quantity in wanted.items():
        seen = _short.get((tenant_id, sku_id))
        if seen is not None and seen[0] == stamp and seen[1] < quantity:
            return sku_id
    return None


def release_stock(quantities: dict[int, int]) -> None:
    """Give stock back ({sku_id: quantity}: an unpaid order cancelled, goods returned), SKU by SKU
    in id order — the order in which checkout takes their locks, so a release and a checkout never
    wait on each other in a cycle (deadlock)."""
    for sku_id, quantity in sorted(quantities.items()):
        execute(_GIVE_STOCK, {"sku_id": sku_id, "quantity": quantity})
    _changed()


# -- reads -------------------------------------------------------------------------------------

def _on_sale():
    return select(Item).where(Item.status == ItemStatus.ON_SALE, Item.deleted_at.is_(None))


def skus_by_item(item_ids: list[int]) -> dict[int, list[Sku]]:
    """The SKUs of many items in one query."""
    out: dict[int, list[Sku]] = {i: [] for i in item_ids}
    if item_ids:
        for sku in db.session.scalars(select(Sku).where(Sku.item_id.in_(item_ids)).order_by(Sku.position, Sku.id)):
            out[sku.item_id].append(sku)
    return out


def list_on_sale(*, limit: int = 20, before: int | None = None, category_id: int | None = None, kind: str | None = None,
                 query: str | None = None, order: str = "newest") -> tuple[list[Item], int | None]:
    """Items on sale, keyset-paged by id (newest first) or by sales then id (best-selling)."""
    statement = _on_sale()
    if category_id is not None:
        children = select(Category.id).where(Category.parent_id == category_id)
        statement = statement.where((Item.category_id == category_id) | Item.category_id.in_(children))
    if kind:
        statement = statement.where(Item.kind == kind)
    if query:
        statement = statement.where(Item.name.ilike(f"%{query.strip()[:60]}%"))
    if order == "best_selling":  # one page: sales move too fast for a stable cursor
        return list(db.session.scalars(statement.order_by(Item.sales_count.desc(), Item.id.desc()).limit(limit))), None
    return newest_first(statement, Item.id, limit=limit, before=before)


def on_sale_by_ids(ids: list[int]) -> dict[int, Item]:
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(_on_sale().where(Item.id.in_(ids)))}


def item_ids_named(names: list[str]) -> dict[str, int]:
    """The shop's items of these names (a template's demo data names them)."""
    return {name: item_id for item_id, name in db.session.execute(
        select(Item.id, Item.name).where(Item.name.in_(names), Item.deleted_at.is_(None)))}


def item_names(ids: list[int]) -> dict[int, str]:
    """The names of some of the shop's items, by id (deleted ones too: what was booked or sold)."""
    return dict(db.session.execute(select(Item.id, Item.name).where(Item.id.in_(set(ids)))).all()) if ids else {}


def items_of_kinds(kinds: list[str]) -> list[tuple[int, str, str]]:
    """The shop's items of some kinds (not deleted), by name: (id, name, kind)."""
    return [(item_id, name, kind.value) for item_id, name, kind in db.session.execute(
        select(Item.id, Item.name, Item.kind).where(Item.kind.in_(kinds), Item.deleted_at.is_(None)).order_by(Item.name))]


def item_ids_existing(ids: list[int]) -> set[int]:
    """Which of these are the shop's items (not deleted)."""
    return set(db.session.scalars(select(Item.id).where(Item.id.in_(ids), Item.deleted_at.is_(None)))) if ids else set()


def categories_of_items(item_ids: list[int]) -> dict[int, set[int]]:
    """Each item's category and the categories above it (for rules scoped to a category, which
    take in its subcategories), in one query."""
    if not item_ids:
        return {}
    parent = aliased(Category)
    rows = db.session.execute(select(Item.id, Item.category_id, parent.parent_id)
                              .outerjoin(parent, parent.id == Item.category_id).where(Item.id.in_(item_ids)))
    return {item_id: {c for c in (category_id, parent_id) if c} for item_id, category_id, parent_id in rows}


def update_item(item: Item, *, name: str, subtitle: str = "", description: str = "", images: list | None = None,
                category_id: int | None = None, status: str | None = None) -> Item:
    """Change an item's description; its options and SKUs keep their identity (prices, stock
    and codes change through `update_sku`)."""
    skus = skus_by_item([item.id])[item.id]
    _validate_item(kind=item.kind.value, name=name, category_id=category_id, images=images or [],
                   options=item.options, option_groups=item.option_groups,
                   skus=[SkuInput(price=s.price, stock=s.stock, options=s.options) for s in skus])
    item.name, item.subtitle = name.strip(), (subtitle or "")[:200]
    item.description, item.images, item.category_id = sanitize_html(description or ""), images or [], category_id
    if status is not None:
        item.status = ItemStatus(status)
    _changed()
    return item


def update_sku(sku: Sku, *, price: int, stock: int, code: str | None = None) -> Sku:
    errors = {}
    if type(price) is not int or not 0 <= price <= MAX_PRICE:
        errors["price"] = [PRICE_RANGE]
    if type(stock) is not int or not 0 <= stock <= MAX_STOCK:
        errors["stock"] = [STOCK_RANGE]
    code = (code or "").strip() or None
    if code and len(code) > 64:
        errors["code"] = ["Codes are 1 to 64 characters."]
    elif code and db.session.scalar(select(Sku.id).where(Sku.code == code, Sku.id != sku.id)):
        errors["code"] = ["Another variant uses this code."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    sku.price, sku.stock, sku.code = price, stock, code
    _changed()
    return sku


def list_for_staff(*, status: str | None = None, category_id: int | None = None, query: str | None = None,
                   before: int | None = None, limit: int = 50) -> tuple[list[Item], int | None]:
    statement = select(Item).where(Item.deleted_at.is_(None))
    if status in {s.value for s in ItemStatus}:
        statement = statement.where(Item.status == status)
    if category_id:
        statement = statement.where(Item.category_id == category_id)
    if query:
        statement = statement.where(Item.name.ilike(f"%{query.strip()[:60]}%"))
    return newest_first(statement, Item.id, limit=limit, before=before)


@dataclass(frozen=True, slots=True)
class SkuFacts:
    """What checkout and the cart read of a SKU."""

    id: int
    item_id: int
    price: int
    stock: int
    options: dict
    code: str | None
    image: str
    weight_grams: int | None


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What checkout and the cart read of an item (see `is_on_sale`, `price_choices`)."""

    id: int
    kind: ItemKind
    name: str
    images: list
    option_groups: list
    status: ItemStatus
    deleted_at: object


def skus_with_items(sku_ids: list[int]) -> dict[int, tuple[SkuFacts, ItemFacts]]:
    """SKUs with their items, in one prepared query (for the cart and checkout)."""
    if not sku_ids:
        return {}
    width = len(_SKU_FIELDS)
    return {row[0]: (SkuFacts(*row[:width]), ItemFacts(*row[width:]))
            for row in execute(_SKUS_WITH_ITEMS, {"sku_ids": list(sku_ids)})}


def skus_for_sale(sku_ids: list[int]) -> dict[int, tuple[SkuFacts, ItemFacts]]:
    """`skus_with_items` remembered in this process until the shop's catalog changes: checkout's
    prices, names and options cost no query. The stock in the remembered facts may lag (a
    reservation changes the catalog only near sell-out): `reserve_stock` is the check."""
    return remembered(_for_sale, current_tenant_id(), "catalog", tuple(sorted(set(sku_ids))),
                      lambda: skus_with_items(sku_ids))


def price_choices(item: Item | ItemFacts, choices: object) -> tuple[int, dict[str, list[str]]]:
    """A dish's chosen options checked against its option groups — each group between its min and
    max choices, names that exist — as (extra price per unit, the choices in the groups' order).
    422 naming the group otherwise. Items without groups take no choices."""
    choices = choices or {}
    groups = {group["name"]: group for group in item.option_groups or []}
    if not isinstance(choices, dict) or any(name not in groups for name in choices):
        raise APIError("invalid_input", fields={"choices": [f"{item.name} has no such option."]})
    extra, chosen = 0, {}
    for name, group in groups.items():
        picked = choices.get(name) or []
        picked = [picked] if isinstance(picked, str) else picked
        prices = {choice["name"]: choice["price"] for choice in group["choices"]}
        if not isinstance(picked, list) or any(p not in prices for p in picked) or len(set(picked)) != len(picked):
            raise APIError("invalid_input", fields={f"choices.{name}": [f"Choose from {', '.join(prices)}."]})
        if not group["min"] <= len(picked) <= group["max"]:
            raise APIError("invalid_input", fields={f"choices.{name}": [
                f"Choose {group['min']} to {group['max']} of {name}." if group["min"] else
                f"Choose at most {group['max']} of {name}."]})
        if picked:
            chosen[name] = [choice["name"] for choice in group["choices"] if choice["name"] in picked]
            extra += sum(prices[p] for p in picked)
    return extra, chosen


def is_on_sale(item: Item | ItemFacts) -> bool:
    return item.deleted_at is None and item.status == ItemStatus.ON_SALE


# -- prepared statements of the checkout path (see core.tenancy.execute) -------------------------

_skus, _items = Sku.__table__, Item.__table__
_SKU_FIELDS = [f.name for f in fields_of(SkuFacts)]
_SKUS_WITH_ITEMS = (
    select(*(_skus.c[name] for name in _SKU_FIELDS),
           *(_items.c[f.name].label(f"item_{f.name}") for f in fields_of(ItemFacts)))
    .join_from(_skus, _items, (_items.c.tenant_id == _skus.c.tenant_id) & (_items.c.id == _skus.c.item_id))
    .where(of_tenant(_skus), _skus.c.id.in_(bindparam("sku_ids", expanding=True))))
_OF_THE_SKU = (_items.c.tenant_id == _skus.c.tenant_id) & (_items.c.id == _skus.c.item_id)
_TAKING = (update(_skus).where(of_tenant(_skus), _skus.c.id == bindparam("sku_id"), _skus.c.stock >= bindparam("quantity"))
           .values(stock=_skus.c.stock - bindparam("quantity")))
_ON_SALE = (_items.c.status == ItemStatus.ON_SALE) & _items.c.deleted_at.is_(None)
# PostgreSQL joins the item (UPDATE … FROM): Citus refuses a RETURNING that reads a table under
# row-level security (its policy is not IMMUTABLE). SQLite's RETURNING cannot read a joined table.
_TAKE_STOCK = {
    "postgresql": _TAKING.where(_OF_THE_SKU).returning(_skus.c.stock, _skus.c.price, _ON_SALE.label("on_sale"),
                                                       _items.c.option_groups.label("option_groups")),
    "sqlite": _TAKING.returning(_skus.c.stock, _skus.c.price,
                                select(_ON_SALE).where(_OF_THE_SKU).scalar_subquery().label("on_sale"),
                                select(_items.c.option_groups).where(_OF_THE_SKU).scalar_subquery().label("option_groups")),
}
_STOCK = select(_skus.c.stock).where(of_tenant(_skus), _skus.c.id == bindparam("sku_id"))
_GIVE_STOCK = (update(_skus).where(of_tenant(_skus), _skus.c.id == bindparam("sku_id"))
               .values(stock=case((_skus.c.stock > MAX_STOCK - bindparam("quantity"), MAX_STOCK),  # the column's top
                                  else_=_skus.c.stock + bindparam("quantity"))))

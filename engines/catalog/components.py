"""Page components of the catalog: the item grid and the item page (a system page whose main
section shows one item with its SKU choice)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import (BlockType, Checkbox, Component, Range, Reference, Select, SettingsSchema, SystemPage, Text,
                             register, register_system_page)
from core.ids import parse_id
from core.money import Money
from core.item_pages import item_page_data_kinds, item_pages
from core.offers import ItemOffer, item_offers, offer_data_kinds
from engines.catalog.services import category_tree, list_on_sale, on_sale_by_ids, skus_by_item

register_system_page(SystemPage("item", _l("Item"), main="item_detail", engine="catalog"))

# The reviews' block of an item's page (static/reviews.js, from the orders engine's API): the
# average, the newest, more. A component whose module shows it brings these strings.
REVIEW_STRINGS = {"reviews_title": _l("Reviews"), "reviews_none": _l("No reviews yet."), "reviews_one": _l("1 review"),
                  "reviews_many": _l("%(n)s reviews", n="{n}"),
                  "reviews_average": _l("%(average)s out of 5 stars", average="{average}"),
                  "reviews_star_one": _l("1 star"), "reviews_stars": _l("%(n)s stars", n="{n}"),
                  "reviews_more": _l("Load more")}


class PickItem(BlockType):
    type = "pick"
    label = _l("Item")

    class Settings(SettingsSchema):
        item = Reference(_l("Item"), "item")


def _range(prices: list[int], currency: str) -> str:
    low, high = Money(min(prices or [0]), currency), Money(max(prices or [0]), currency)
    return low.format() if low == high else f"{low.format()}–{high.format()}"


def _card(item, skus, currency: str, offer: ItemOffer | None = None) -> dict:
    """An item as a card shows it; with an offer running (core.offers: a timed discount), its
    price under the offer, the price it was, and the offer's name and end for a countdown."""
    prices = [s.price for s in skus]
    card = {"id": str(item.id), "name": item.name, "subtitle": item.subtitle, "image": (item.images or [""])[0],
            "price": _range(prices, currency), "sold_out": all(s.stock == 0 for s in skus), "offer": None,
            "page": f"item:{item.id}"}
    if offer is not None:
        card.update(price=_range([offer.price(p) for p in prices], currency), was=card["price"],
                    offer={"label": offer.label, "ends_at": offer.ends_at.isoformat()})
    return card


def _offers(ctx, items: list) -> dict[int, ItemOffer]:
    """The offers running on the items; the page's cache ends when one starts or ends."""
    offers = item_offers([i.id for i in items], ctx.now)
    if offers.next_change is not None:
        ctx.expire_at(offers.next_change)
    return offers.running


def _cards(ctx, items: list, skus: dict) -> list[dict]:
    """Cards of the items, with their offers and the page each opens: its item page, or the page
    of the engine it is sold on (a service's booking page: never sold out by its stock)."""
    running = _offers(ctx, items)
    elsewhere = item_pages([i.id for i in items])
    cards = []
    for i in items:
        card = _card(i, skus[i.id], ctx.tenant.currency, running.get(i.id))
        if i.id in elsewhere:
            card.update(page=elsewhere[i.id], sold_out=False)
        cards.append(card)
    return cards


class _ShowsItems(Component):
    """A catalog component showing items: its output follows the catalog, what gives offers and
    what sells items on pages of its own."""

    @property
    def data_kinds(self) -> tuple[str, ...]:
        return ("catalog", *offer_data_kinds(), *item_page_data_kinds())


@register
class ItemGrid(_ShowsItems):
    type = "item_grid"
    label = _l("Item grid")
    group = "commerce"
    icon = "layout-grid"
    engine = "catalog"
    template = "components/item_grid.html"
    blocks = {"pick": PickItem}
    max_blocks = 20

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40)
        source = Select(_l("Items"), [("newest", _l("The newest")), ("best_selling", _l("Best-selling")),
                                      ("category", _l("A category")), ("picked", _l("Hand-picked"))], "newest")
        category = Reference(_l("Category"), "category")
        count = Range(_l("How many"), 6, min=1, max=20)
        columns = Range(_l("Columns"), 2, min=1, max=3)
        show_price = Checkbox(_l("Show prices"), True)

    @staticmethod
    def css(settings: dict) -> str:
        return f"--grid-columns:{settings['columns']};"

    def load(self, ctx, sections):
        """One query per source kind on the page (not per section), one for all their SKUs."""
        items_by_section, wanted = {}, set()
        newest = best = None
        for section in sections:
            settings = section["settings"]
            if settings["source"] == "newest":
                newest = newest or list_on_sale(limit=20)[0]
                items_by_section[section["id"]] = newest[: settings["count"]]
            elif settings["source"] == "best_selling":
                best = best or list_on_sale(limit=20, order="best_selling")[0]
                items_by_section[section["id"]] = best[: settings["count"]]
            elif settings["source"] == "category" and settings["category"]:
                items_by_section[section["id"]] = list_on_sale(limit=settings["count"],
                                                               category_id=parse_id(settings["category"].split(":")[1]))[0]
            else:
                ids = [parse_id(section["blocks"][b]["settings"]["item"].split(":")[1]) for b in section["block_order"]
                       if section["blocks"][b]["settings"]["item"]]
                wanted.update(ids)
                items_by_section[section["id"]] = ids
        picked = on_sale_by_ids(sorted(wanted))
        for sid, rows in items_by_section.items():
            if rows and isinstance(rows[0], int):
                items_by_section[sid] = [picked[i] for i in rows if i in picked]
        every = {i.id: i for rows in items_by_section.values() for i in rows}
        skus = skus_by_item(list(every))
        ctx.add_media(i.images[0] for i in every.values() if i.images)
        cards = {card["id"]: card for card in _cards(ctx, list(every.values()), skus)}
        return {sid: [cards[str(i.id)] for i in rows] for sid, rows in items_by_section.items()}


@register
class ItemDetail(_ShowsItems):
    type = "item_detail"
    label = _l("Item")
    group = "commerce"
    icon = "package"
    engine = "catalog"
    pages = ("item",)
    limit = 1
    template = "components/item_detail.html"
    script = "h5.js"  # the buy form (choosing by dimension, the cart, sign-in kept) and the reviews
    strings = {"added": _l("Added to the cart."), **REVIEW_STRINGS}

    class Settings(SettingsSchema):
        show_stock = Checkbox(_l("Show stock left"), True)

    def load(self, ctx, sections):
        raw = ctx.params.get("id", "")
        item_id = parse_id(raw)
        item = on_sale_by_ids([item_id]).get(item_id) if item_id else None
        if item is None:
            return {s["id"]: None for s in sections}
        skus = skus_by_item([item.id])[item.id]
        ctx.add_media([*item.images, *(s.image for s in skus if s.image)])
        currency = ctx.tenant.currency
        offer = _offers(ctx, [item]).get(item.id)
        data = {**_card(item, skus, currency, offer), "images": item.images, "description": item.description,
                "sold_elsewhere": item_pages([item.id]).get(item.id),
                "options": item.options, "kind": item.kind.value,
                "option_groups": [{**group, "choices": [{**choice, "extra": Money(choice["price"], currency).format()}
                                                        for choice in group["choices"]]}
                                  for group in item.option_groups or []],
                "skus": [{"id": str(s.id), "options": s.options, "stock": s.stock, "image": s.image or "",
                          "price": Money(offer.price(s.price) if offer else s.price, currency).format()}
                         for s in skus]}
        return {s["id"]: data for s in sections}


register_system_page(SystemPage("category", _l("Category"), main="category_items", engine="catalog"))


@register
class CategoryNav(Component):
    """The shop's top-level categories as a row of entries, each opening the category page."""

    type = "category_nav"
    label = _l("Category navigation")
    group = "commerce"
    icon = "category"
    engine = "catalog"
    template = "components/category_nav.html"
    data_kinds = ("catalog",)

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40)
        columns = Range(_l("Columns"), 4, min=3, max=5)

    @staticmethod
    def css(settings: dict) -> str:
        return f"--nav-columns:{settings['columns']};"

    def load(self, ctx, sections):
        tree = category_tree()
        ctx.add_media(c["image"] for c in tree)
        return {s["id"]: tree for s in sections}


@register
class CategoryItems(_ShowsItems):
    """A category sidebar beside the items of the chosen category — the menu of an ordering app
    and the category page of a shop."""

    type = "category_items"
    label = _l("Category menu")
    group = "commerce"
    icon = "layout-sidebar"
    engine = "catalog"
    pages = ("category",)
    limit = 1
    template = "components/category_items.html"

    class Settings(SettingsSchema):
        show_price = Checkbox(_l("Show prices"), True)

    def load(self, ctx, sections):
        tree = category_tree()
        chosen = ctx.params.get("id", "")
        ids = {c["id"] for c in tree} | {child["id"] for c in tree for child in c["children"]}
        if chosen not in ids:
            chosen = tree[0]["id"] if tree else ""
        rows = list_on_sale(limit=50, category_id=int(chosen))[0] if chosen else []
        skus = skus_by_item([i.id for i in rows])
        ctx.add_media(i.images[0] for i in rows if i.images)
        data = {"tree": tree, "chosen": chosen,
                "items": _cards(ctx, rows, skus)}
        return {s["id"]: data for s in sections}

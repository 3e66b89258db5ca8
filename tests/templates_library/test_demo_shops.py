"""A shop started from a template with its demo data looks like a shop: a full catalogue in
categories, every item pictured, sizes and colours with a few combinations sold out, dishes with
their option groups; and the drawn pictures are real, designed and always the same."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from core.db import db
from core.engines import DemoKit
from core.media import Media
from core.tenancy import tenant_scope
from engines.catalog import demo as catalog_demo
from engines.catalog.models import Category, Item, Sku
from engines.catalog.services import category_tree, list_on_sale
from templates_library import artwork
from templates_library.registry import templates
from templates_library.services import instantiate


@pytest.fixture
def demo_shop(db_session, create_tenant):
    """A shop started from the template `slug` with its demo data, as its tenant."""

    def make(slug: str):
        tenant = create_tenant(f"{slug}-demo-shop")
        with tenant_scope(tenant):
            instantiate(slug, demo_data=True, actor="test")
            db_session.commit()
        return tenant

    return make


def _catalogue() -> tuple[list[Item], dict[int, list[Sku]], list[Category]]:
    items = list(db.session.scalars(select(Item).order_by(Item.id)))
    skus: dict[int, list[Sku]] = {item.id: [] for item in items}
    for sku in db.session.scalars(select(Sku).order_by(Sku.position)):
        skus[sku.item_id].append(sku)
    return items, skus, list(db.session.scalars(select(Category)))


@pytest.mark.parametrize("slug", ["ecommerce", "ordering"])
def test_a_demo_shop_has_a_full_catalogue_in_categories_every_item_pictured(demo_shop, slug):
    tenant = demo_shop(slug)
    with tenant_scope(tenant):
        items, skus, categories = _catalogue()
        assert len(items) >= 12
        assert all(item.status.value == "on_sale" and item.subtitle and item.description for item in items)
        holding = {item.category_id for item in items}
        assert None not in holding and len(holding) >= 3
        parents = {c.parent_id for c in categories if c.id in holding}
        assert all(c.id in holding or c.id in parents for c in categories)  # no empty category
        for item in items:
            assert len(item.images) == 1 and item.images[0].startswith("media:")
            picture = db.session.get(Media, (tenant.id, int(item.images[0].split(":")[1])))
            assert picture.content_type == "image/png" and (picture.width, picture.height) == (600, 600)
            assert picture.alt == item.name
            assert skus[item.id] and all(sku.price > 0 for sku in skus[item.id])


@pytest.mark.parametrize("slug", ["ecommerce", "ordering"])
def test_the_menu_follows_the_demo_data_categories_in_order_items_as_listed(demo_shop, slug):
    demo = templates()[slug].demo()
    tenant = demo_shop(slug)
    with tenant_scope(tenant):
        tops = [path for path in demo["categories"] if "/" not in path]
        assert [c["name"] for c in category_tree()] == tops
        first = category_tree()[0]
        shown = [item.name for item in list_on_sale(limit=50, category_id=int(first["id"]))[0]]
        listed = [entry["name"] for entry in demo["items"] if entry["category"].split("/")[0] == first["name"]]
        assert shown == listed  # newest first is the order the demo data lists them in
        best = [item.name for item in list_on_sale(limit=4, order="best_selling")[0]]
        assert best == [entry["name"] for entry in sorted(demo["items"], key=lambda e: -e["sold"])][:4]
        assert best != [entry["name"] for entry in demo["items"]][:4]


def test_the_ecommerce_demo_has_sizes_and_colours_with_some_combinations_sold_out(demo_shop):
    tenant = demo_shop("ecommerce")
    with tenant_scope(tenant):
        items, skus, _categories = _catalogue()
        by_name = {item.name: item for item in items}
        two_dimensions = [item for item in items if len(item.options) >= 2]
        assert len(two_dimensions) >= 6
        partly_sold_out = [item for item in two_dimensions
                           if any(s.stock == 0 for s in skus[item.id]) and any(s.stock > 0 for s in skus[item.id])]
        assert len(partly_sold_out) >= 5
        shirt = {tuple(sku.options.values()): sku for sku in skus[by_name["Linen shirt"].id]}
        assert len(shirt) == 4 * 3 and shirt["XL", "White"].stock == 0 and shirt["L", "Sage"].stock == 0
        assert shirt["S", "White"].stock == 60 and shirt["S", "White"].price == 16900  # the first one in stock
        sneakers = skus[by_name["Canvas sneakers"].id]
        assert len(sneakers) == 9 * 2 and {s.stock for s in sneakers if s.options["Size"] == "41"} == {3}
        tumbler = {tuple(sku.options.values()): sku for sku in skus[by_name["Insulated tumbler"].id]}
        assert tumbler["500 ml", "Sand"].price == 8900 and tumbler["750 ml", "Black"].price == 10900
        assert tumbler["750 ml", "Sand"].stock == 0 and tumbler["750 ml", "Sand"].price == 10900
        assert by_name["Gift card ¥100"].kind.value == "virtual" and by_name["Gift card ¥100"].options == []


def test_the_ordering_demo_has_dishes_with_option_groups(demo_shop):
    tenant = demo_shop("ordering")
    with tenant_scope(tenant):
        items, _skus, _categories = _catalogue()
        assert all(item.kind.value == "dish" for item in items)
        with_groups = [item for item in items if item.option_groups]
        assert len(with_groups) >= 12
        tea = next(item for item in items if item.name == "Brown sugar milk tea")
        groups = {group["name"]: group for group in tea.option_groups}
        assert set(groups) == {"Size", "Sweetness", "Ice", "Toppings"}
        assert (groups["Sweetness"]["min"], groups["Sweetness"]["max"]) == (1, 1)
        assert (groups["Toppings"]["min"], groups["Toppings"]["max"]) == (0, 2)
        assert {c["name"]: c["price"] for c in groups["Size"]["choices"]} == {"Regular 500 ml": 0, "Large 700 ml": 400}
        assert any(choice["price"] > 0 for item in with_groups for group in item.option_groups
                   for choice in group["choices"])


def test_a_demo_variant_that_matches_no_combination_is_refused(db_session, tenant_a):
    kit = DemoKit(price=lambda text: round(float(text) * 100), picture=lambda title: "media:1")
    demo = {"items": [{"name": "Tee", "price": "10.00", "options": [{"name": "Size", "values": ["S", "M"]}],
                       "variants": [{"options": {"Size": "XXL"}, "stock": 0}]}]}
    with tenant_scope(tenant_a):
        with pytest.raises(ValueError, match="Tee: no variant has the options"):
            catalog_demo.load(demo, kit)
        assert db.session.scalar(select(Item.id)) is None


def _demo_names() -> list[str]:
    return [entry["name"] for template in templates().values() for entry in template.demo()["items"]]


def test_every_demo_item_is_drawn_as_its_own_object():
    assert all(artwork.motif_for(name) for name in _demo_names())
    assert artwork.motif_for("Linen shirt") is not artwork.motif_for("Cotton tee")
    assert artwork.motif_for("Brown sugar milk tea") is not artwork.motif_for("Jasmine tea")
    assert artwork.motif_for("Something else entirely") is None  # drawn as a gift box


@pytest.mark.parametrize("name", [*_demo_names()[::4], "Something else entirely", "桂花乌龙茶"])
def test_a_product_tile_is_a_designed_square_png_and_always_the_same(name):
    data = artwork.product_tile(name)
    assert artwork.product_tile.__wrapped__(name) == data  # drawn again, not from the cache
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (600, 600))
        assert len(image.convert("RGB").getcolors(1 << 20)) > 500  # shaded, not a flat disc
    assert artwork.product_tile(name + " 2") != data


def test_a_banner_is_a_designed_wide_png_and_always_the_same():
    data = artwork.banner("Free delivery", "On every order over ¥99")
    assert artwork.banner.__wrapped__("Free delivery", "On every order over ¥99") == data
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (720, 370))
        assert len(image.convert("RGB").getcolors(1 << 20)) > 500
    assert artwork.banner("Free delivery", "") != data

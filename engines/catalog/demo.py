"""The catalog's part of a template's demo data:

- `categories`: paths ("Clothing", "Clothing/Shirts") in the order the menu lists them; an item's
  category missing from the list is still created, after them;
- `items`, listed as the shop shows them (newest first, so they are created last to first), each
  with its category path, price, stock, how many were `sold` (so that the best sellers are not
  the new arrivals again), subtitle, description, and either option dimensions (`options`, one
  SKU per combination) with `variants` where a combination differs — matched by some or all of
  its option values, `{"options": {"Size": "XL"}, "stock": 0}` — or a dish's option groups; each
  gets a picture drawn from its name."""

from __future__ import annotations

from core.engines import DemoKit
from engines.catalog.services import SkuInput, category_path, create_item, variants


def load(demo: dict, kit: DemoKit) -> None:
    for position, path in enumerate(demo.get("categories", [])):
        category_path(path).sort_order = position
    for entry in reversed(demo.get("items", [])):
        category = category_path(entry["category"]).id if entry.get("category") else None
        groups = [{**group, "choices": [{**choice, "price": kit.price(choice.get("price", "0"))}
                                        for choice in group["choices"]]}
                  for group in entry.get("option_groups", [])]
        item = create_item(kind=entry.get("kind", "physical"), name=entry["name"], price=kit.price(entry["price"]),
                           stock=entry.get("stock", 100), category_id=category, subtitle=entry.get("subtitle", ""),
                           description=entry.get("description", ""), options=entry.get("options", []),
                           option_groups=groups, status="on_sale", images=[kit.picture(entry["name"])],
                           skus=_skus(entry, kit))
        item.sales_count = entry.get("sold", 0)


def _skus(entry: dict, kit: DemoKit) -> list[SkuInput] | None:
    """One SKU per combination of the item's options at its price and stock, but for what its
    `variants` say; None when it has none (create_item makes the SKUs). A variant that matches no
    combination is a typo in the demo data, and refused."""
    if not entry.get("variants"):
        return None
    skus = [SkuInput(price=kit.price(entry["price"]), stock=entry.get("stock", 100), options=combination)
            for combination in variants(entry.get("options", []))]
    for variant in entry["variants"]:
        matching = [sku for sku in skus if variant["options"].items() <= sku.options.items()]
        if not matching:
            raise ValueError(f"{entry['name']}: no variant has the options {variant['options']}")
        for sku in matching:
            sku.price = kit.price(variant["price"]) if "price" in variant else sku.price
            sku.stock = variant.get("stock", sku.stock)
    return skus

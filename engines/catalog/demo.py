"""The catalog's part of a template's demo data: `items`, each with its category path, price,
stock, options or option groups, and a drawn picture."""

from __future__ import annotations

from core.engines import DemoKit
from engines.catalog.services import category_path, create_item


def load(demo: dict, kit: DemoKit) -> None:
    for entry in demo.get("items", []):
        category = category_path(entry["category"]).id if entry.get("category") else None
        groups = [{**group, "choices": [{**choice, "price": kit.price(choice.get("price", "0"))}
                                        for choice in group["choices"]]}
                  for group in entry.get("option_groups", [])]
        create_item(kind=entry.get("kind", "physical"), name=entry["name"], price=kit.price(entry["price"]),
                    stock=entry.get("stock", 100), category_id=category, subtitle=entry.get("subtitle", ""),
                    description=entry.get("description", ""), options=entry.get("options", []),
                    option_groups=groups, status="on_sale", images=[kit.picture(entry["name"])])

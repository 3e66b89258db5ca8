"""The stores' part of a template's demo data: `stores`, with their delivery bands and tables."""

from __future__ import annotations

from core.engines import DemoKit
from engines.stores.services import add_table, create_store


def load(demo: dict, kit: DemoKit) -> None:
    for entry in demo.get("stores", []):
        store = create_store(name=entry["name"], address=entry.get("address", ""), phone=entry.get("phone", ""),
                             hours=entry.get("hours", ""), latitude=entry.get("latitude"),
                             longitude=entry.get("longitude"), pickup=entry.get("pickup", True),
                             delivery_bands=[{"up_to_km": band["up_to_km"], "fee": kit.price(band["fee"])}
                                             for band in entry.get("delivery_bands", [])],
                             delivery_minimum=kit.price(entry.get("delivery_minimum", "0")))
        for table in entry.get("tables", []):
            add_table(store_id=store.id, name=table)

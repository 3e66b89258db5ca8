"""The orders engine's part of a template's demo data: `shipping`, the express delivery fees."""

from __future__ import annotations

from core.engines import DemoKit
from engines.orders.fulfillment import create_shipping_template


def load(demo: dict, kit: DemoKit) -> None:
    shipping = demo.get("shipping")
    if not shipping:
        return
    create_shipping_template(
        name=shipping.get("name", "Standard"), basis=shipping.get("basis", "per_item"),
        free_above=kit.price(shipping["free_above"]) if shipping.get("free_above") else None,
        rules=[{**rule, "first_fee": kit.price(rule["first_fee"]), "additional_fee": kit.price(rule.get("additional_fee", 0))}
               for rule in shipping["rules"]])

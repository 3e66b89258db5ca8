"""The marketing engine's part of a template's demo data: `coupons` anyone may claim, e.g.
{"name": "¥20 off ¥199", "kind": "threshold", "amount": "20.00", "minimum": "199.00",
"valid_days": 30, "total_limit": 1000}."""

from __future__ import annotations

from core.engines import DemoKit
from engines.marketing.services import CouponRules, create_coupon


def load(demo: dict, kit: DemoKit) -> None:
    for entry in demo.get("coupons", []):
        create_coupon(CouponRules(
            name=entry["name"], kind=entry["kind"], amount=kit.price(entry.get("amount", "0")),
            percent_bp=entry.get("percent_bp", 0), cap=kit.price(entry["cap"]) if entry.get("cap") else None,
            minimum=kit.price(entry.get("minimum", "0")), valid_days=entry.get("valid_days", 30),
            total_limit=entry.get("total_limit"), per_consumer_limit=entry.get("per_consumer_limit", 1)))

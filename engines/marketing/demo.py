"""The marketing engine's part of a template's demo data:
- `coupons` anyone may claim, e.g. {"name": "¥20 off ¥199", "kind": "threshold", "amount": "20.00",
  "minimum": "199.00", "valid_days": 30, "total_limit": 1000};
- `promotions`, order promotions by spend: {"name": "…", "tiers": [["99.00", "10.00"], ["199.00", "30.00"]]}
  (spend, amount off), running for `days` (default 30) from when the shop is made;
- `discounts`, timed discounts on items named in the demo: {"name": "…", "items": ["Linen shirt"],
  "percent": 15, "days": 3};
- `bundles`, sets of items named in the demo at a set price: {"name": "…", "items": ["Cotton tee", "Canvas tote"],
  "price": "119.00", "days": 30} (one of each item; [name, quantity] for more)."""

from __future__ import annotations

import datetime as dt

from core.db import utcnow
from core.engines import DemoKit
from engines.catalog.services import item_ids_named
from engines.marketing.bundles import create_bundle
from engines.marketing.discounts import create_discount
from engines.marketing.promotions import create_promotion
from engines.marketing.services import CouponRules, create_coupon


def load(demo: dict, kit: DemoKit) -> None:
    now = utcnow()
    for entry in demo.get("coupons", []):
        create_coupon(CouponRules(
            name=entry["name"], kind=entry["kind"], amount=kit.price(entry.get("amount", "0")),
            percent_bp=entry.get("percent_bp", 0), cap=kit.price(entry["cap"]) if entry.get("cap") else None,
            minimum=kit.price(entry.get("minimum", "0")), valid_days=entry.get("valid_days", 30),
            total_limit=entry.get("total_limit"), per_consumer_limit=entry.get("per_consumer_limit", 1)))
    for entry in demo.get("promotions", []):
        create_promotion(name=entry["name"], kind="spend", starts_at=now,
                         ends_at=now + dt.timedelta(days=entry.get("days", 30)),
                         tiers=[{"threshold": kit.price(spend), "amount_off": kit.price(off)}
                                for spend, off in entry["tiers"]])
    for entry in demo.get("discounts", []):
        named = item_ids_named(entry["items"])
        create_discount(name=entry["name"], item_ids=[named[name] for name in entry["items"]],
                        percent_bp=entry["percent"] * 100, starts_at=now,
                        ends_at=now + dt.timedelta(days=entry.get("days", 3)))
    for entry in demo.get("bundles", []):
        wanted = [(name, 1) if isinstance(name, str) else tuple(name) for name in entry["items"]]
        named = item_ids_named([name for name, _ in wanted])
        create_bundle(name=entry["name"], items=[{"item_id": named[name], "quantity": n} for name, n in wanted],
                      price=kit.price(entry["price"]), starts_at=now, ends_at=now + dt.timedelta(days=entry.get("days", 30)))

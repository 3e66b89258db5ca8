"""The membership engine's part of a template's demo data:

- `member_tiers`: {"name", "threshold", "discount": "5" (% off), "free_shipping", "multiplier": "1.5",
  "birthday_points"}, lowest first;
- `redemptions`: the points mall, items of the demo named with their points and cash part:
  {"item": "Ceramic travel mug", "points": 1200, "cash": "9.90", "limit": 2, "tier": "Gold"};
- `recharge_plans`: {"pay": "100", "bonus": "10"};
- `automations`: {"name", "trigger", "message_title", "message_body", "points", "days"} (see
  engines.membership.automations)."""

from __future__ import annotations

from decimal import Decimal

from core.engines import DemoKit
from engines.catalog.services import item_ids_named, skus_by_item
from engines.membership.automations import create_automation
from engines.membership.redemption import create_offer
from engines.membership.tiers import create_tier
from engines.membership.wallet import create_recharge_plan


def load(demo: dict, kit: DemoKit) -> None:
    made = {}
    for entry in demo.get("member_tiers", []):
        made[entry["name"]] = create_tier(
            name=entry["name"], threshold=entry["threshold"],
            discount_bp=int(Decimal(str(entry.get("discount", "0"))) * 100),
            free_shipping=bool(entry.get("free_shipping")),
            points_multiplier_bp=int(Decimal(str(entry.get("multiplier", "1"))) * 10_000),
            birthday_points=entry.get("birthday_points", 0))
    offered = demo.get("redemptions", [])
    items = item_ids_named([entry["item"] for entry in offered])
    skus = skus_by_item(list(items.values()))
    for position, entry in enumerate(offered):
        if entry["item"] not in items:
            raise ValueError(f"the points mall offers {entry['item']!r}, which is not an item of the demo")
        create_offer(sku_id=skus[items[entry["item"]]][0].id, points=entry["points"],
                     cash=kit.price(entry.get("cash", "0")), per_member_limit=entry.get("limit", 0),
                     min_tier_id=made[entry["tier"]].id if entry.get("tier") else None, position=position)
    for entry in demo.get("recharge_plans", []):
        create_recharge_plan(pay=kit.price(entry["pay"]), bonus=kit.price(entry.get("bonus", "0")))
    for entry in demo.get("automations", []):
        create_automation(**entry)

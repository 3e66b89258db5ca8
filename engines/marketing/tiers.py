"""What a promotion's tier gives once an order reaches its threshold — any of: an amount off
(`amount_off`, minor units) or a percentage off (`percent_bp`), gifts (`gifts`: [{"sku_id",
"quantity"}], up to three, each given only while its SKU is on sale with the stock for it), free
delivery (`free_shipping`: true), points (`points`, credited by the membership engine from
promotion.points_earned.v1 once the order is paid) and coupons (`coupon_ids`, up to three, a copy
of each given once the order is paid).

A gift is a line of the order at its price with all of it taken off (funded like the rest of the
tier, and counted against the promotion's budget): stock is reserved for it like any line, it
costs no delivery, and no other rule counts it."""

from __future__ import annotations

from core.money import Money
from engines.catalog.services import is_on_sale, skus_for_sale, skus_with_items
from engines.orders.services import QuoteLine

MAX_GIFTS = 3
MAX_COUPONS = 3
MAX_POINTS = 1_000_000
MONEY = ("amount_off", "percent_bp")
BENEFITS = (*MONEY, "gifts", "free_shipping", "points", "coupon_ids")
AFTER_PAYMENT = ("points", "coupon_ids")  # given by the marketing engine's order.paid.v1 handler


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id_text(value: object) -> bool:
    return (isinstance(value, str) and value.isdigit() and len(value) <= 19) or (_whole(value) and value > 0)


def tier_errors(kind: str, tier: dict, max_amount: int) -> list[str]:
    """What is wrong with one tier's benefits (its threshold is checked by the caller)."""
    unknown = sorted(set(tier) - {"threshold", *BENEFITS})
    if unknown:
        return [f"A tier gives only {', '.join(BENEFITS)}; not {', '.join(unknown)}."]
    if not set(tier) & set(BENEFITS):
        return ["Each tier gives something: an amount or percentage off, gifts, free delivery, points or coupons."]
    money = [key for key in MONEY if key in tier]
    if len(money) > 1 or (money and not _whole(tier[money[0]])):
        return ["Each tier gives an amount off or a percentage off, not both."]
    if money == ["amount_off"] and not 0 < tier["amount_off"] <= max_amount:
        return ["An amount off must be more than nothing."]
    if money == ["amount_off"] and kind == "spend" and tier["amount_off"] >= tier["threshold"]:
        return ["A tier cannot take off as much as its threshold."]
    if money == ["percent_bp"] and not 0 < tier["percent_bp"] < 10_000:
        return ["A percentage off is in basis points, from 1 to 9999 (15 % is 1500)."]
    gifts = tier.get("gifts", [])
    if not isinstance(gifts, list) or len(gifts) > MAX_GIFTS or any(
            not isinstance(g, dict) or set(g) != {"sku_id", "quantity"} or not _id_text(g["sku_id"])
            or not (_whole(g["quantity"]) and 1 <= g["quantity"] <= 10) for g in gifts) or ("gifts" in tier and not gifts):
        return [f"Gifts are 1 to {MAX_GIFTS} of {{sku_id, quantity (1 to 10)}}."]
    if "free_shipping" in tier and tier["free_shipping"] is not True:
        return ["free_shipping is true, or left out."]
    if "points" in tier and not (_whole(tier["points"]) and 1 <= tier["points"] <= MAX_POINTS):
        return [f"Points are from 1 to {MAX_POINTS:,}."]
    coupons = tier.get("coupon_ids", [])
    if not isinstance(coupons, list) or len(coupons) > MAX_COUPONS or not all(_id_text(c) for c in coupons) or (
            "coupon_ids" in tier and not coupons):
        return [f"Coupons given are 1 to {MAX_COUPONS} coupon ids."]
    return []


def normalized(tiers: list[dict]) -> list[dict]:
    """Ids as strings, as stored and compared."""
    out = []
    for tier in tiers:
        tier = dict(tier)
        if "gifts" in tier:
            tier["gifts"] = [{"sku_id": str(g["sku_id"]), "quantity": g["quantity"]} for g in tier["gifts"]]
        if "coupon_ids" in tier:
            tier["coupon_ids"] = [str(c) for c in tier["coupon_ids"]]
        out.append(tier)
    return out


def unknown_gifts(tiers: list[dict]) -> list[str]:
    """Gift SKUs the shop does not have (as given)."""
    wanted = {int(g["sku_id"]) for tier in tiers for g in tier.get("gifts", [])}
    found = skus_with_items(sorted(wanted)) if wanted else {}
    return sorted(str(sku_id) for sku_id in wanted - found.keys())


def gift_lines(quote, gifts: list[dict]) -> list[QuoteLine]:
    """The tier's gifts that can be given now (on sale, with the stock for them beyond what the
    order already takes), as lines at their price; the quote learns their prices so checkout
    checks them like any line's."""
    found = skus_for_sale([int(g["sku_id"]) for g in gifts])
    taken: dict[int, int] = {}
    for line in quote.lines:
        taken[line.sku_id] = taken.get(line.sku_id, 0) + line.quantity
    lines = []
    for gift in gifts:
        sku, item = found.get(int(gift["sku_id"]), (None, None))
        if sku is None or not is_on_sale(item) or sku.stock < taken.get(sku.id, 0) + gift["quantity"]:
            continue
        taken[sku.id] = taken.get(sku.id, 0) + gift["quantity"]
        quote.priced_from.setdefault(sku.id, (sku.price, item.option_groups or []))
        lines.append(QuoteLine(sku_id=sku.id, item_id=item.id, kind=item.kind.value, name=item.name,
                               options=sku.options or {}, sku_code=sku.code or "",
                               image=sku.image or (item.images or [""])[0], unit_price=sku.price,
                               quantity=gift["quantity"], weight_grams=sku.weight_grams, gift=True))
    return lines


def benefits_in_words(tier: dict, currency: str) -> list[str]:
    """What a tier gives, for its label: "¥30.00 off", "15% off", "a gift", "free delivery",
    "100 points", "a coupon"."""
    words = []
    if "amount_off" in tier:
        words.append(Money(tier["amount_off"], currency).format() + " off")
    if "percent_bp" in tier:
        words.append(f"{tier['percent_bp'] / 100:g}% off")
    if tier.get("gifts"):
        words.append("a gift" if len(tier["gifts"]) == 1 else f"{len(tier['gifts'])} gifts")
    if tier.get("free_shipping"):
        words.append("free delivery")
    if tier.get("points"):
        words.append(f"{tier['points']} points")
    if tier.get("coupon_ids"):
        words.append("a coupon" if len(tier["coupon_ids"]) == 1 else f"{len(tier['coupon_ids'])} coupons")
    return words


def gives_more_than_money(tier: dict) -> bool:
    return any(key in tier for key in ("gifts", "free_shipping", "points", "coupon_ids"))

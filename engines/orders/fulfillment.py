"""How an order reaches the consumer, and what that costs: express delivery priced by the
tenant's default shipping template (free above a threshold, per item or per kilogram, by
region), same-city delivery priced by a store's distance bands, pickup at a store, dine-in at a
table (the code from the table's QR), or nothing to carry (services and virtual goods)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select, update

from core.consumers import normalize_phone
from core.db import db
from core.engines import flow_settings
from core.errors import APIError
from core.ids import parse_id
from core.money import Money, MoneyError
from core.tenancy import current_tenant_id
from core.addresses import find_address
from engines.orders.settings import offered_fulfillment
from engines.orders.models import FulfillmentType, ShippingTemplate
from engines.orders.pricing import POSITIONS, Quote, QuoteLine, register_price_step
from engines.stores.services import delivery_fee, store_facts, table_by_code

CARRIED_KINDS = {"physical", "dish"}


class ShippingRule(Schema):
    regions = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)
    first = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    first_fee = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**8))
    additional = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    additional_fee = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=10**8))


def _rules(rules: list, basis: str) -> list[dict]:
    if basis not in ("per_item", "per_weight"):
        raise APIError("invalid_input", fields={"basis": ["Use per_item or per_weight."]})
    try:
        loaded = ShippingRule(many=True).load(rules)
    except ValidationError as error:
        raise APIError("invalid_input", fields={"rules": error.messages}) from None
    if not any(not rule["regions"] for rule in loaded):
        raise APIError("invalid_input", fields={"rules": ["Add a rule without regions: the fee everywhere else."]})
    return loaded


def create_shipping_template(*, name: str, rules: list, basis: str = "per_item", free_above: int | None = None,
                             is_default: bool = True) -> ShippingTemplate:
    loaded = _rules(rules, basis)
    if is_default:
        db.session.execute(update(ShippingTemplate).values(is_default=False))
    template = ShippingTemplate(name=name, basis=basis, free_above=free_above, rules=loaded, is_default=is_default)
    db.session.add(template)
    db.session.flush()
    return template


def save_default_template(*, name: str, rules: list, basis: str = "per_item",
                          free_above: int | None = None) -> ShippingTemplate:
    """Change the shop's default template in place, or create it."""
    template = default_template()
    if template is None:
        return create_shipping_template(name=name, rules=rules, basis=basis, free_above=free_above)
    checked = _rules(rules, basis)
    template.name, template.basis, template.free_above, template.rules = name, basis, free_above, checked
    db.session.flush()
    return template


def parse_rules(text: str, currency: str) -> list[dict]:
    """Rules typed one per line: `regions | first units | fee | each further units | fee`, e.g.
    `Xinjiang, Tibet | 1 | 25.00 | 1 | 8.00`; a line with no regions is the fee everywhere else."""
    rules = []
    for number, line in enumerate(filter(None, (raw.strip() for raw in text.splitlines())), start=1):
        parts = [part.strip() for part in line.split("|")]
        try:
            regions, first, first_fee, additional, additional_fee = parts
            rules.append({"regions": [r.strip() for r in regions.split(",") if r.strip()], "first": int(first),
                          "first_fee": Money.parse(first_fee, currency).amount, "additional": int(additional),
                          "additional_fee": Money.parse(additional_fee, currency).amount})
        except (ValueError, MoneyError):
            raise APIError("invalid_input", fields={"rules": [
                f"Line {number}: write regions | first units | fee | further units | fee."]}) from None
    return rules


def format_rules(rules: list[dict], currency: str) -> str:
    return "\n".join(f"{', '.join(r['regions'])} | {r['first']} | {Money(r['first_fee'], currency).to_decimal()} | "
                     f"{r['additional']} | {Money(r['additional_fee'], currency).to_decimal()}" for r in rules)


def default_template() -> ShippingTemplate | None:
    return db.session.scalar(select(ShippingTemplate).where(ShippingTemplate.is_default.is_(True)))


def express_fee(template: ShippingTemplate, region: str, lines: list[QuoteLine], payable: int) -> int:
    """The fee of the rule whose region the address's region starts with (else the default rule):
    the first units at `first_fee`, each further `additional` units (or part) at `additional_fee`."""
    if template.free_above is not None and payable >= template.free_above:
        return 0
    rule = next((r for r in template.rules if any(region.startswith(name) for name in r["regions"])), None)
    rule = rule or next(r for r in template.rules if not r["regions"])
    carried = [line for line in lines if line.kind in CARRIED_KINDS]
    if template.basis == "per_weight":
        grams = sum((line.weight_grams or 0) * line.quantity for line in carried)
        units = max(1, -(-grams // 1000))  # whole kilograms, rounded up
    else:
        units = sum(line.quantity for line in carried)
    extra_units = max(0, units - rule["first"])
    return rule["first_fee"] + -(-extra_units // rule["additional"]) * rule["additional_fee"]


def _address(consumer_id: int, data: dict) -> dict:
    address_id = parse_id(data.get("address_id"))
    if address_id is None:
        raise APIError("invalid_input", fields={"fulfillment.address_id": ["Choose an address."]})
    address = find_address(consumer_id, address_id)
    return {"address": {"name": address.name, "phone": address.phone, "region": address.region, "line": address.line,
                        "postcode": address.postcode, "latitude": address.latitude, "longitude": address.longitude},
            "phone": address.phone}


def _store(data: dict):
    store_id = parse_id(data.get("store_id"))
    if store_id is None:
        raise APIError("invalid_input", fields={"fulfillment.store_id": ["Choose a store."]})
    return store_facts(store_id)


def _store_snapshot(store) -> dict:
    return {"id": str(store.id), "name": store.name, "address": store.address, "phone": store.phone}


def _phone(data: dict) -> str:
    """The phone the consumer gave (pickup's contact), normalised; none is "". 422 on
    `fulfillment.phone` when it is not a phone number (normalize_phone's rule)."""
    phone = data.get("phone")
    if phone is None or phone == "":
        return ""
    try:
        return normalize_phone(phone if isinstance(phone, str) else "")
    except APIError as error:
        raise APIError("invalid_input", fields={"fulfillment.phone": error.fields["phone"]}) from None


def resolve(consumer_id: int, data: object, lines: list[QuoteLine]) -> dict:
    """The order's fulfilment as recorded on it (a snapshot), or 422 naming what is wrong."""
    if not isinstance(data, dict):
        data = {}
    phone = _phone(data)
    kinds = {line.kind for line in lines}
    choice = data.get("type") or (FulfillmentType.NONE.value if not kinds & CARRIED_KINDS else None)
    if choice not in {t.value for t in FulfillmentType}:
        raise APIError("invalid_input", fields={"fulfillment.type": [
            "Choose express, same_city, pickup or dine_in."]})
    if choice != "none" and choice not in offered_fulfillment(flow_settings("orders")):
        raise APIError("invalid_input", fields={"fulfillment.type": ["This shop does not offer this way to receive an "
                                                                     "order."]})
    if choice == "none" and kinds & CARRIED_KINDS:
        raise APIError("invalid_input", fields={"fulfillment.type": ["These items need delivery, pickup or a table."]})
    if choice == "express" and "dish" in kinds:
        raise APIError("invalid_input", fields={"fulfillment.type": ["Dishes are not sent by express delivery."]})
    if choice == "express":
        template = default_template()
        if template is None:
            raise APIError("not_deliverable", "This shop does not send by express delivery.")
        return {"type": choice, "template_id": str(template.id), **_address(consumer_id, data)}
    if choice == "same_city":
        found = _address(consumer_id, data)
        store = _store(data)
        if found["address"]["latitude"] is None:
            raise APIError("invalid_input", fields={"fulfillment.address_id": [
                "Pin this address on the map (latitude and longitude) for same-city delivery."]})
        fee, km = delivery_fee(store, found["address"]["latitude"], found["address"]["longitude"])
        return {"type": choice, "store": _store_snapshot(store), "distance_km": km, "band_fee": fee,
                "minimum": store.delivery_minimum, **found}
    if choice == "pickup":
        store = _store(data)
        if not store.pickup:
            raise APIError("invalid_input", fields={"fulfillment.store_id": ["This store does not offer pickup."]})
        return {"type": choice, "store": _store_snapshot(store), "phone": phone}
    if choice == "dine_in":
        found = table_by_code(str(data.get("table") or ""))
        if found is None:
            raise APIError("invalid_input", fields={"fulfillment.table": ["Scan the QR code on your table."]})
        table, store = found
        return {"type": choice, "store": _store_snapshot(store), "table": table.name, "table_code": table.code}
    return {"type": "none"}


def _shipping(quote: Quote) -> None:
    """The base `shipping` step: the delivery fee, on what the lines cost after discounts."""
    fulfillment = quote.fulfillment
    payable = quote.items_total - quote.discount_total
    if fulfillment["type"] == "express":
        template = db.session.get(ShippingTemplate, (current_tenant_id(), int(fulfillment["template_id"])))
        quote.charge_shipping("shipping", "Express delivery",
                              express_fee(template, fulfillment["address"]["region"],
                                          [line for line in quote.lines if not line.gift], payable),
                              source=("shipping_template", template.id), free_above=template.free_above)
    elif fulfillment["type"] == "same_city":
        if payable < fulfillment["minimum"]:
            raise APIError("invalid_input", fields={"fulfillment.type": [
                f"Same-city delivery starts at {quote.money(fulfillment['minimum'])['display']} of items."]})
        quote.charge_shipping("shipping", "Same-city delivery", fulfillment["band_fee"],
                              source=("store", int(fulfillment["store"]["id"])), distance_km=fulfillment["distance_km"])


register_price_step("shipping", POSITIONS["shipping"], _shipping)

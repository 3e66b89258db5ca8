"""The price pipeline's extension point and the delivery prices it ends with."""

from __future__ import annotations

from core.db import db
from core.tenancy import tenant_scope
from engines.orders import pricing
from engines.orders.fulfillment import express_fee
from engines.orders.models import ShippingTemplate
from engines.orders.pricing import POSITIONS, QuoteLine
from engines.stores.services import create_store


def test_a_later_engine_inserts_its_step_and_the_discount_lands_on_the_lines(client, shop, monkeypatch):
    monkeypatch.setattr(pricing, "_STEPS", list(pricing._STEPS))
    assert pricing.steps() == ["items", "shipping"]
    pricing.register_price_step("coupon", POSITIONS["coupon"],
                                lambda quote: quote.discount("coupon", "Coupon", 1000, code="SAVE10"))
    assert pricing.steps() == ["items", "coupon", "shipping"]
    answer = client.post("/api/v1/checkout", headers=shop["headers"], json={
        "lines": [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"]}],
        "fulfillment": {"type": "express", "address_id": shop["address"]}}).json["order"]
    assert [(s["step"], s["amount"]) for s in answer["pricing"]] == [("items", 3300), ("coupon", -1000),
                                                                      ("shipping", 1400)]
    assert answer["pricing"][1]["code"] == "SAVE10"
    discounts = [line["discount"]["amount"] for line in answer["lines"]]
    assert sum(discounts) == 1000 and discounts == [758, 242]  # in proportion to 2500 and 800
    assert answer["total"]["amount"] == 3300 - 1000 + 1400


def line(kind="physical", quantity=1, grams=None):
    return QuoteLine(sku_id=1, item_id=1, kind=kind, name="x", options={}, sku_code="", image="", unit_price=100,
                     quantity=quantity, weight_grams=grams)


def test_express_fees_by_weight_by_region_and_free_above_a_threshold():
    template = ShippingTemplate(basis="per_weight", free_above=10_000, rules=[
        {"regions": [], "first": 1, "first_fee": 800, "additional": 1, "additional_fee": 300},
        {"regions": ["Xinjiang"], "first": 2, "first_fee": 2000, "additional": 1, "additional_fee": 900}])
    parcel = [line(quantity=2, grams=700), line(kind="virtual", quantity=5, grams=9000)]  # 1.4 kg carried
    assert express_fee(template, "Shanghai", parcel, 5000) == 800 + 300  # 2 kg: first kg + one more
    assert express_fee(template, "Xinjiang Urumqi", parcel, 5000) == 2000  # 2 kg within the first two
    assert express_fee(template, "Shanghai", parcel, 10_000) == 0


def test_same_city_delivery_needs_the_stores_minimum(client, shop):
    with tenant_scope(shop["tenant"]):
        store = create_store(name="Minimum store", latitude=31.2304, longitude=121.4737, delivery_minimum=5000,
                             delivery_bands=[{"up_to_km": 3, "fee": 500}])
        db.session.commit()
    body = {"lines": [{"sku_id": shop["noodles"]}], "fulfillment": {"type": "same_city", "store_id": str(store.id),
                                                                     "address_id": shop["address"]}}
    refused = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert refused.status_code == 422 and "starts at" in refused.json["error"]["fields"]["fulfillment.type"][0]
    body["lines"] = [{"sku_id": shop["noodles"], "quantity": 3}]
    assert client.post("/api/v1/checkout", json=body, headers=shop["headers"]).status_code == 201

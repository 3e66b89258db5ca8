"""A shop ready to sell: items of every kind, a store with delivery bands and a table, an express
shipping template, and a signed-in consumer with an address near the store."""

from __future__ import annotations

import pytest

from core.consumers import issue_token
from core.tenancy import tenant_scope
from engines.catalog.services import create_item, skus_by_item
from core.addresses import add_address
from engines.orders.fulfillment import create_shipping_template
from engines.stores.services import add_table, create_store
from tests.browser import browser, server  # noqa: F401  fixtures of the purchase browser tests

STORE = (31.2304, 121.4737)  # People's Square, Shanghai
NEAR = (31.2400, 121.4900)  # about 1.9 km away


def make_shop(tenant, create_consumer, *, stock: int = 5) -> dict:
    with tenant_scope(tenant):
        tea = create_item(kind="physical", name="Tea", price=1250, stock=stock, status="on_sale")
        cake = create_item(kind="physical", name="Cake", price=800, stock=10, status="on_sale")
        noodles = create_item(kind="dish", name="Noodles", price=2200, stock=50, status="on_sale")
        massage = create_item(kind="service", name="Massage", price=9900, stock=20, status="on_sale")
        skus = skus_by_item([tea.id, cake.id, noodles.id, massage.id])
        store = create_store(name="Bund store", address="1 Zhongshan Rd", latitude=STORE[0], longitude=STORE[1],
                             delivery_bands=[{"up_to_km": 3, "fee": 500}, {"up_to_km": 6, "fee": 900}])
        table = add_table(store_id=store.id, name="A3")
        create_shipping_template(name="Standard", free_above=9900, rules=[
            {"regions": [], "first": 1, "first_fee": 1000, "additional": 1, "additional_fee": 200},
            {"regions": ["Xinjiang"], "first": 1, "first_fee": 2500, "additional": 1, "additional_fee": 800}])
        consumer = create_consumer(tenant)
        address = add_address(consumer_id=consumer.id, data={
            "name": "Li Lei", "phone": "13800138000", "region": "Shanghai Huangpu", "line": "2 Nanjing Rd",
            "postcode": "200001", "latitude": NEAR[0], "longitude": NEAR[1]})
        far = add_address(consumer_id=consumer.id, data={
            "name": "Li Lei", "phone": "13800138000", "region": "Xinjiang Urumqi", "line": "9 Renmin Rd",
            "latitude": 43.8, "longitude": 87.6})
        token = issue_token(consumer)
    return {"tenant": tenant, "consumer": consumer, "headers": {"Authorization": f"Bearer {token}"},
            "tea": str(skus[tea.id][0].id), "cake": str(skus[cake.id][0].id),
            "noodles": str(skus[noodles.id][0].id), "massage": str(skus[massage.id][0].id),
            "store": str(store.id), "table": table.code, "address": str(address.id), "far": str(far.id)}


@pytest.fixture
def shop(db_session, tenant_a, create_consumer):
    made = make_shop(tenant_a, create_consumer)
    db_session.commit()
    return made

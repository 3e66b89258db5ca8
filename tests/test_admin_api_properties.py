"""The consumer API's property (tests/test_api_properties.py) for the Admin API: whatever is sent to
each operation of /admin/api/v1/openapi.json — bodies drawn from its request schema, or any JSON at
all, with any path parameters and query arguments — it never answers 500, and every 4xx carries the
JSON error body with a code from the catalogue.

The token is an owner's, in a shop with items, categories, a store, a paid order with an
after-sales request and an unpaid order: real ids are among those drawn, so requests reach the
services and not only the routing."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.tenancy import tenant_scope
from engines.catalog.services import create_category
from tests.admin_api import staff_token
from tests.engines.orders.conftest import make_shop
from tests.engines.orders.test_orders import pay, place
from tests.test_api_properties import (ANY_JSON, CLEAN_JSON, PARAM_TEXT, SETTINGS, TEXT, WORDS, _assert_answered_well,
                                       _operations, _valid)


@pytest.fixture
def world(client, db_session, tenant_a, create_consumer):
    """A shop with everything an Admin API call can name, and an owner's token."""
    shop = make_shop(tenant_a, create_consumer)
    with tenant_scope(tenant_a):
        category = str(create_category(name="Tea").id)
    db_session.commit()
    paid = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, paid)
    after_sale = client.post(f"/api/v1/orders/{paid['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": paid["lines"][0]["id"], "quantity": 1}]}).json
    unpaid = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    owner = staff_token(db_session, tenant_a)
    items = [item["id"] for item in client.get("/admin/api/v1/items", headers=owner.headers).json["items"]]
    by_param = {"item_id": items, "sku_id": [shop[k] for k in ("tea", "cake", "noodles", "massage")],
                "order_id": [paid["id"], unpaid["id"]], "after_sale_id": [after_sale["id"]],
                "store_id": [shop["store"]], "category_id": [category]}
    real = sum(by_param.values(), [])
    spec = client.get("/admin/api/v1/openapi.json").json
    return {"headers": owner.headers, "real": real, "by_param": by_param, "operations": _operations(spec)}


def _values(world) -> st.SearchStrategy:
    known = st.sampled_from(world["real"] + WORDS)
    return st.integers(0, 2).flatmap(lambda pick: CLEAN_JSON if pick == 2 else known)


def _params(world, operation: dict):
    def value(name: str) -> st.SearchStrategy:
        real = st.sampled_from(world["by_param"].get(name) or world["real"])
        return st.integers(0, 2).flatmap(lambda pick: PARAM_TEXT if pick == 2 else real)

    path = st.fixed_dictionaries({name: value(name) for name in operation["path_params"]})
    query = (st.dictionaries(st.sampled_from(operation["query"]), value(""), max_size=len(operation["query"]))
             if operation["query"] else st.just({}))
    return path, query


def _never_500(client, world, bodies_of) -> None:
    for operation in world["operations"]:
        path, query = _params(world, operation)

        @SETTINGS
        @given(path_values=path, query_values=query, body=bodies_of(operation))
        def check(path_values, query_values, body):
            url = operation["path"].format(**{name: quote(value, safe="") for name, value in path_values.items()})
            if query_values:
                url += "?" + urlencode(query_values)
            kwargs = {}
            if body is not None or operation["method"] in ("POST", "PATCH"):
                kwargs = {"data": json.dumps(body), "content_type": "application/json"}
            response = client.open(url, method=operation["method"], headers=world["headers"], **kwargs)
            _assert_answered_well(response, operation["method"], url, body)

        check()


def test_the_document_has_operations_to_try(world):
    assert len(world["operations"]) >= 19


def test_bodies_drawn_from_each_operations_schema_never_answer_500(client, world):
    _never_500(client, world, lambda operation: _valid(operation["schema"], _values(world)) if operation["schema"]
               else st.none())


def test_any_json_never_answers_500(client, world):
    def bodies(operation):
        names = sorted((operation["schema"] or {}).get("properties", {}))
        shaped = (st.dictionaries(st.sampled_from(names) | TEXT, ANY_JSON | st.sampled_from(world["real"]),
                                  max_size=len(names) + 1) if names else ANY_JSON)
        return shaped | ANY_JSON if operation["method"] in ("POST", "PATCH") else st.none() | ANY_JSON

    _never_500(client, world, bodies)

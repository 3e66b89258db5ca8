"""A property of the whole consumer API (DESIGN.md §7): whatever it is sent — bodies drawn from
each operation's own request schema in the OpenAPI document, or any JSON at all (huge numbers,
NaN, NUL, lone surrogates, deep-ish nesting, wrong types) — and whatever its path parameters and
query arguments hold (ids beyond BIGINT, negative, not numbers), it never answers 500, and every
4xx answer carries the JSON error body with a code from the catalogue.

The consumer is signed in, in a shop with items on sale, a store, a table, addresses, a cart
line, a paid order with an after-sales request: real ids are among the ones drawn, so requests
reach the services and not only the routing."""

from __future__ import annotations

import json
import os
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from core.consumers import issue_token
from core.errors import CATALOGUE
from core.tenancy import tenant_scope
from tests.engines.orders.conftest import make_shop
from tests.engines.orders.test_orders import pay, place

# Examples per operation and kind of body, the same ones every run (the file takes about 12 s per
# backend); TESSERA_PROPERTY_EXAMPLES=500 explores further, with fresh random examples each run.
EXPLORE = os.environ.get("TESSERA_PROPERTY_EXAMPLES")
EXAMPLES = int(EXPLORE or 20)
WEBHOOK = "/api/v1/payments/stripe/webhook"  # signature-checked: junk gets 4xx (test_the_stripe_webhook_…)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not EXPLORE,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much, HealthCheck.data_too_large])

# Text as an attacker sends it: any code point, lone surrogates and NUL included.
TEXT = st.text(st.characters() | st.characters(categories=["Cs"]) | st.sampled_from(["\x00", "\ud800", "\udfff"]),
               max_size=24)
EDGE_INTS = st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)])
SCALARS = (st.none() | st.booleans() | st.integers() | EDGE_INTS | st.floats() | TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                        max_leaves=12)
# What a path parameter or query argument may hold: ids in every wrong shape, and any text.
WRONG_IDS = st.sampled_from(["0", "-1", "9223372036854775807", "9223372036854775808", "99999999999999999999",
                             "\u00b2", "\u0661\u0662", "1e3", "0x10", " 1", "1.0", "abc", ""])
PARAM_TEXT = (st.integers(min_value=-(2**70), max_value=2**70).map(str) | WRONG_IDS
              | st.text(st.characters(exclude_categories=["Cs"]), max_size=12))
# The keys free-form objects (a checkout's lines and fulfilment, a dish's choices) are read by.
NAMES = ["sku_id", "quantity", "choices", "type", "address_id", "store_id", "phone", "table", "line_id"]
FIELD_NAMES = st.sampled_from(NAMES)
WORDS = ["express", "same_city", "pickup", "dine_in", "none", "13800138000", "Mild", "home"]
CLEAN_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                          | st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=12),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_NAMES, inner, max_size=3),
                          max_leaves=8)


def _resolved(schema: object, components: dict) -> object:
    """An OpenAPI 3.0 schema as plain JSON Schema: `$ref`s inlined, `nullable` as a null type,
    documentation-only keys dropped."""
    if isinstance(schema, list):
        return [_resolved(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _resolved(components[schema["$ref"].rsplit("/", 1)[1]], components)
    out = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _resolved(sub, components) for name, sub in value.items()}
        elif key not in ("nullable", "description", "default", "example", "readOnly", "writeOnly"):
            out[key] = _resolved(value, components)
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _valid(schema: dict, values: st.SearchStrategy) -> st.SearchStrategy:
    """Instances of a request schema. Objects and arrays are drawn here, their leaves by
    hypothesis-jsonschema: its own object strategy calls a Hypothesis internal (`many.more()`)
    that the pinned Hypothesis no longer has. Free-form objects (`additionalProperties: {}`) get
    the keys the services read, holding real ids or any clean JSON (`values`)."""
    types = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if "null" in types:
        rest = [t for t in types if t != "null"]
        return st.none() | _valid({**schema, "type": rest[0] if len(rest) == 1 else rest}, values)
    if "object" in types:
        properties = schema.get("properties", {})
        if not properties:  # each name the services read, often, then anything
            return st.fixed_dictionaries({}, optional=dict.fromkeys(NAMES, values)).flatmap(
                lambda named: st.dictionaries(st.text(max_size=8), values, max_size=2).map(lambda more: {**more, **named}))
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: _valid(sub, values) for name, sub in properties.items() if name in required},
            optional={name: _valid(sub, values) for name, sub in properties.items() if name not in required})
    if "array" in types:
        return st.lists(_valid(schema.get("items", {}), values), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), max(4, schema.get("minItems", 0))))
    return from_schema(schema) if schema else values


def _operations(spec: dict) -> list[dict]:
    components = spec["components"]["schemas"]
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if path == WEBHOOK:
                continue
            parameters = [p for p in operation["parameters"] if "name" in p]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append({"method": method.upper(), "path": path,
                               "path_params": [p["name"] for p in parameters if p["in"] == "path"],
                               "query": [p["name"] for p in parameters if p["in"] == "query"],
                               "schema": _resolved(body, components) if body else None})
    return operations


@pytest.fixture
def world(client, db_session, tenant_a, create_consumer):
    """A shop with everything a consumer API call can name, and its signed-in consumer."""
    shop = make_shop(tenant_a, create_consumer)
    db_session.commit()
    cart = client.post("/api/v1/cart/lines", json={"sku_id": shop["tea"]}, headers=shop["headers"]).json
    paid = place(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    payment, _ = pay(client, shop, paid)
    after_sale = client.post(f"/api/v1/orders/{paid['id']}/after-sales", headers=shop["headers"], json={
        "kind": "refund", "lines": [{"line_id": paid["lines"][0]["id"], "quantity": 1}]}).json
    unpaid = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    items = [item["id"] for item in client.get("/api/v1/items", headers=shop["headers"]).json["items"]]
    by_param = {"address_id": [shop["address"], shop["far"]], "line_id": [cart["lines"][0]["id"]],
                "order_id": [paid["id"], unpaid["id"]], "payment_id": [payment["id"]], "after_sale_id": [after_sale["id"]],
                "item_id": items, "page_id": ["home"], "code": [shop["table"]]}
    real = [shop[name] for name in ("tea", "cake", "noodles", "massage", "store")] + sum(by_param.values(), [])
    spec = client.get("/api/v1/openapi.json", headers=shop["headers"]).json
    return {"shop": shop, "real": real, "by_param": by_param, "operations": _operations(spec)}


def _request(client, world, operation: dict, path_values: dict, query: dict, body: object):
    url = operation["path"].format(**{name: quote(value, safe="") for name, value in path_values.items()})
    if query:
        url += "?" + urlencode(query)
    headers = dict(world["shop"]["headers"])
    if operation["path"] == "/api/v1/auth/logout":  # signing out revokes the token: use one of its own
        with tenant_scope(world["shop"]["tenant"]):
            headers["Authorization"] = f"Bearer {issue_token(world['shop']['consumer'])}"
    kwargs = {}
    if body is not None or operation["method"] in ("POST", "PATCH"):
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    response = client.open(url, method=operation["method"], headers=headers, **kwargs)
    _assert_answered_well(response, operation["method"], url, body)


def _assert_answered_well(response, method: str, url: str, body: object) -> None:
    context = f"{method} {url} {json.dumps(body)[:300]} -> {response.status_code} {response.get_data(as_text=True)[:300]}"
    assert response.status_code < 500, context
    if response.status_code >= 400:
        assert response.is_json, context
        error = response.json["error"]
        assert error["code"] in CATALOGUE and isinstance(error["message"], str), context
        assert isinstance(error.get("fields", {}), dict), context


def _values(world) -> st.SearchStrategy:
    """Real ids and the words the services know, two times in three; anything else otherwise."""
    known = st.sampled_from(world["real"] + WORDS)
    return st.integers(0, 2).flatmap(lambda pick: CLEAN_JSON if pick == 2 else known)


def _params(world, operation: dict):
    """Path parameters — the real ids of their kind two times in three, anything otherwise — and
    query arguments."""

    def value(name: str) -> st.SearchStrategy:
        real = st.sampled_from(world["by_param"].get(name) or world["real"])
        return st.integers(0, 2).flatmap(lambda pick: PARAM_TEXT if pick == 2 else real)

    values = value("")
    path = st.fixed_dictionaries({name: value(name) for name in operation["path_params"]})
    query = (st.dictionaries(st.sampled_from(operation["query"]), values, max_size=len(operation["query"]))
             if operation["query"] else st.just({}))
    return path, query


def _never_500(client, world, bodies_of) -> None:
    """Every operation, with generated path and query values and bodies from `bodies_of(operation)`."""
    for operation in world["operations"]:
        path, query = _params(world, operation)

        @SETTINGS
        @given(path_values=path, query_values=query, body=bodies_of(operation))
        def check(path_values, query_values, body):
            _request(client, world, operation, path_values, query_values, body)

        check()


def test_bodies_drawn_from_each_operations_schema_never_answer_500(client, world):
    _never_500(client, world, lambda operation: _valid(operation["schema"], _values(world)) if operation["schema"]
               else st.none())


def test_any_json_never_answers_500(client, world):
    def bodies(operation):
        names = sorted((operation["schema"] or {}).get("properties", {}))
        # Objects with the operation's own field names (holding anything) reach its validation;
        # any other JSON tests the refusal of what is not an object.
        shaped = (st.dictionaries(st.sampled_from(names) | TEXT, ANY_JSON | st.sampled_from(world["real"]),
                                  max_size=len(names) + 1) if names else ANY_JSON)
        return shaped | ANY_JSON if operation["method"] in ("POST", "PATCH") else st.none() | ANY_JSON

    _never_500(client, world, bodies)


def test_the_stripe_webhook_answers_junk_with_a_4xx(client, world):
    # given bodies and signatures that are not Stripe's
    for body, signature in [("", ""), ("{}", "t=1,v1=abc"), ("[1]", "junk"), ('{"type": "payment_intent.succeeded"}', ""),
                            ("\x00\ud800", "t=x"), ("[" * 100 + "]" * 100, "")]:
        # when each is posted to the webhook
        response = client.post(WEBHOOK, data=body.encode("utf-8", "surrogatepass"), content_type="application/json",
                               headers={"X-Tenant": world["shop"]["tenant"].slug, "Stripe-Signature": signature})
        # then it is a 4xx with the JSON error body
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json["error"]["code"] in CATALOGUE

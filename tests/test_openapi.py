"""The OpenAPI document covers every API route, validates, and lists the error codes."""

from __future__ import annotations

from core.errors import CATALOGUE


def test_every_api_route_is_documented(app, client, db_session):
    spec = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    import re

    routes = {(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and rule.endpoint != "openapi.document"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - documented == set()


def test_the_document_is_valid_openapi(client, db_session):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)


def test_error_codes_are_listed(client, db_session):
    spec = client.get("/api/v1/openapi.json").json
    codes = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(CATALOGUE) <= set(_enum(spec, codes))


def _enum(spec, schema):
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema["properties"]["code"]["enum"]

"""The OpenAPI 3 documents of the APIs — the consumer API (/api/v1) and the Admin API
(/admin/api/v1) — generated from the marshmallow schemas the views use (apispec), never written by
hand. Views declare themselves with `@api_doc(...)`; a view under an API's prefix without it is a
test failure."""

from __future__ import annotations

import dataclasses
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from core.errors import CATALOGUE

API_VERSION = "1.0.0"


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "A stable code from the catalogue"})
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Messages by field path"})


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail, required=True)


def api_doc(summary: str, *, tags: list[str], body: type[Schema] | None = None, response: type[Schema] | None = None,
            status: int = 200, errors: tuple[int, ...] = (), auth: bool = False, query: dict[str, str] | None = None,
            description: str | None = None):
    """Describe an API view for the OpenAPI document."""

    def decorate(view):
        view.__api_doc__ = {"summary": summary, "tags": tags, "body": body, "response": response, "status": status,
                            "errors": errors, "auth": auth, "query": query or {}, "description": description}
        return view

    return decorate


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


@dataclasses.dataclass(frozen=True)
class APIDocument:
    """What one OpenAPI document describes: the views under `prefix` (but `document`, the view
    serving it), how their callers authenticate (`security`: the scheme's name and definition;
    with `always_authenticated` every operation needs it, otherwise those whose `api_doc` says
    `auth=True`), whether operations take the X-Tenant header, and the error statuses every
    operation may answer (`errors`). A view's blueprint may carry a `permission`
    (core.admin_api.AdminAPIBlueprint): its operations then say so and may answer 403."""

    prefix: str
    title: str
    description: str
    document: str
    security: tuple[str, dict]
    tenant_header: bool = True
    always_authenticated: bool = False
    errors: tuple[int, ...] = ()


CONSUMER_API = APIDocument(
    prefix="/api/v1/", title="Tessera consumer API", document="openapi.document",
    description="Every request names its shop: by host, the /s/<slug>/ prefix, the X-Tenant header or the bearer "
                "token. Ids are strings.",
    security=("bearer", {"type": "http", "scheme": "bearer"}))


def openapi_document(app: Flask, api: APIDocument = CONSUMER_API) -> dict:
    spec = APISpec(title=api.title, version=API_VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], info={"description": api.description})
    spec.components.schema("ErrorDetail", schema=ErrorDetail)
    spec.components.schema("Error", schema=ErrorBody)
    # The catalogue is read when the document is made, so codes that engines register appear too.
    spec.components.schemas["ErrorDetail"]["properties"]["code"]["enum"] = sorted(CATALOGUE)
    scheme, definition = api.security
    spec.components.security_scheme(scheme, definition)
    if api.tenant_header:
        spec.components.parameter("XTenant", "header", {"name": "X-Tenant", "schema": {"type": "string"},
                                                        "description": "The shop's slug"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(api.prefix) or rule.endpoint == api.document:
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, "__api_doc__", None)
        if doc is None:
            continue
        auth = doc["auth"] or api.always_authenticated
        permission = getattr(app.blueprints.get(rule.endpoint.rpartition(".")[0]), "permission", None)
        operations = {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = {"summary": doc["summary"], "tags": doc["tags"], "operationId": rule.endpoint.replace(".", "_"),
                         "parameters": (["XTenant"] if api.tenant_header else [])
                         + [{"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
                            for arg in rule.arguments]
                         + [{"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                             "description": text} for name, text in doc["query"].items()],
                         "responses": {}}
            description = "\n\n".join(filter(None, (
                doc["description"], permission and f"Needs a token carrying the permission `{permission}`.")))
            if description:
                operation["description"] = description
            if permission:
                operation["x-permission"] = permission
            if doc["body"] is not None:
                operation["requestBody"] = {"required": True,
                                            "content": {"application/json": {"schema": doc["body"]}}}
            ok = {"description": "OK"}
            if doc["response"] is not None:
                ok["content"] = {"application/json": {"schema": doc["response"]}}
            operation["responses"][str(doc["status"])] = ok
            for status in sorted({400, 404, 422, *doc["errors"], *api.errors} | ({401} if auth else set())
                                 | ({403} if permission else set())):
                codes = sorted(c for c, (s, _) in CATALOGUE.items() if s == status)
                operation["responses"][str(status)] = {
                    "description": f"Error; code one of: {', '.join(codes)}",
                    "content": {"application/json": {"schema": "Error"}}}
            if auth:
                operation["security"] = [{scheme: []}]
            operations[method.lower()] = operation
        spec.path(path=_path(rule.rule), operations=operations)
    return spec.to_dict()

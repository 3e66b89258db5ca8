"""The page API for native clients: the app shell and each page's sections with their data —
the same plan and data as the H5 page — plus the OpenAPI document."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, fields

from core.api import API_PREFIX, public_json
from core.cache import Output, cached_output, stamps
from core.errors import APIError
from core.openapi import api_doc, openapi_document
from core.tenancy import current_tenant
from runtime.renderer import live_app, load_page, output_key

bp = Blueprint("page_api", __name__, url_prefix=API_PREFIX)
openapi_bp = Blueprint("openapi", __name__, url_prefix=API_PREFIX)

PAGE_PARAMS = ("id",)


class TabOut(Schema):
    page = fields.String()
    label = fields.String()
    icon = fields.String()


class PageRefOut(Schema):
    id = fields.String()
    title = fields.String()
    kind = fields.String()


class AppOut(Schema):
    name = fields.String()
    version = fields.Integer()
    home = fields.String()
    theme = fields.Dict()
    tabbar = fields.List(fields.Nested(TabOut))
    engines = fields.List(fields.String())
    pages = fields.List(fields.Nested(PageRefOut))


class SectionOut(Schema):
    id = fields.String()
    type = fields.String()
    settings = fields.Dict()
    blocks = fields.List(fields.Dict())
    data = fields.Raw(metadata={"description": "What the component loaded (items, articles …)"})


class PageOut(Schema):
    id = fields.String()
    title = fields.String()
    kind = fields.String()
    version = fields.Integer()
    sections = fields.List(fields.Nested(SectionOut))
    media = fields.Dict(metadata={"description": "media:<id> references of the page -> url, thumbnail, size, alt"})


VARY = "X-Tenant, Authorization, Accept-Language"


def _dumps(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _json(body: dict) -> Response:
    payload = _dumps(body)
    return public_json(payload, hashlib.sha1(payload.encode()).hexdigest()[:20], vary=VARY)


def _live():
    tenant = current_tenant()
    tenant_stamps = stamps().all(tenant.id)
    compiled = live_app(tenant, tenant_stamps)
    if compiled is None:
        raise APIError("nothing_published")
    return tenant, tenant_stamps, compiled


@bp.get("/app")
@api_doc("The app shell: name, theme, tab bar and page index of the live version", tags=["pages"],
         response=AppOut, errors=(404,))
def app_shell():
    _, _, compiled = _live()
    app = compiled.app
    return _json({"name": app["name"], "version": compiled.version, "home": app["home"], "theme": app["theme"],
                  "tabbar": app["tabbar"], "engines": app["engines"],
                  "pages": [{"id": p.id, "title": p.title, "kind": p.kind} for p in compiled.pages.values()]})


@bp.get("/pages/<page_id>")
@api_doc("One page of the live version: its visible sections in order, with their loaded data", tags=["pages"],
         response=PageOut, errors=(404,), query={"id": "The record a system page shows (an article, an item)"})
def page(page_id: str):
    """Kept like the H5 page (`cached_output`): a kept answer is served without compiling the app."""
    tenant = current_tenant()
    tenant_stamps = stamps().all(tenant.id)
    params = {k: request.args[k][:40] for k in PAGE_PARAMS if request.args.get(k)}

    def make():
        compiled = live_app(tenant, tenant_stamps)
        if compiled is None:
            raise APIError("nothing_published")
        plan = compiled.pages.get(page_id)
        if plan is None:
            raise APIError("not_found", "This page does not exist.")
        ctx, data = load_page(compiled, plan, tenant, params)
        body = {"id": plan.id, "title": plan.title, "kind": plan.kind, "version": compiled.version,
                "sections": [{"id": s.id, "type": s.type, **s.component.to_api(s.raw(), data.get(s.id))}
                             for s in plan.sections],
                "media": ctx.media}
        return Output.made(_dumps(body).encode(), plan.data_kinds, tenant_stamps), ctx.expires_at

    output = cached_output(tenant.id, output_key("api", tenant_stamps, page_id, params), tenant_stamps, make)
    return public_json(output.body, output.etag, vary=VARY)


@openapi_bp.get("/openapi.json")
def document():
    return current_app.response_class(json.dumps(openapi_document(current_app), indent=1), mimetype="application/json")

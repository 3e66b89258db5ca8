"""The provisioning API (/reseller/api/v1): a reseller's own site sells shops through it, on the
services of its console (tenants.resellers). Every request carries a reseller token
(`Authorization: Bearer trt_…`, made in the partner console under API tokens); a host that is
another reseller's domain is refused. Creating a shop takes an Idempotency-Key: a retry after a
lost answer gets the first answer, never a second shop. A reseller reads and changes its own shops
only — any other id is 404. Errors are the other APIs' envelope and codes (core.errors)."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from core.db import db
from core.errors import APIError
from core.idempotency import idempotent_created
from core.openapi import APIDocument, api_doc, openapi_document
from core.paging import page_arguments
from core.plans import Plan
from core.resellers import Reseller, host_reseller
from core.tenancy import Tenant
from tenants import resellers as service

PREFIX = "/reseller/api/v1"

RESELLER_API = APIDocument(
    prefix=PREFIX + "/", title="Tessera reseller provisioning API", document="reseller_api.document",
    description="A reseller's site opens, lists, suspends and resumes its shops. Every request carries a reseller "
                "token (`Authorization: Bearer trt_…`, made in the partner console under API tokens). Ids are strings; "
                "money is integer minor units. Creating a shop takes an Idempotency-Key.",
    security=("resellerToken", {"type": "http", "scheme": "bearer",
                                "description": "A reseller token: trt_<reseller id>_<token id>_<secret>"}),
    tenant_header=False, always_authenticated=True, errors=(401, 403))

bp = Blueprint("reseller_api", __name__, url_prefix=PREFIX)


@bp.before_request
def _authenticate():
    if request.endpoint == "reseller_api.document":
        return
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        raise APIError("unauthenticated", "Send a reseller token: Authorization: Bearer trt_…")
    caller = service.caller_for(header[7:].strip())
    if caller is None:
        raise APIError("invalid_token")
    named = host_reseller()
    if named is not None and named.id != caller.reseller_id:
        raise APIError("forbidden", "This token is another reseller's.")
    g.reseller_caller = caller
    g.reseller = db.session.get(Reseller, caller.reseller_id)


class ShopIn(Schema):
    class Meta:
        unknown = EXCLUDE

    slug = fields.String(required=True, validate=validate.Length(max=40),
                         metadata={"description": "The shop's address name: /s/<slug>/"})
    name = fields.String(required=True, validate=validate.Length(max=120))
    owner_email = fields.String(required=True, validate=validate.Length(max=254))
    owner_password = fields.String(load_default=None, validate=validate.Length(max=256),
                                   metadata={"description": "Needed when the owner has no account yet"})
    plan = fields.String(load_default=None, metadata={"description": "A plan you sell; the first when left out"})
    template = fields.String(load_default=None, metadata={"description": "A template slug to start from"})
    demo_data = fields.Boolean(load_default=True)
    currency = fields.String(load_default="CNY", validate=validate.Length(equal=3))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))


class SuspendIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ShopOut(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "active, pending or suspended"})
    suspended_by = fields.String(allow_none=True)
    plan = fields.String(allow_none=True)
    currency = fields.String()
    timezone = fields.String()
    created_at = fields.String()
    back_office = fields.String(metadata={"description": "Where its owner signs in"})
    storefront = fields.String()


class ShopPage(Schema):
    items = fields.List(fields.Nested(ShopOut))
    next_cursor = fields.String(allow_none=True)


class ResellerOut(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    domain = fields.String()
    quota = fields.Integer()
    shops = fields.Integer()


def _shop_json(tenant: Tenant, plans: dict[int, str] | None = None) -> dict:
    plan = (plans or {}).get(tenant.plan_id) if plans is not None else (
        db.session.get(Plan, tenant.plan_id).slug if tenant.plan_id else None)
    base = f"https://{g.reseller.domain}"
    return {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name, "status": tenant.status.value,
            "suspended_by": tenant.suspended_by, "plan": plan, "currency": tenant.currency,
            "timezone": tenant.timezone, "created_at": tenant.created_at.isoformat(),
            "back_office": f"{base}/merchant/", "storefront": f"{base}/s/{tenant.slug}/"}


def _body(schema: Schema) -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise APIError("bad_request", "Send a JSON object.")
    try:
        return schema.load(data)
    except ValidationError as error:
        raise APIError("invalid_input", fields=error.messages) from None


@bp.get("/me")
@api_doc("The token's reseller and its quota", tags=["reseller"], response=ResellerOut)
def me():
    reseller = g.reseller
    return jsonify({"id": str(reseller.id), "slug": reseller.slug, "name": reseller.name, "domain": reseller.domain,
                    "quota": reseller.quota, "shops": service.statement(reseller).used})


@bp.get("/tenants")
@api_doc("The reseller's shops, by address name", tags=["shops"], response=ShopPage,
         query={"limit": "1 to 100 (default 50)", "cursor": "next_cursor of the previous page"})
def shops():
    limit, before = page_arguments(default=50, most=100)
    rows, next_cursor = service.shops_of(g.reseller, before=before, limit=limit)
    plans = {plan.id: plan.slug for plan, _price in service.sellable_plans(g.reseller)}
    plans.update(_plan_slugs({row.plan_id for row in rows} - set(plans)))
    return jsonify({"items": [_shop_json(row, plans) for row in rows],
                    "next_cursor": str(next_cursor) if next_cursor else None})


def _plan_slugs(ids: set) -> dict[int, str]:
    ids.discard(None)
    return dict(db.session.execute(select(Plan.id, Plan.slug).where(Plan.id.in_(ids))).all()) if ids else {}


@bp.post("/tenants")
@api_doc("Open a shop (within the quota), started from a template", tags=["shops"], body=ShopIn, response=ShopOut,
         status=201, errors=(409,),
         description="Send an Idempotency-Key: a retry gets the first answer. 403 reseller_quota_reached when the "
                     "quota is full.")
def create_shop():
    body = _body(ShopIn())

    def work():
        tenant = service.provision_tenant(g.reseller, actor=g.reseller_caller, ip=request.remote_addr, **body)
        return _shop_json(tenant), 201

    return idempotent_created(f"reseller-token:{g.reseller_caller.token_id}", work,
                              lambda shop: f"{PREFIX}/tenants/{shop['id']}", platform=True)


@bp.get("/tenants/<tenant_id>")
@api_doc("One of the reseller's shops", tags=["shops"], response=ShopOut)
def shop(tenant_id: str):
    return jsonify(_shop_json(service.shop_of(g.reseller, tenant_id)))


@bp.post("/tenants/<tenant_id>/suspend")
@api_doc("Suspend a shop: its storefront and back office close, its money in flight carries on", tags=["shops"],
         body=SuspendIn, response=ShopOut, errors=(409,))
def suspend(tenant_id: str):
    tenant = service.shop_of(g.reseller, tenant_id)
    body = _body(SuspendIn())
    return _written(lambda: service.suspend_shop(g.reseller, tenant, actor=g.reseller_caller, reason=body["reason"],
                                                 ip=request.remote_addr))


@bp.post("/tenants/<tenant_id>/resume")
@api_doc("Open again a shop the reseller suspended", tags=["shops"], response=ShopOut, errors=(409,))
def resume(tenant_id: str):
    tenant = service.shop_of(g.reseller, tenant_id)
    return _written(lambda: service.resume_shop(g.reseller, tenant, actor=g.reseller_caller, ip=request.remote_addr))


def _written(work):
    try:
        tenant = work()
    except APIError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_shop_json(tenant))


@bp.get("/openapi.json")
def document():
    return current_app.response_class(json.dumps(openapi_document(current_app, RESELLER_API), indent=1),
                                      mimetype="application/json")

"""The Admin API (/admin/api/v1): the merchant's operations over JSON, for integrations (ERP, CRM,
WMS) and scripts, on the same services as the back office (DESIGN.md §4, "Three APIs, one set of
services"). Engines declare their blueprints in `Engine.admin_api`, each made with
`AdminAPIBlueprint(..., permission=...)`; this module serves `/me` and the OpenAPI document.

Callers send a staff API token (core.staff_tokens): `Authorization: Bearer
tst_<shop>_<id>_<secret>`. The token names its shop; a host, `/s/<slug>/` prefix or X-Tenant
header that names another is refused (403 tenant_mismatch). Refused: no token (401
unauthenticated); anything but a live staff token of that shop — a consumer's token, a wrong
secret, revoked, expired, its member removed (401 invalid_token); a suspended shop's token (403
tenant_suspended); a token without the blueprint's permission, or whose member's role no longer
holds it (403 forbidden). No cookies, no CSRF. Errors are the consumer API's envelope and codes
(core.errors).

A token's `last_used_at` is written at most once a minute (core.staff_tokens.touch_token), after
the view's work and in a transaction of its own, so it never holds a lock during the work nor
goes with its rollback."""

from __future__ import annotations

import contextlib
import json
import logging

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError

from core import audit
from core.db import db, sqlite_read_only
from core.engines import require_engine_of
from core.errors import APIError
from core.openapi import APIDocument, api_doc, openapi_document
from core.paging import page_arguments
from core.resolution import directory
from core.staff_tokens import StaffCaller, caller_for_token, parse_token, touch_token
from core.tenancy import Tenant, TenantStatus, current_tenant_id, set_request_tenant

log = logging.getLogger(__name__)

ADMIN_API_PREFIX = "/admin/api/v1"
MAX_PAGE = 100

ADMIN_API = APIDocument(
    prefix=ADMIN_API_PREFIX + "/", title="Tessera Admin API", document="admin_api.document",
    description="The merchant's operations for integrations and scripts. Every request carries a staff API token "
                "(`Authorization: Bearer tst_…`, made in the back office under API tokens or with `tessera api-tokens "
                "create`), which names its shop and carries a subset of its staff member's permissions. Ids are "
                "strings; money is integer minor units of the shop's currency. Creates take an Idempotency-Key.",
    security=("staffToken", {"type": "http", "scheme": "bearer",
                             "description": "A staff API token: tst_<shop id>_<token id>_<secret>"}),
    tenant_header=False, always_authenticated=True, errors=(401, 403))  # 403: a suspended shop, another shop


class AdminAPIBlueprint(Blueprint):
    """A blueprint under /admin/api/v1 whose views need a live staff token of the shop it names,
    carrying `permission` (None: any live token). Views marked with `public` need none."""

    def __init__(self, name: str, import_name: str, *, permission: str | None, url_prefix: str = "", **kwargs):
        super().__init__(name, import_name, url_prefix=ADMIN_API_PREFIX + url_prefix, **kwargs)
        self.permission = permission  # read by core.openapi for the document
        self._public: set[str] = set()
        self.before_request(self._authenticate)
        self.after_request(_record_use)

    def public(self, view):
        """Mark a view as needing no token (the OpenAPI document)."""
        self._public.add(f"{self.name}.{view.__name__}")
        return view

    def _authenticate(self) -> None:
        if request.endpoint in self._public:
            return
        caller = authenticate_request()
        if self.permission is not None and not caller.can(self.permission):
            raise APIError("forbidden", f"This token does not carry the permission {self.permission}.")


def authenticate_request() -> StaffCaller:
    """The caller of the request's staff token, its shop put in context for the request; raises
    the refusals the module's docstring lists."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        raise APIError("unauthenticated", "Send a staff API token: Authorization: Bearer tst_…")
    parsed = parse_token(header[7:].strip())
    found = directory.by_id(parsed[0]) if parsed else None
    if found is None:
        raise APIError("invalid_token")
    context, status = found
    named = g.get("tenant")  # by the host or the /s/<slug>/ prefix
    if named is not None and named.id != context.id:
        raise APIError("tenant_mismatch")
    slug = request.headers.get("X-Tenant", "").strip().lower()
    if slug and slug != context.slug:
        raise APIError("tenant_mismatch", "The X-Tenant header names another shop than the token.")
    set_request_tenant(context)
    caller = caller_for_token(parsed[1], parsed[2])
    if caller is None:
        raise APIError("invalid_token")
    if status == TenantStatus.SUSPENDED:
        raise APIError("tenant_suspended")
    require_engine_of(request.blueprint)  # an engine the shop's plan leaves out: 403 plan_limit_reached
    g.tenant = context
    g.staff_caller = caller
    return caller


def _record_use(response):
    """After the view: write the token's `last_used_at` when it is a minute old, in a transaction
    of its own. Whatever the view left uncommitted is dropped first, as the request's end would."""
    caller = g.get("staff_caller")
    if caller is None or not caller.touch_due:
        return response
    try:
        db.session.rollback()
        sqlite_read_only.set(False)  # SQLite: a write begins IMMEDIATE
        touch_token(caller.token_id)
        db.session.commit()
    except SQLAlchemyError:  # a busy database costs the record of a use, never the answer
        db.session.rollback()
        log.warning("could not record the use of API token %s", caller.token_id, exc_info=True)
    return response


def current_caller() -> StaffCaller:
    caller = g.get("staff_caller")
    if caller is None:
        raise APIError("unauthenticated")
    return caller


def staff_actor() -> str:
    """The actor of an order's transitions made through the API: the token's staff member, as the
    back office writes it."""
    return f"staff:{current_caller().member_id}"


def idempotency_scope() -> str:
    """Idempotency-Keys are the token's own (core.idempotency)."""
    return f"staff-token:{current_caller().token_id}"


def record_audit(action: str, *, target: str, details: dict | None = None) -> None:
    """An audit row for an Admin API write, in the caller's transaction: the token's person is
    the actor (as in the back office), the token is in the details."""
    caller = current_caller()
    audit.record(action, actor=caller, tenant_id=current_tenant_id(), target=target,
                 details={**(details or {}), "api_token": str(caller.token_id)}, ip=request.remote_addr)


@contextlib.contextmanager
def writing():
    """The block's writes (a service call and its `record_audit`) commit together when it ends,
    or roll back when it raises: a refusal leaves nothing half-written."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def page_args() -> tuple[int, int | None]:
    """(limit, cursor) of an Admin API list: `?limit=` 1 to MAX_PAGE (default 50), `?cursor=` the
    `next_cursor` of the previous page; 422 otherwise (core.paging)."""
    return page_arguments(default=50, most=MAX_PAGE)


PAGE_QUERY = {"limit": f"1 to {MAX_PAGE} (default 50)", "cursor": "next_cursor of the previous page"}


# -- /me and the document ------------------------------------------------------------------------

bp = AdminAPIBlueprint("admin_api", __name__, permission=None)


class ShopOut(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    currency = fields.String()
    timezone = fields.String()


class StaffOut(Schema):
    id = fields.String()
    email = fields.String()
    role = fields.String()


class TokenOut(Schema):
    id = fields.String()
    name = fields.String()
    expires_at = fields.String(allow_none=True)


class MeOut(Schema):
    shop = fields.Nested(ShopOut)
    staff = fields.Nested(StaffOut)
    token = fields.Nested(TokenOut)
    permissions = fields.List(fields.String(), metadata={
        "description": "What the token may do now: its permissions that the member's role still holds"})


@bp.get("/me")
@api_doc("The token's shop, staff member and permissions", tags=["token"], response=MeOut)
def me():
    caller = current_caller()
    shop = db.session.get(Tenant, current_tenant_id())
    return jsonify({"shop": {"id": str(shop.id), "slug": shop.slug, "name": shop.name, "currency": shop.currency,
                             "timezone": shop.timezone},
                    "staff": {"id": str(caller.member_id), "email": caller.email, "role": caller.role},
                    "token": {"id": str(caller.token_id), "name": caller.token_name,
                              "expires_at": caller.expires_at.isoformat() if caller.expires_at else None},
                    "permissions": list(caller.permissions)})


@bp.get("/openapi.json")
@bp.public
def document():
    return current_app.response_class(json.dumps(openapi_document(current_app, ADMIN_API), indent=1),
                                      mimetype="application/json")

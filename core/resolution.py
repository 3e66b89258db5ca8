"""Tenant resolution (DESIGN.md §2), in order: custom domain, `<slug>.<base domain>`, the
`/s/<slug>/` path prefix (mounted like a script root, so `url_for` works on every host), and for
the JSON API the `X-Tenant` header or the tenant of the bearer token. A header or host that
disagrees with the token is refused.

Lookups are kept in process while the tenant's stamp holds, so a cached page costs no database
query however many shops there are; a change to a tenant (suspending it) reaches every process
at its commit."""

from __future__ import annotations

import json
import re
import time
import weakref

from flask import Flask, current_app, g, request, url_for
from sqlalchemy import bindparam, event, select

from core.cache import Output, OutputCache, bump_after_commit, stamps

from core.consumers import parse_token
from core.db import db
from core.errors import APIError
from core.tenancy import Domain, Tenant, TenantContext, TenantStatus, execute_platform, set_request_tenant

_PREFIX = re.compile(r"^/s/([a-z0-9][a-z0-9-]{0,39})(/.*)?$")
MISSING_SECONDS = 5.0
DIRECTORY_SIZE = 50_000  # shops (and names of none) kept in each process
TENANT_STAMP = "tenant"


class PathPrefixMiddleware:
    """Moves `/s/<slug>` from PATH_INFO to SCRIPT_NAME and remembers the slug."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        match = _PREFIX.match(environ.get("PATH_INFO", ""))
        if match:
            environ["tessera.tenant_slug"] = match.group(1)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + f"/s/{match.group(1)}"
            environ["PATH_INFO"] = match.group(2) or "/"
        return self.wsgi_app(environ, start_response)


class TenantDirectory:
    """slug/host/id -> (TenantContext, status), in the app's directory cache: bounded in process,
    shared by every process through Redis when configured (`OutputCache`), so probing random
    names cannot grow it and a process meeting one of ten thousand shops for the first time asks
    Redis, not the database. A shop is kept while its "tenant" stamp holds — every change to a
    tenant or its domains moves it after commit, in every process (`_bump_on_change`); a name of
    no shop is kept a few seconds, in process."""

    def _lookup(self, kind: str, key: str):
        cache: OutputCache = current_app.extensions["tessera_directory"]
        hit = cache.get(0, (kind, key))
        if hit is not None:
            if not hit.body:
                return None
            value = _unpacked(hit.body)
            if hit.holds(stamps().all(value[0].id)):
                return value
        # The stamp is read before the row that is kept: a change committed after that read moves
        # the stamp (its bump follows its commit), so no entry outlives a change it missed.
        tenant_id = int(key) if kind == "id" else getattr(self._query(kind, key), "id", None)
        if tenant_id is None:
            cache.local.set((0, (kind, key)), _NO_SHOP, expires_at=time.time() + MISSING_SECONDS)
            return None
        tenant_stamps = stamps().all(tenant_id)
        row = self._query(kind, key)
        if row is None:
            return None
        value = (TenantContext(id=row.id, slug=row.slug, currency=row.currency, timezone=row.timezone,
                               plan_id=row.plan_id), row.status.value)
        if row.id == tenant_id:  # (not when the name moved to another shop between the two reads)
            cache.set(0, (kind, key), Output.made(_packed(value), (TENANT_STAMP,), tenant_stamps))
        return value

    @staticmethod
    def _query(kind: str, key: str):
        db.session.flush()  # (a change to a tenant this session holds is seen: prepared statements don't flush)
        return execute_platform(_FIND[kind], {"key": int(key) if kind == "id" else key}).first()

    def by_slug(self, slug: str):
        return self._lookup("slug", slug)

    def by_id(self, tenant_id: int):
        return self._lookup("id", str(tenant_id))

    def by_host(self, host: str):
        return self._lookup("host", host)

    def __init__(self):
        self._caches: weakref.WeakSet[OutputCache] = weakref.WeakSet()  # one per app

    def cache_for(self, app: Flask) -> OutputCache:
        cache = OutputCache(DIRECTORY_SIZE, app.config.get("REDIS_URL"))
        self._caches.add(cache)
        return cache

    def forget(self, tenant: Tenant | None = None) -> None:
        """Drop this process's entries now (the other processes follow the tenant's stamp at its
        commit)."""
        for cache in list(self._caches):
            cache.clear()


_NO_SHOP = Output(b"", "", (), ())
_TENANT = select(Tenant.id, Tenant.slug, Tenant.currency, Tenant.timezone, Tenant.status, Tenant.plan_id)
_FIND = {"id": _TENANT.where(Tenant.id == bindparam("key")),
         "slug": _TENANT.where(Tenant.slug == bindparam("key")),
         "host": _TENANT.join(Domain).where(Domain.host == bindparam("key"), Domain.verified_at.is_not(None))}


def _packed(value: tuple[TenantContext, str]) -> bytes:
    context, status = value
    return json.dumps([context.id, context.slug, context.currency, context.timezone, status, context.plan_id]).encode()


def _unpacked(body: bytes) -> tuple[TenantContext, str]:
    tenant_id, slug, currency, timezone, status, *plan = json.loads(body)  # (entries kept before plans had none)
    return TenantContext(id=tenant_id, slug=slug, currency=currency, timezone=timezone,
                         plan_id=plan[0] if plan else None), status


@event.listens_for(Tenant, "after_update")
@event.listens_for(Domain, "after_insert")
@event.listens_for(Domain, "after_update")
@event.listens_for(Domain, "after_delete")
def _bump_on_change(mapper, connection, target) -> None:
    bump_after_commit(target.id if isinstance(target, Tenant) else target.tenant_id, TENANT_STAMP)


directory = TenantDirectory()


def _host(environ: dict) -> str:
    return (environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")).split(":", 1)[0].lower()


def _resolve(base_domain: str, environ: dict, request_globals):
    """(context, status, how) for the request, or None; raises APIError on a contradiction. Reads
    the WSGI environ directly: this runs before every request."""
    found = None
    slug = environ.get("tessera.tenant_slug")
    if slug:
        found = directory.by_slug(slug) or _missing()
    else:
        host = _host(environ)
        if host.endswith("." + base_domain) and host.count(".") == base_domain.count(".") + 1:
            found = directory.by_slug(host[: -len(base_domain) - 1]) or _missing()
        elif host != base_domain and host not in ("localhost", "127.0.0.1"):
            found = directory.by_host(host)
        request_globals.tenant_from_host = found is not None
    if not environ.get("PATH_INFO", "").startswith("/api/"):
        return found
    header = environ.get("HTTP_X_TENANT", "").strip().lower()
    if header:
        by_header = directory.by_slug(header) or _missing()
        if found and by_header[0].id != found[0].id:
            raise APIError("tenant_mismatch", "The X-Tenant header names another shop than the host.")
        found = by_header
    bearer = environ.get("HTTP_AUTHORIZATION", "")
    if bearer[:7].lower() == "bearer ":
        parsed = parse_token(bearer[7:].strip())
        if parsed is None:
            raise APIError("invalid_token")
        token_tenant = directory.by_id(parsed[0])
        if token_tenant is None:
            raise APIError("invalid_token")
        if found and found[0].id != token_tenant[0].id:
            raise APIError("tenant_mismatch")
        request_globals.bearer = parsed
        found = found or token_tenant
    return found


def shop_url(endpoint: str, **values) -> str:
    """An absolute URL of a page of the current shop, whichever way this request named the shop:
    a `/s/<slug>` prefix or the shop's own host carry over; a bearer token or an X-Tenant header
    name neither, so the prefix is added."""
    path = url_for(endpoint, **values)
    base = request.host_url.rstrip("/")
    if request.environ.get("tessera.tenant_slug") or g.get("tenant_from_host"):
        return base + path
    return f"{base}/s/{g.tenant.slug}{path}"


def _missing():
    raise APIError("tenant_not_found")


def tenant_required():
    """Views that serve a tenant's storefront or API call this (through their blueprint)."""
    if getattr(g, "tenant", None) is None:
        if request.path.startswith("/api/"):
            raise APIError("tenant_required")
        raise APIError("tenant_not_found")


def _is_asset(endpoint: str | None) -> bool:
    """The app's static files or a blueprint's."""
    return endpoint == "static" or (endpoint or "").endswith(".static")


def init_app(app: Flask, *, tenant_blueprints: set[str], suspension_exempt: set[str]) -> None:
    """Resolve the tenant of every request; refuse unknown or suspended ones on the blueprints
    that serve tenants. Endpoints in `suspension_exempt` (payment webhooks) still run."""
    app.wsgi_app = PathPrefixMiddleware(app.wsgi_app)
    app.extensions["tessera_directory"] = directory.cache_for(app)

    @app.before_request
    def _resolve_tenant():
        request_globals = g._get_current_object()
        request_globals.tenant = None
        if _is_asset(request.endpoint):
            return  # assets are the same for every shop, and the page saying a shop is closed needs them
        found = _resolve(app.config["BASE_DOMAIN"], request.environ, request_globals)
        if found is None:
            return
        context, status = found
        if status == TenantStatus.SUSPENDED and request.endpoint not in suspension_exempt:
            raise APIError("tenant_suspended")
        request_globals.tenant = context
        set_request_tenant(context)

    @app.before_request
    def _require_tenant():
        endpoint = request.endpoint or ""
        if _is_asset(endpoint):
            return  # assets are the same for every shop
        if endpoint.rpartition(".")[0] in tenant_blueprints or request.environ.get("tessera.tenant_slug"):
            tenant_required()

    @app.teardown_request
    def _clear_tenant(exc):
        set_request_tenant(None)

"""create_app(): the one place that assembles Tessera's packages (DESIGN.md §1)."""

from __future__ import annotations

from flask import Flask, g, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from core import cache, errors, i18n, jobs, resellers, resolution, security, storage
from core.backoffice import backoffice_nav
from core.config import check_config, load_config
from core.engines import install_engines, provide_published_settings, require_engine_of
from core.single_process import OneServingProcess
from core.staff_session import signed_in_identity
from core.db import configure_engine, db, sqlite_read_only
from core.ids import IdConverter
from core.json_output import OrjsonProvider
from core.tenancy import install_rls_transaction_settings


class Tessera(Flask):
    """Flask, answering `ensure_sync` once per function: Flask asks it for every hook and view of
    every request (a dozen signature inspections a request), and the answer never changes. Its
    JSON answers are written by orjson (core.json_output)."""

    json_provider_class = OrjsonProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment, then `config` on top (tests pass their own)."""
    settings = load_config()
    settings.update(config or {})
    check_config(settings)
    app = Tessera(__name__, instance_path=settings["INSTANCE_PATH"], static_folder="core/static",
                template_folder="core/templates")
    app.config.update(settings)
    app.url_map.converters["int"] = IdConverter
    # PostgreSQL connections idle for a while are pinged at checkout (core.db._ping_when_idle)
    app.config.setdefault("MAX_CONTENT_LENGTH", 6 * 1024 * 1024)  # media uploads are 5 MB at most

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app_role=app.config.get("DB_APP_ROLE", True))
        if db.engine.dialect.name == "postgresql":
            install_rls_transaction_settings(db.engine)

    import runtime.components  # noqa: F401  registers the basic component library
    from builder.api_tokens import bp as api_tokens_bp
    from builder.designer import bp as designer_bp
    from builder.merchant import bp as merchant_bp
    from core import events  # noqa: F401  registers the outbox jobs
    from core.admin_api import bp as admin_api_bp
    from core.address_api import bp as address_api_bp
    from core.auth_api import bp as auth_api_bp
    from core.health import bp as health_bp
    from runtime import storefront
    from runtime.api import bp as page_api_bp
    from runtime.api import openapi_bp
    from runtime.renderer import published_settings, rich_text
    from templates_library.gallery import bp as template_gallery_bp
    from templates_library.gallery import start_from, starters
    from tenants import signup
    from tenants.starters import Starter, offer_templates
    from tenants.billing_pages import bp as billing_bp
    from tenants.billing_stripe import bp as billing_stripe_bp
    from tenants.domain_pages import bp as domains_bp
    from tenants.support import bp as support_bp
    from tenants.console import bp as console_bp
    from tenants.reseller_api import bp as reseller_api_bp
    from tenants.reseller_console import bp as reseller_console_bp

    errors.init_app(app)
    i18n.init_app(app)
    jobs.init_app(app)
    cache.init_app(app)
    storage.init_app(app)
    parts = install_engines(production=app.config["TESSERA_ENV"] == "production")
    provide_published_settings(published_settings)  # services read their engine's flow settings
    events.registry_complete()  # every engine's events and handlers are known: emit may decide alone
    api_blueprints = [auth_api_bp, address_api_bp, page_api_bp, *parts.api]
    # pay pages stand for a provider's hosted page: their signed links are their protection
    security.init_app(app, csrf_exempt=[*api_blueprints, openapi_bp, *parts.pages, *parts.admin_api, reseller_api_bp,
                                         billing_stripe_bp])
    resolution.init_app(app, tenant_blueprints={"storefront", *(b.name for b in parts.pages),
                                                *(b.name for b in api_blueprints)},
                        suspension_exempt=set(parts.suspension_exempt))

    @app.before_request
    def _engine_in_the_shops_plan():
        """A shop's consumer API and pages of an engine its plan leaves out: 403 plan_limit_reached."""
        if g.get("tenant") is not None:
            require_engine_of(request.blueprint)
    app.jinja_env.globals["rich_text"] = rich_text
    app.jinja_env.globals["backoffice_nav"] = backoffice_nav
    app.jinja_env.globals.update(brand=resellers.brand, brand_logo=resellers.logo_url)

    for blueprint in (health_bp, auth_api_bp, address_api_bp, page_api_bp, openapi_bp, storefront.bp, console_bp, merchant_bp,
                      designer_bp, api_tokens_bp, admin_api_bp, *parts.api, *parts.back_office, *parts.pages,
                      *parts.admin_api, template_gallery_bp, signup.bp, billing_bp, domains_bp, support_bp,
                      resellers.bp, reseller_console_bp, reseller_api_bp, billing_stripe_bp):
        app.register_blueprint(blueprint)
    offer_templates(starters=lambda: [Starter(**card) for card in starters()], start=start_from)

    @app.before_request
    def _read_only_requests_begin_deferred():
        sqlite_read_only.set(request.method in ("GET", "HEAD", "OPTIONS"))

    @app.get("/", endpoint="index")
    def index():
        """A shop's host or prefix shows its storefront; the platform's own host, the front page
        (sign-up) to visitors and the back office to staff who are signed in."""
        if g.get("tenant") is not None:
            return storefront.home()
        if signed_in_identity() is None:
            return signup.landing()
        return redirect(url_for("merchant.dashboard"))

    if not app.config.get("REDIS_URL"):
        app.wsgi_app = OneServingProcess(app.wsgi_app, app.config["INSTANCE_PATH"])
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:  # outermost: everything inside sees the client's address, scheme and host
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app

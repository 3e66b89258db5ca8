"""The H5 storefront: `/` and `/p/<page_id>` of the tenant's live app (at `/s/<slug>/` or the
tenant's own hosts), its theme stylesheet, and the draft preview for signed-in staff.

Cached pages are anonymous: the same bytes for every visitor, no cookie, no CSRF token."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, send_from_directory, session
from flask_babel import gettext as _

from core.cache import Output, cached_output, stamps
from core.components import SYSTEM_PAGES
from core.engines import ENGINES_PACKAGE, load
from core.engines import engine as engine_named
from core.identities import staff_member_for
from core.tenancy import current_tenant
from runtime.preview import preview_token_valid
from runtime.renderer import cached_page, compile_document, live_app, output_key, render_page, theme_css
from runtime.services import get_app

bp = Blueprint("storefront", __name__, template_folder="templates", static_folder="static",
               static_url_path="/runtime-static")

STOREFRONT_CSP = ("default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; style-src 'self'; "
                  "script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'")
PAGE_PARAMS = ("id",)


def _params() -> dict[str, str]:
    return {k: request.args[k][:40] for k in PAGE_PARAMS if request.args.get(k)}


def _respond(output: Output) -> Response:
    if output.etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(output.body, mimetype="text/html")
    response.set_etag(output.etag)
    response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Security-Policy"] = STOREFRONT_CSP
    return response


def _not_published() -> Response:
    """"Opening soon", kept like a page: probing a shop that has not opened costs no render."""
    tenant = current_tenant()
    tenant_stamps = stamps().all(tenant.id)

    def make():
        html = render_template("runtime/unpublished.html", tenant=tenant)
        return Output.made(html.encode(), (), tenant_stamps), None

    output = cached_output(tenant.id, output_key("unpublished", tenant_stamps, "", {}), tenant_stamps, make)
    response = Response(output.body, status=404, mimetype="text/html")
    response.headers["Vary"] = "Accept-Language"
    return response


def home():
    return page(None)


@bp.get("/p/<page_id>")
def page(page_id: str | None):
    tenant = current_tenant()
    found = cached_page(tenant, page_id, _params())
    if found is None:
        abort(404, description=_("This page does not exist."))
    return _respond(found) if found.body else _not_published()


@bp.get("/theme.css")
def theme():
    tenant = current_tenant()
    compiled = live_app(tenant, stamps().all(tenant.id))
    if compiled is None:
        abort(404)
    response = Response(theme_css(compiled), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if request.args.get("v") else "no-cache"
    return response


def _may_preview() -> str | None:
    """Staff of this shop signed in, or a valid signed preview link: the token to carry on, or
    "" for staff; aborts 403 otherwise."""
    token = request.args.get("token", "")
    if token and preview_token_valid(token, current_tenant().id):
        return token
    identity_id = session.get("identity_id")
    if identity_id and staff_member_for(int(identity_id)) is not None:
        return ""
    abort(403, description=_("Sign in to the back office of this shop to preview its draft."))


@bp.get("/preview/p/<page_id>")
def preview(page_id: str):
    """The draft, rendered by the same code, for staff of this shop or a signed preview link.
    Never cached."""
    token = _may_preview()
    app = get_app()
    if app is None:
        abort(404)
    compiled = compile_document(app.draft, None)
    if page_id not in compiled.pages:
        abort(404, description=_("This page does not exist."))
    html, _expires = render_page(compiled, compiled.pages[page_id], current_tenant(), _params(),
                                 preview=token or True)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = STOREFRONT_CSP
    return response


@bp.get("/preview/theme.css")
def preview_theme():
    _may_preview()
    app = get_app() or abort(404)
    response = Response(theme_css(compile_document(app.draft, None)), mimetype="text/css")
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the consumer's own pages: sign-in, the member centre, addresses, cart, checkout, orders ------
# System pages of the app document: each has a main section (an AppSection) that the page's H5
# module fills from the consumer API with the consumer's bearer token, as a mini-program does, so
# the page is the same for every visitor and cached like any other.

def _system(kind: str):
    tenant = current_tenant()
    found = cached_page(tenant, None, {}, kind=kind)
    if found is None:
        abort(404)
    return _respond(found) if found.body else _not_published()


@bp.get("/view/<kind>")
def system_view(kind: str):
    """A page of a system kind that shows one thing (`?id=`: an item, a service) in an app whose
    document has no page of that kind: the kind's main section alone."""
    if kind not in SYSTEM_PAGES:
        abort(404)
    found = cached_page(current_tenant(), None, _params(), kind=kind)
    if found is None:
        abort(404)
    return _respond(found) if found.body else _not_published()


@bp.get("/account/login")
def login():
    return _system("login")


@bp.get("/me")
def member():
    return _system("member")


@bp.get("/addresses")
def addresses():
    return _system("addresses")


@bp.get("/cart")
def cart():
    return _system("cart")


@bp.get("/checkout")
def checkout():
    return _system("checkout")


@bp.get("/orders")
def orders():
    return _system("orders")


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _system("order")  # the module reads the order's id from the address


@bp.get("/my/<kind>")
def member_page(kind: str):
    """An engine's page of the member centre (the consumer's coupons …)."""
    found = SYSTEM_PAGES.get(kind)
    if found is None or not found.member_centre:
        abort(404)
    return _system(kind)


@bp.get("/h5/<engine>/<path:filename>")
def engine_module(engine: str, filename: str):
    """An engine's H5 modules (engines/<engine>/static/)."""
    if engine_named(engine) is None:
        abort(404)
    return send_from_directory(Path(load(f"{ENGINES_PACKAGE}.{engine}").__file__).parent / "static", filename)

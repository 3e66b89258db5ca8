"""The H5 storefront: `/` and `/p/<page_id>` of the tenant's live app (at `/s/<slug>/` or the
tenant's own hosts), its theme stylesheet, and the draft preview for signed-in staff.

Cached pages are anonymous: the same bytes for every visitor, no cookie, no CSRF token."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.cache import stamps
from core.identities import staff_member_for
from core.tenancy import current_tenant
from runtime.preview import preview_token_valid
from runtime.renderer import cached_page, compile_document, live_app, render_page, theme_css
from runtime.services import get_app

bp = Blueprint("storefront", __name__, template_folder="templates", static_folder="static",
               static_url_path="/runtime-static")

STOREFRONT_CSP = ("default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; style-src 'self'; "
                  "script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'")
PAGE_PARAMS = ("id",)


def _params() -> dict[str, str]:
    return {k: request.args[k][:40] for k in PAGE_PARAMS if request.args.get(k)}


def _respond(html: str, etag: str, *, cache: bool = True) -> Response:
    if cache and etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(html, mimetype="text/html")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=0, must-revalidate" if cache else "no-store"
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Security-Policy"] = STOREFRONT_CSP
    return response


def _not_published():
    return render_template("runtime/unpublished.html", tenant=current_tenant()), 404


def home():
    return page(None)


@bp.get("/p/<page_id>")
def page(page_id: str | None):
    tenant = current_tenant()
    found = cached_page(tenant, page_id, _params())
    if found is None:
        if live_app(tenant, stamps().all(tenant.id)) is None:
            return _not_published()
        abort(404, description=_("This page does not exist."))
    return _respond(*found)


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


# -- the consumer's own pages: sign-in, cart, checkout, orders -----------------------------------
# One shell per view, the same for every visitor (nothing personal is rendered on the server):
# shop.js fills it from the JSON API with the consumer's bearer token, as a mini-program would.
SHOP_VIEWS = {"login": _l("Sign in"), "cart": _l("Cart"), "checkout": _l("Checkout"), "orders": _l("My orders"),
              "order": _l("Order"), "addresses": _l("My addresses")}


def _shell(view: str, **data):
    tenant = current_tenant()
    compiled = live_app(tenant, stamps().all(tenant.id))
    if compiled is None:
        return _not_published()
    html = render_template("runtime/shop.html", view=view, title=SHOP_VIEWS[view], compiled=compiled, data=data,
                           app=compiled.app, item_page=compiled.kind_pages.get("item"))
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = STOREFRONT_CSP
    return response


@bp.get("/account/login")
def login():
    return _shell("login")


@bp.get("/cart")
def cart():
    return _shell("cart")


@bp.get("/checkout")
def checkout():
    return _shell("checkout")


@bp.get("/orders")
def orders():
    return _shell("orders")


@bp.get("/addresses")
def addresses():
    return _shell("addresses")


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _shell("order", order_id=str(order_id))

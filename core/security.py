"""Web security shared by every console: rate limits, CSRF, session cookies, the response
headers (a strict Content-Security-Policy) and the refusal of text PostgreSQL cannot store."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from core.errors import APIError, register_codes

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def auth_rate_limit() -> str:
    """The limit on every sign-in endpoint (API and consoles), per client address. Read per
    request from the app's config: the limiter is one object shared by every app in a process."""
    return current_app.config.get("AUTH_RATE_LIMIT", "10/minute")
csrf = CSRFProtect()

CONSOLE_CSP = ("default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; "
               "font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; "
               "base-uri 'none'; object-src 'none'")


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for the consoles and storefront; API requests (bearer tokens) open none,
    which also saves building a signer for every API request, and a request without the cookie
    starts an empty one without a signer."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return None  # Flask uses its null session: reading is empty, writing is an error
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # nothing to read: no signer to build (the pay page)
        return super().open_session(app, request)


def init_app(app: Flask, *, csrf_exempt: list) -> None:
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # Secure cookies wherever Tessera runs under a real domain (served over HTTPS); the embedded
    # default on localhost speaks plain HTTP.
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config.get("BASE_DOMAIN", "localhost") != "localhost")
    app.config.setdefault("SESSION_COOKIE_NAME", "tessera_session")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", dt.timedelta(hours=12))
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    # Tessera has no shop-wide limits: the decorated views (sign-in) check their own limits, so the
    # check Flask-Limiter runs before every request is taken out (0.2 ms a request, measured).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.session_interface = ConsoleSessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_text)
    csrf.init_app(app)
    for blueprint in csrf_exempt:
        csrf.exempt(blueprint)

    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    limiter_hooks = {Limiter._Limiter__inject_headers, Limiter._Limiter__release_context}
    for hooks in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
        hooks[:] = [_when_limited(hook) if getattr(hook, "func", getattr(hook, "__func__", None)) in limiter_hooks
                    else hook for hook in hooks]


register_codes({"nul_in_text": (400, "Text may not contain the NUL character (U+0000).")})


def refuse_nul_text() -> None:
    """Refuse (400 `nul_in_text`) a request whose query string, form fields or JSON body holds
    the NUL character, before any view reads it: PostgreSQL's text cannot store it, and the
    answer must not depend on the database. Uploaded files may hold any byte. Reads the WSGI
    environ first: this runs before every request."""
    environ = request.environ
    if "%00" in environ.get("QUERY_STRING", ""):
        raise APIError("nul_in_text")
    if environ["REQUEST_METHOD"] in ("GET", "HEAD", "OPTIONS"):
        return
    if request.is_json:  # JSON escapes NUL as \u0000 (a raw one is not JSON)
        if b"\\u0000" in request.get_data() and _holds_nul(request.get_json(silent=True)):
            raise APIError("nul_in_text")
    elif request.mimetype == "application/x-www-form-urlencoded":
        if b"%00" in request.get_data():
            raise APIError("nul_in_text")
    elif request.mimetype == "multipart/form-data":
        if any("\x00" in value for _, value in request.form.items(multi=True)):
            raise APIError("nul_in_text")


def _holds_nul(data) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(_holds_nul(key) or _holds_nul(value) for key, value in data.items())
    if isinstance(data, list):
        return any(_holds_nul(value) for value in data)
    return False


def _when_limited(hook):
    """Flask-Limiter's after-request and teardown hooks, run only for the requests a limit was
    checked on (it keeps its per-request state on the request context, made by that check): the
    others have no headers to add and nothing to release."""

    def run(arg):
        if hasattr(request_ctx._get_current_object(), "_limiter_request_context"):
            return hook(arg)
        return arg

    return run


_ALWAYS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin"))
_HTML = (("Content-Security-Policy", CONSOLE_CSP), ("X-Frame-Options", "SAMEORIGIN"))


class SecurityHeaders:
    """WSGI middleware giving every answer the headers it does not set itself: no MIME sniffing,
    a strict referrer policy and, on HTML, the consoles' Content-Security-Policy and no framing
    by other sites (the storefront and the pay page set their own policy)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower(): value for name, value in headers}
            headers.extend(header for header in _ALWAYS if header[0].lower() not in present)
            if present.get("content-type", "").startswith("text/html"):
                headers.extend(header for header in _HTML if header[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

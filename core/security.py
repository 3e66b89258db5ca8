"""Web security shared by every console: rate limits, CSRF, session cookies, the response
headers (a strict Content-Security-Policy, HSTS over HTTPS), the proxies trusted for the client's
address, and the refusal of text PostgreSQL cannot store.

Session cookie settings come from `core.config` (Flask fills its own defaults when the app is
made, so they must be set, not defaulted, to take effect)."""

from __future__ import annotations

import json
import re
from json.decoder import scanstring

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
    return current_app.config["AUTH_RATE_LIMIT"]


def account_rate_limit() -> str:
    """The limit on sign-in attempts per account (an email or phone), wherever they come from."""
    return current_app.config["ACCOUNT_RATE_LIMIT"]


def attempted_account() -> str:
    """The account a sign-in attempt names, for the per-account limit: the API's `login` or
    `phone`, a console form's `email` — normalised enough that case or spaces do not open a new
    bucket. Attempts naming nothing share one bucket."""
    body = request.get_json(silent=True) if request.is_json else None
    values = body if isinstance(body, dict) else request.form
    named = next((values.get(name) for name in ("login", "phone", "email") if isinstance(values.get(name), str)), "")
    cleaned = "".join(ch for ch in named.strip().lower() if ch not in " ()-\t")[:254]
    return f"account:{request.blueprint}:{cleaned}"


csrf = CSRFProtect()

CONSOLE_CSP = ("default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; "
               "font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; "
               "base-uri 'none'; object-src 'none'")


def console_csp(*, form_action: tuple[str, ...] = ()) -> str:
    """The consoles' policy, its forms also let lead to `form_action`'s origins (a form whose
    answer redirects to a provider's hosted page: browsers hold redirects to form-action too)."""
    if not form_action:
        return CONSOLE_CSP
    return CONSOLE_CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(form_action))


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for the consoles and storefront; API requests (the consumer API's bearer
    tokens, the Admin API's staff tokens) open none — a console's cookie never signs an API call
    in — which also saves building a signer for every API request; a request without the cookie
    starts an empty one without a signer."""

    def open_session(self, app, request):
        if request.path.startswith(("/api/", "/admin/api/")):
            return None  # Flask uses its null session: reading is empty, writing is an error
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # nothing to read: no signer to build (the pay page)
        return super().open_session(app, request)


def init_app(app: Flask, *, csrf_exempt: list) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis away: limits go on in this process's memory rather than failing the request
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    # Tessera has no shop-wide limits: the decorated views (sign-in) check their own limits, so the
    # check Flask-Limiter runs before every request is taken out (0.2 ms a request, measured).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.session_interface = ConsoleSessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_text)
    csrf.init_app(app)
    for blueprint in csrf_exempt:
        csrf.exempt(blueprint)

    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    limiter_hooks = {Limiter._Limiter__inject_headers, Limiter._Limiter__release_context}
    for hooks in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
        hooks[:] = [_when_limited(hook) if getattr(hook, "func", getattr(hook, "__func__", None)) in limiter_hooks
                    else hook for hook in hooks]


register_codes({"nul_in_text": (400, "Text may not contain the NUL character (U+0000)."),
                "invalid_text": (400, "Text must be valid Unicode: a lone surrogate (U+D800 to U+DFFF) cannot be "
                                      "stored.")})

MAX_JSON_DEPTH = 64  # Tessera's own documents nest 8 deep; Python's parser recurses per level
# What may hide unstorable text: its JSON escapes, a raw surrogate in UTF-8 (ED A0..BF), or NUL bytes
# (a body in UTF-16 or UTF-32, which json.loads accepts too).
_MAYBE_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])|\xed[\xa0-\xbf]|\x00")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_JSON_TOKEN = re.compile(r'["\[\]{}]')


def refuse_unstorable_text() -> None:
    """Refuse, before any view reads it, a request whose path, headers, query string, form fields
    or JSON body holds text PostgreSQL cannot store — 400 `nul_in_text` for the NUL character, 400
    `invalid_text` for a lone surrogate (JSON's "\\ud800") — or a JSON body nested deeper than
    MAX_JSON_DEPTH (400 `bad_request`: Python's parser, and every walk after it, recurse per
    level). The answer must not depend on the database. Uploaded files may hold any byte; form
    fields and query strings are decoded with replacement characters, so they hold no
    surrogates. Reads the WSGI environ first: this runs before every request."""
    environ = request.environ
    if "%00" in environ.get("QUERY_STRING", "") or "\x00" in environ.get("PATH_INFO", ""):  # a path is decoded
        raise APIError("nul_in_text")
    if any("\x00" in value for name, value in environ.items() if name.startswith("HTTP_") and type(value) is str):
        raise APIError("nul_in_text")  # headers name the shop (X-Tenant, Host), and are looked up
    if environ["REQUEST_METHOD"] in ("GET", "HEAD", "OPTIONS"):
        return
    if request.is_json:  # JSON escapes NUL as \u0000 (a raw one is not JSON)
        body = request.get_data()
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _nests_deeper_than(body, MAX_JSON_DEPTH):
            raise APIError("bad_request", f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.")
        if _MAYBE_UNSTORABLE.search(body):
            problem = _unstorable(request.get_json(silent=True))
            if problem:
                raise APIError(problem)
    elif request.mimetype == "application/x-www-form-urlencoded":
        if b"%00" in request.get_data():
            raise APIError("nul_in_text")
    elif request.mimetype == "multipart/form-data":
        if any("\x00" in value for _, value in request.form.items(multi=True)):
            raise APIError("nul_in_text")


def _nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays or objects inside each other, counted
    without parsing it (strings skipped by the json module's own scanner, so brackets in text do
    not count). Text that is not JSON answers False where it stops being JSON: the parser stops
    there too."""
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")
    except (UnicodeDecodeError, LookupError):
        return False
    depth, position = 0, 0
    while match := _JSON_TOKEN.search(text, position):
        token, position = match.group(), match.end()
        if token == '"':
            try:
                position = scanstring(text, position)[1]
            except ValueError:
                return False
        elif token in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _unstorable(data) -> str | None:
    """The error code of the first text in parsed JSON (keys too) that PostgreSQL cannot store."""
    if isinstance(data, str):
        if "\x00" in data:
            return "nul_in_text"
        return "invalid_text" if _SURROGATE.search(data) else None
    if isinstance(data, dict):
        return next(filter(None, (_unstorable(key) or _unstorable(value) for key, value in data.items())), None)
    if isinstance(data, list):
        return next(filter(None, map(_unstorable, data)), None)
    return None


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
# Two years, every subdomain (the shops' <slug>.<base domain> hosts are HTTPS too).
_HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


class SecurityHeaders:
    """WSGI middleware giving every answer the headers it does not set itself: no MIME sniffing,
    a strict referrer policy, HSTS on answers over HTTPS (as the trusted proxy reports it) and, on
    HTML, the consoles' Content-Security-Policy and no framing by other sites (the storefront and
    the pay page set their own policy)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        https = environ.get("wsgi.url_scheme") == "https"

        def start(status, headers, exc_info=None):
            present = {name.lower(): value for name, value in headers}
            headers.extend(header for header in _ALWAYS if header[0].lower() not in present)
            if https and "strict-transport-security" not in present:
                headers.append(_HSTS)
            if present.get("content-type", "").startswith("text/html"):
                headers.extend(header for header in _HTML if header[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

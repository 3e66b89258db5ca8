"""Errors: one catalogue of stable API codes, the JSON error body, and the handlers that make
sure bad input never becomes a 500 (DESIGN.md §7).

The API answers `{"error": {"code": ..., "message": ..., "fields": {...}}}`; the consoles show
an error page. `CATALOGUE` is what the OpenAPI document lists."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import get_locale
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from core.cache import LRU

log = logging.getLogger(__name__)
_shop_unavailable_pages = LRU(16)  # (shop state, language) -> the page

# code -> (HTTP status, default message). Engines add their codes with `register_codes`.
CATALOGUE: dict[str, tuple[int, str]] = {
    "bad_request": (400, "The request could not be understood."),
    "invalid_input": (422, "Some fields are not valid."),
    "unauthenticated": (401, "Sign in to continue."),
    "invalid_credentials": (401, "The login or password is wrong."),
    "invalid_token": (401, "The access token is missing, expired or revoked."),
    "forbidden": (403, "You are not allowed to do this."),
    "tenant_suspended": (403, "This shop is suspended."),
    "email_unconfirmed": (403, "Confirm your e-mail address first: follow the link we sent you."),
    "tenant_mismatch": (403, "The access token belongs to another shop."),
    "tenant_required": (400, "Name the shop with the X-Tenant header or its host name."),
    "not_found": (404, "Nothing here."),
    "tenant_not_found": (404, "There is no such shop."),
    "method_not_allowed": (405, "This method is not allowed here."),
    "conflict": (409, "The request conflicts with the current state."),
    "already_exists": (409, "This already exists."),
    "idempotency_in_progress": (409, "A request with this Idempotency-Key is still being processed."),
    "idempotency_key_reused": (422, "This Idempotency-Key was used with a different request."),
    "payload_too_large": (413, "The request is too large."),
    "unsupported_media_type": (415, "Send JSON with Content-Type: application/json."),
    "rate_limited": (429, "Too many attempts; wait a moment and try again."),
    "internal_error": (500, "Something went wrong on our side."),
    "unavailable": (503, "A service Tessera depends on is unavailable."),
}

_STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
                 415: "unsupported_media_type", 422: "invalid_input", 429: "rate_limited"}


def register_codes(codes: dict[str, tuple[int, str]]) -> None:
    for code, entry in codes.items():
        if code in CATALOGUE and CATALOGUE[code] != entry:
            raise ValueError(f"error code {code!r} is already registered differently")
        CATALOGUE[code] = entry


class APIError(Exception):
    """An error with a stable code from the catalogue; the message may be more specific."""

    def __init__(self, code: str, message: str | None = None, *, fields: dict | None = None,
                 status: int | None = None, extra: dict | None = None):
        if code not in CATALOGUE:
            raise KeyError(f"error code {code!r} is not in the catalogue")
        default_status, default_message = CATALOGUE[code]
        super().__init__(message or default_message)
        self.code = code
        self.message = message or default_message
        self.status = status or default_status
        self.fields = fields or {}
        self.extra = extra or {}

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        error.update(self.extra)
        return {"error": error}


def wants_json() -> bool:
    return "/api/" in request.path or request.accept_mimetypes.best == "application/json"


def _json_error(error: APIError):
    response = jsonify(error.body())
    response.status_code = error.status
    return response


def _shop_state(status: int) -> str | None:
    """For a request naming a shop (its /s/<slug>/ prefix or its own host) that was refused before
    the shop was resolved: "unknown" (404) or "suspended" (403); None otherwise."""
    if g.get("tenant") is not None or status not in (403, 404):
        return None
    host = request.host.split(":")[0].lower()
    if request.environ.get("tessera.tenant_slug") or g.get("tenant_from_host") or \
            host.endswith("." + current_app.config["BASE_DOMAIN"]):
        return "unknown" if status == 404 else "suspended"
    return None


def _page_error(status: int, message: str):
    shop_state = _shop_state(status)
    if shop_state is None or request.cookies:
        return render_template("core/error.html", status=status, message=message, shop_state=shop_state), status
    # The same page for every address of no shop (its assets are linked from the root): kept, so
    # probing random names costs no render.
    key = (shop_state, str(get_locale()))
    html = _shop_unavailable_pages.get(key)
    if html is None:
        html = render_template("core/error.html", status=status, message=message, shop_state=shop_state)
        _shop_unavailable_pages.set(key, html)
    return html, status


def init_app(app: Flask) -> None:
    @app.errorhandler(APIError)
    def _api_error(error: APIError):
        if wants_json():
            return _json_error(error)
        return _page_error(error.status, error.message)

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError):
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        return _json_error(APIError("invalid_input", fields=messages))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = _STATUS_CODES.get(error.code or 500, "bad_request" if (error.code or 500) < 500 else "internal_error")
        if wants_json():
            api_error = APIError(code, error.description if code != "not_found" else None, status=error.code)
            response = _json_error(api_error)
            if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return _page_error(error.code or 500, error.description or CATALOGUE[code][1])

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        # A race the service did not foresee (two requests inserting the same unique value):
        # the loser gets a conflict, never a 500.
        from core.db import db

        db.session.rollback()
        log.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
        if wants_json():
            return _json_error(APIError("conflict"))
        return _page_error(409, CATALOGUE["conflict"][1])

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        if wants_json():
            return _json_error(APIError("internal_error"))
        return _page_error(500, CATALOGUE["internal_error"][1])

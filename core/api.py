"""What every JSON API blueprint shares: reading a JSON body through a marshmallow schema,
the signed-in consumer of a bearer token, the blueprint factory, public answers and the one shape
of money in an answer."""

from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Blueprint, Response, g, request
from marshmallow import Schema, ValidationError, fields

from core.consumers import Consumer, consumer_for_token, consumer_id_for_token
from core.errors import APIError
from core.money import Money
from core.tenancy import current_tenant

API_PREFIX = "/api/v1"
MAX_JSON_BYTES = 1_000_000


@functools.cache
def _shared(schema_class: type[Schema]) -> Schema:
    return schema_class()  # schemas are safe to share for loading, and costly to build


def load_json(schema: Schema | type[Schema]) -> dict:
    """The request's JSON body validated by `schema` (an instance, or a class: one instance is
    then shared); 415/400/422 with field errors otherwise."""
    if isinstance(schema, type):
        schema = _shared(schema)
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise APIError("payload_too_large")
    if not request.is_json:
        raise APIError("unsupported_media_type")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise APIError("bad_request", "The body must be a JSON object.")
    try:
        return schema.load(data)
    except ValidationError as error:
        raise APIError("invalid_input", fields=error.messages) from None


def current_consumer() -> Consumer | None:
    """The consumer of the request's bearer token, checked once per request."""
    if "consumer" not in g:
        g.consumer = None
        g.access_token = None
        bearer = g.get("bearer")
        if bearer:
            found = consumer_for_token(bearer[1], bearer[2])
            if found is None:
                raise APIError("invalid_token")
            g.access_token, g.consumer = found
    return g.consumer


def require_consumer_id() -> int:
    """The signed-in consumer's id, for the views that need nothing else (no query on a warm
    token; see consumer_id_for_token)."""
    if g.get("consumer") is not None:
        return g.consumer.id
    bearer = g.get("bearer")
    consumer_id = consumer_id_for_token(bearer[1], bearer[2]) if bearer else None
    if consumer_id is None:
        raise APIError("invalid_token" if bearer else "unauthenticated")
    return consumer_id


def require_consumer() -> Consumer:
    consumer = current_consumer()
    if consumer is None:
        raise APIError("unauthenticated")
    return consumer


def api_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    """A blueprint under /api/v1 whose views need a tenant (see core.resolution)."""
    return Blueprint(name, import_name, url_prefix=API_PREFIX + url_prefix, **kwargs)


def public_json(body: bytes | str, etag: str, *, vary: str = "X-Tenant, Authorization") -> Response:
    """A public JSON answer (the same for every visitor of the shop), or 304 when the client holds
    it already: revalidated on every use, and kept apart per shop by shared caches (the X-Tenant
    header or a bearer token may name it; add Accept-Language when the answer is translated)."""
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    response.headers["Vary"] = vary
    return response


class MoneyOut(Schema):
    """Money in every answer of the consumer and Admin APIs (Money.to_json)."""

    amount = fields.Integer(metadata={"description": "In minor units of the currency (fen, cents)"})
    currency = fields.String(metadata={"description": "ISO 4217"})
    display = fields.String(metadata={"description": "As the shop shows it, e.g. ¥12.50"})


class MoneyField(fields.Nested):
    """An attribute holding integer minor units (or a Money), answered as MoneyOut. The currency
    is `currency(obj)` when given, else the object's `currency`, else the shop's."""

    def __init__(self, *, currency: Callable[[Any], str] | None = None, **kwargs):
        super().__init__(MoneyOut, **kwargs)
        self.currency_of = currency

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, Money):
            return value.to_json()
        currency = self.currency_of(obj) if self.currency_of else getattr(obj, "currency", None)
        return Money(value, currency or current_tenant().currency).to_json()

"""The app's JSON answers, written by orjson: Flask's default provider does the same work
(sorted keys, its conversions of dates, decimals, UUIDs and dataclasses) several times slower,
and every API answer, and the checkout's two, goes through it. Reading JSON stays Flask's (the
standard library's parser keeps a lone surrogate, which core.security then refuses by name)."""

from __future__ import annotations

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonProvider(DefaultJSONProvider):
    """DefaultJSONProvider's output, but for its escapes: text is written as UTF-8, not as \\u
    escapes (ensure_ascii), and integer keys sorted as text. Datetimes and dates still go through
    Flask's conversion (HTTP dates).
    What orjson refuses and the standard library writes (an integer beyond 64 bits, a lone
    surrogate) is written by Flask's own, as is a call with options (indent=…)."""

    def dumps(self, obj, **kwargs) -> str:
        if not kwargs:
            try:
                return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
            except orjson.JSONEncodeError:
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args, **kwargs) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:  # indented, as Flask's
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            written = orjson.dumps(obj, default=self.default, option=_OPTIONS) + b"\n"
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(written, mimetype=self.mimetype)

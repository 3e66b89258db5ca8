"""The app's JSON answers (core.json_output): orjson writes what Flask's provider wrote, text
aside (UTF-8 rather than \\u escapes) and the order of integer keys (sorted as text), and what
orjson refuses is still written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import uuid

import pytest
from flask import Flask

from core.json_output import OrjsonProvider


class Kind(enum.StrEnum):
    SHOP = "shop"


@dataclasses.dataclass
class Point:
    x: int
    y: str


VALUES = [
    {"b": 1, "a": [1, 2.5, None, True], "c": {"z": "zed", "y": {}}},
    {"when": dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC), "day": dt.date(2026, 12, 3)},
    {"price": decimal.Decimal("12.50"), "id": uuid.UUID(int=7), "kind": Kind.SHOP, "point": Point(1, "one")},
    {2: "an int key", 10: "茶 ☕"},
    {"big": 10**30, "lone": "\ud800"},  # orjson refuses both: Flask's own writes them
    [],
    "text",
]


@pytest.fixture
def providers():
    plain, fast = Flask("plain"), Flask("fast")
    fast.json = OrjsonProvider(fast)
    return plain, fast


@pytest.mark.parametrize("value", VALUES)
def test_an_answer_says_what_flasks_provider_said(providers, value):
    plain, fast = providers
    with plain.app_context(), fast.app_context():
        expected = plain.json.response(value).get_data()
        written = fast.json.response(value).get_data()
        assert json.loads(written) == json.loads(expected)
        if isinstance(value, dict) and all(isinstance(key, str) for key in value):  # int keys: sorted as text
            assert list(json.loads(written)) == list(json.loads(expected))
        assert fast.json.response(value).mimetype == "application/json" and written.endswith(b"\n")
        assert json.loads(fast.json.dumps(value)) == json.loads(plain.json.dumps(value))


def test_text_is_written_as_utf8_and_options_are_flasks(providers):
    _, fast = providers
    with fast.app_context():
        assert "茶".encode() in fast.json.response({"name": "茶"}).get_data()
        assert fast.json.dumps({"b": 1, "a": 2}, indent=2) == '{\n  "a": 2,\n  "b": 1\n}'
        fast.debug = True  # indented while debugging, as Flask answers
        assert b'\n  "a": 2' in fast.json.response({"b": 1, "a": 2}).get_data()


def test_the_app_answers_with_it(app):
    assert isinstance(app.json, OrjsonProvider)

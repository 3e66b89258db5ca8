"""`tessera app export|import` and `tessera components list` (they commit: live database)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(autouse=True)
def shop(tessera):
    assert tessera("tenants", "create", "cli-shop", "--name", "CLI Shop").exit_code == 0


def write(tmp_path, name, document) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


GOOD = {"schema_version": 1, "app": {"name": "CLI Shop"},
        "pages": {"home": {"title": "Home", "sections": {"s1": {"type": "title", "settings": {"text": "Hello"}}},
                           "order": ["s1"]}}}


def test_import_publish_and_export_round_trip(tessera, tmp_path):
    result = tessera("app", "import", "cli-shop", write(tmp_path, "good.json", GOOD), "--publish", "--note", "v1")
    assert result.exit_code == 0, result.output
    assert "published version 1" in result.output
    exported = json.loads(tessera("app", "export", "cli-shop").output)
    assert exported["pages"]["home"]["sections"]["s1"]["settings"]["text"] == "Hello"
    assert json.loads(tessera("app", "export", "cli-shop", "--version", "1").output) == exported
    assert json.loads(tessera("app", "export", "cli-shop", "--draft").output) == exported


def test_invalid_import_lists_errors_and_changes_nothing(tessera, tmp_path):
    tessera("app", "import", "cli-shop", write(tmp_path, "good.json", GOOD), "--publish")
    bad = json.loads(json.dumps(GOOD))
    bad["pages"]["home"]["sections"]["s1"] = {"type": "title", "settings": {"link": "page:nowhere"}}
    bad["pages"]["home"]["sections"]["s2"] = {"type": "unknown_widget"}
    bad["pages"]["home"]["order"] = ["s1", "s2"]
    result = tessera("app", "import", "cli-shop", write(tmp_path, "bad.json", bad), "--publish")
    assert result.exit_code == 1
    assert "pages.home.sections.s1.settings.link: There is no page 'nowhere'." in result.output
    assert "pages.home.sections.s2.type: Unknown component type 'unknown_widget'." in result.output
    assert "Traceback" not in result.output
    assert json.loads(tessera("app", "export", "cli-shop", "--draft").output)["pages"]["home"]["order"] == ["s1"]
    assert "Hello" in tessera("app", "export", "cli-shop").output


def test_import_refuses_non_json_and_unknown_tenants(tessera, tmp_path):
    assert tessera("app", "import", "cli-shop", write(tmp_path, "x.json", "{not json")).exit_code == 1
    assert tessera("app", "import", "nobody", write(tmp_path, "good.json", GOOD)).exit_code == 1
    assert tessera("app", "export", "cli-shop").exit_code == 1  # nothing published yet


def test_components_list_prints_the_designer_descriptors(tessera):
    descriptors = json.loads(tessera("components", "list", "--json").output)
    spacer = next(d for d in descriptors if d["type"] == "spacer")
    assert spacer["settings"][0] == {"id": "height", "widget": "range", "label": "Height", "default": 16,
                                     "min": 4, "max": 120, "step": 1, "unit": "px"}
    assert "spacer" in tessera("components", "list").output


def test_app_schema_prints_the_json_schema(tessera):
    schema = json.loads(tessera("app", "schema").output)
    assert schema["title"] == "Tessera app document"
    assert "pages" in schema["properties"]

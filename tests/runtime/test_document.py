"""The page document: validation with actionable paths, limits, defaults, upgraders, JSON Schema,
diff."""

from __future__ import annotations

import copy
import json

import pytest

import runtime.components  # noqa: F401  registers the component library
from runtime import document as documents
from runtime.document import (DocumentError, contrast_warnings, diff_documents, empty_document, json_schema,
                              validate_document)


def doc(**pages):
    return {"schema_version": 1, "app": {"name": "Shop"},
            "pages": pages or {"home": {"title": "Home", "sections": {}, "order": []}}}


def page(sections: dict, order=None, **extra):
    return {"title": "Home", "sections": sections, "order": list(sections) if order is None else order, **extra}


def errors_of(document) -> dict:
    with pytest.raises(DocumentError) as raised:
        validate_document(document)
    return raised.value.errors


def test_a_section_with_only_its_type_is_valid_and_gets_defaults():
    result = validate_document(doc(home=page({"s1": {"type": "spacer"}})))
    assert result["pages"]["home"]["sections"]["s1"] == {"type": "spacer", "settings": {"height": 16, "background": ""}}
    assert result["app"]["theme"]["primary"] == "#E4572E"
    assert result["app"]["home"] == "home"


def test_empty_document_has_an_empty_home_page():
    result = empty_document("Sunny")
    assert result["app"]["name"] == "Sunny"
    assert result["pages"] == {"home": {"title": "Home", "sections": {}, "order": []}}


def test_settings_out_of_range_name_their_path():
    errors = errors_of(doc(home=page({"s2": {"type": "spacer", "settings": {"height": 999}}})))
    assert list(errors) == ["pages.home.sections.s2.settings.height"]
    assert "less than or equal to 120" in errors["pages.home.sections.s2.settings.height"][0]


def test_unknown_component_type_and_unknown_setting_are_refused():
    errors = errors_of(doc(home=page({"s1": {"type": "nope"}, "s2": {"type": "title", "settings": {"colour": "x"}}})))
    assert errors["pages.home.sections.s1.type"] == ["Unknown component type 'nope'."]
    assert "pages.home.sections.s2.settings.colour" in errors


def test_colours_must_be_colours():
    errors = errors_of({"schema_version": 1, "app": {"theme": {"primary": "red; background: url(x)"}},
                        "pages": {"home": page({})}})
    assert list(errors) == ["app.theme.primary"]


def test_links_to_pages_that_do_not_exist_are_refused():
    errors = errors_of(doc(home=page({"s1": {"type": "title", "settings": {"link": "page:nowhere"}}})))
    assert errors == {"pages.home.sections.s1.settings.link": ["There is no page 'nowhere'."]}
    errors = errors_of(doc(home=page({"s1": {"type": "title", "settings": {"link": "javascript:alert(1)"}}})))
    assert list(errors) == ["pages.home.sections.s1.settings.link"]


def test_links_in_blocks_are_checked_too():
    section = {"type": "banner", "blocks": {"b1": {"type": "slide", "settings": {"link": "page:gone"}}}, "block_order": ["b1"]}
    assert list(errors_of(doc(home=page({"s1": section})))) == ["pages.home.sections.s1.blocks.b1.settings.link"]


def test_tabbar_and_home_must_name_pages():
    errors = errors_of({"schema_version": 1, "app": {"home": "start", "tabbar": [{"page": "cart", "label": "Cart"}]},
                        "pages": {"home": page({})}})
    assert errors == {"app.tabbar.0.page": ["There is no page 'cart'."], "app.home": ["There is no page 'start'."]}


def test_order_must_list_every_section_once():
    errors = errors_of(doc(home=page({"s1": {"type": "spacer"}, "s2": {"type": "divider"}}, order=["s1", "s1", "s3"])))
    messages = errors["pages.home.order"]
    assert "Lists an id twice." in messages
    assert "Does not list s2." in messages
    assert "Lists s3, which do not exist." in messages


def test_section_limit_per_page():
    sections = {f"s{i}": {"type": "spacer"} for i in range(26)}
    errors = errors_of(doc(home=page(sections)))
    assert errors["pages.home.sections"] == ["At most 25 sections on a page; this has 26."]
    assert validate_document(doc(home=page(dict(list(sections.items())[:25]))))


def test_block_limit_per_section():
    blocks = {f"b{i}": {"type": "slide"} for i in range(11)}
    section = {"type": "banner", "blocks": blocks, "block_order": list(blocks)}
    assert errors_of(doc(home=page({"s1": section})))["pages.home.sections.s1.blocks"] == [
        "At most 10 blocks; this has 11."]


def test_oversized_document_is_refused():
    big = doc(home=page({"s1": {"type": "rich_text", "settings": {"html": "x" * 20000}}}))
    pages = {f"p{i}": copy.deepcopy(big["pages"]["home"]) for i in range(30)}
    errors = errors_of({"schema_version": 1, "app": {}, "pages": pages})
    assert list(errors) == ["document"]
    assert "the limit is 512,000" in errors["document"][0]


def test_rich_text_is_sanitised_on_save():
    result = validate_document(doc(home=page({"s1": {"type": "rich_text", "settings": {
        "html": '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:x()">a</a></p>'}}})))
    html = result["pages"]["home"]["sections"]["s1"]["settings"]["html"]
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert html.startswith("<p>Hi")


def test_unknown_keys_are_errors_not_silently_dropped():
    errors = errors_of({"schema_version": 1, "app": {"nmae": "typo"}, "pages": {"home": page({}, colour="x")}})
    assert "app.nmae" in errors
    assert errors["pages.home"] == ["Unknown keys: colour."]


def test_engine_components_need_their_engine(monkeypatch):
    from core.components import Component, SettingsSchema, registry

    class NeedsEngine(Component):
        type = "engine_thing"
        label = "Engine thing"
        engine = "nothing_enabled"
        template = "components/spacer.html"
        Settings = SettingsSchema

    monkeypatch.setitem(registry._types, "engine_thing", NeedsEngine())
    errors = errors_of(doc(home=page({"s1": {"type": "engine_thing"}})))
    assert errors == {"pages.home.sections.s1.type": ["Engine thing needs the nothing_enabled engine, which is not enabled."]}


def test_schema_version_upgraders_run_step_by_step(monkeypatch):
    monkeypatch.setattr(documents, "SCHEMA_VERSION", 2)
    # Version 1 called the app's name "title"; version 2 calls it "name".
    monkeypatch.setitem(documents.UPGRADERS, 1, lambda d: {**d, "app": {"name": d["app"]["title"]}})
    upgraded = documents.upgrade_document({"schema_version": 1, "app": {"title": "Old shop"}, "pages": {"home": page({})}})
    assert upgraded["schema_version"] == 2
    assert upgraded["app"] == {"name": "Old shop"}


def test_unsupported_schema_version_is_refused():
    assert list(errors_of({"schema_version": 99, "app": {}, "pages": {"home": page({})}})) == ["schema_version"]


def test_diff_lists_sections_added_removed_changed_and_moved():
    before = validate_document(doc(home=page({"a": {"type": "spacer"}, "b": {"type": "divider"}, "c": {"type": "title"}}),
                                   about={"title": "About", "sections": {}, "order": []}))
    after = validate_document(doc(home=page({"b": {"type": "divider"}, "a": {"type": "spacer", "settings": {"height": 40}},
                                             "d": {"type": "title"}}),
                                  faq={"title": "FAQ", "sections": {}, "order": []}))
    result = diff_documents(before, after)
    assert result["pages_added"] == ["faq"]
    assert result["pages_removed"] == ["about"]
    assert result["pages"]["home"] == {"added": ["d"], "removed": ["c"], "changed": ["a"], "moved": ["b", "a"]}


def test_json_schema_is_generated_from_the_same_definitions():
    schema = json_schema()
    json.dumps(schema)
    sections = schema["properties"]["pages"]["additionalProperties"]["properties"]["sections"]
    variants = {v["properties"]["type"]["const"]: v for v in sections["additionalProperties"]["oneOf"]}
    assert variants["spacer"]["properties"]["settings"]["properties"]["height"]["maximum"] == 120
    assert sections["maxProperties"] == 25
    from core.components import registry

    assert set(variants) == {c.type for c in registry.all()}


def test_json_schema_accepts_a_valid_document():
    jsonschema = pytest.importorskip("jsonschema")
    valid = validate_document(doc(home=page({"s1": {"type": "spacer"}, "s2": {"type": "title"}})))
    valid["app"].pop("template")
    jsonschema.validate(valid, json_schema())


def test_contrast_warnings():
    faint = validate_document({"schema_version": 1, "app": {"theme": {"text": "#DDDDDD", "background": "#FFFFFF",
                                                                      "primary": "#FFEEEE"}},
                               "pages": {"home": page({})}})
    warnings = contrast_warnings(faint)
    assert len(warnings) == 2
    assert contrast_warnings(empty_document()) == []

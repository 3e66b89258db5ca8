"""Every component type of the library: defaults alone are valid and render, presets validate,
descriptors feed the designer, bad settings name their path, and nothing breaks the CSP."""

from __future__ import annotations

import copy
import re

import pytest

import runtime.components  # noqa: F401  registers the library
from core.components import registry
from runtime.document import DocumentError, validate_document

BASIC = [c.type for c in registry.all() if c.engine is None and c.pages is None]


def single(section: dict, **app) -> dict:
    return {"schema_version": 1, "app": {"name": "Shop", **app},
            "pages": {"home": {"title": "Home", "sections": {"s1": section}, "order": ["s1"]},
                      "about": {"title": "About", "sections": {}, "order": []}}}


@pytest.mark.parametrize("type_name", BASIC)
def test_a_section_with_only_its_type_is_valid(type_name):
    validate_document(single({"type": type_name}))


@pytest.mark.parametrize("type_name", BASIC)
def test_every_preset_is_valid(type_name):
    component = registry.get(type_name)
    for preset in component.presets:
        section = {"type": type_name, **{k: copy.deepcopy(v) for k, v in preset.items() if k != "label"}}
        validate_document(single(section))


@pytest.mark.parametrize("type_name", BASIC)
def test_descriptors_describe_every_setting(type_name):
    descriptor = registry.get(type_name).descriptor()
    assert descriptor["label"] and descriptor["icon"] and descriptor["group"]
    for field in descriptor["settings"] + [f for b in descriptor["blocks"] for f in b["settings"]]:
        assert {"id", "widget", "label"} <= set(field), (type_name, field)
        assert "default" in field, (type_name, field)


@pytest.mark.parametrize(("section", "path"), [
    ({"type": "nav_grid", "settings": {"columns": 9}}, "pages.home.sections.s1.settings.columns"),
    ({"type": "notice_bar", "settings": {"background": "red;"}}, "pages.home.sections.s1.settings.background"),
    ({"type": "floating_button", "settings": {"link": "javascript:alert(1)"}}, "pages.home.sections.s1.settings.link"),
    ({"type": "hotspot_image", "blocks": {"z1": {"type": "zone", "settings": {"x": 120}}}, "block_order": ["z1"]},
     "pages.home.sections.s1.blocks.z1.settings.x"),
    ({"type": "store_info", "settings": {"latitude": "north"}}, "pages.home.sections.s1.settings.latitude"),
    ({"type": "image_grid", "settings": {"layout": "spiral"}}, "pages.home.sections.s1.settings.layout"),
    ({"type": "tabs", "blocks": {"t1": {"type": "slide"}}, "block_order": ["t1"]}, "pages.home.sections.s1.blocks.t1.type"),
])
def test_bad_settings_name_their_path(section, path):
    with pytest.raises(DocumentError) as error:
        validate_document(single(section))
    assert path in error.value.errors


def test_per_page_limits(db_session):
    document = single({"type": "search_bar"})
    document["pages"]["home"]["sections"]["s2"] = {"type": "search_bar"}
    document["pages"]["home"]["order"].append("s2")
    with pytest.raises(DocumentError) as error:
        validate_document(document)
    assert "may appear 1 time(s) on a page" in error.value.errors["pages.home.sections"][0]


def everything(media_ref: str) -> dict:
    sections = {
        "notice": {"type": "notice_bar"},
        "search": {"type": "search_bar", "settings": {"target": "page:about"}},
        "banner": {"type": "banner", "blocks": {"b1": {"type": "slide", "settings": {"image": media_ref, "link": "page:about"}}},
                   "block_order": ["b1"]},
        "nav": {"type": "nav_grid", "blocks": {"n1": {"type": "nav_item", "settings": {"label": "About", "link": "page:about"}}},
                "block_order": ["n1"]},
        "title": {"type": "title", "settings": {"text": "Hello"}},
        "grid": {"type": "image_grid", "blocks": {"c1": {"type": "cell", "settings": {"image": media_ref}},
                                                  "c2": {"type": "cell", "settings": {"image": media_ref}}},
                 "block_order": ["c1", "c2"]},
        "hot": {"type": "hotspot_image", "settings": {"image": media_ref},
                "blocks": {"z1": {"type": "zone", "settings": {"label": "About us", "link": "page:about", "x": 10, "y": 10}}},
                "block_order": ["z1"]},
        "image": {"type": "image", "settings": {"image": media_ref, "alt": "Our street"}},
        "video": {"type": "video", "settings": {"video": "https://example.com/clip.mp4", "poster": media_ref}},
        "tabs": {"type": "tabs", "blocks": {"t1": {"type": "tab", "settings": {"title": "One", "body": "<p>1<script>x()</script></p>"}},
                                            "t2": {"type": "tab", "settings": {"title": "Two", "body": "<p>2</p>"}}},
                 "block_order": ["t1", "t2"]},
        "text": {"type": "rich_text"},
        "contact": {"type": "contact", "settings": {"phone": "400-800-1234", "wechat": "sunnybakery"}},
        "store": {"type": "store_info", "settings": {"address": "1 Bund Rd", "latitude": "31.2304", "longitude": "121.4737"}},
        "divider": {"type": "divider"}, "spacer": {"type": "spacer"},
        "fab": {"type": "floating_button", "settings": {"mode": "top"}},
    }
    assert set(BASIC) <= {s["type"] for s in sections.values()}
    return {"schema_version": 1, "app": {"name": "Everything", "tabbar": [{"page": "home", "label": "Home"},
                                                                         {"page": "about", "label": "About", "icon": "shop"}]},
            "pages": {"home": {"title": "Home", "sections": sections, "order": list(sections)},
                      "about": {"title": "About", "sections": {}, "order": []}}}


@pytest.fixture
def media_ref(db_session, tenant_a, app):
    from core.media import Media
    from core.tenancy import tenant_scope

    app.extensions["tessera_storage"].put("t/a/photo.png", b"\x89PNG", "image/png")
    with tenant_scope(tenant_a):
        row = Media(key="t/a/photo.png", filename="photo.png", content_type="image/png", size=4, width=750, height=400)
        db_session.add(row)
        db_session.commit()
    return f"media:{row.id}"


def test_every_component_renders_on_one_page_within_the_csp(client, publish_document, tenant_a, media_ref):
    publish_document(tenant_a, everything(media_ref))
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert "style=" not in html
    # the storefront's own scripts, nothing inline: its behaviours (deferred) and the H5 kit (a module)
    assert re.findall(r"<script\b[^>]*>", html) == [
        f'<script src="/s/{tenant_a.slug}/runtime-static/storefront.js" defer>',
        f'<script type="module" src="/s/{tenant_a.slug}/runtime-static/h5/kit.js">']
    for section_id in ("notice", "search", "banner", "nav", "grid", "hot", "image", "video", "tabs", "contact", "store"):
        assert f'id="{section_id}"' in html
    about = f"/s/{tenant_a.slug}/p/about"
    assert f'action="{about}"' in html  # the search form submits to its results page
    assert f'<a href="{about}" aria-label="About us"><rect' in html  # hot zone
    assert 'href="tel:400-800-1234"' in html
    assert "https://uri.amap.com/marker?position=121.4737,31.2304" in html
    assert 'role="tablist"' in html and "x()" not in html
    assert html.count('src="/media/t/a/photo.png"') >= 4


def test_the_page_api_serves_blocks_in_order_and_the_media(client, publish_document, tenant_a, media_ref):
    publish_document(tenant_a, everything(media_ref))
    body = client.get("/api/v1/pages/home", headers={"X-Tenant": tenant_a.slug}).json
    sections = {s["id"]: s for s in body["sections"]}
    assert [b["id"] for b in sections["tabs"]["blocks"]] == ["t1", "t2"]
    assert sections["store"]["data"]["map_url"].startswith("https://uri.amap.com/")
    assert body["media"][media_ref]["url"] == "/media/t/a/photo.png"

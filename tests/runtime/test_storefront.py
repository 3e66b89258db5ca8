"""The H5 storefront and the page API over the live version: rendering, caching keyed exactly,
ETag/304, anonymous cached pages, draft preview for staff only, and isolation."""

from __future__ import annotations

import pytest

from core.tenancy import tenant_scope
from runtime.services import ensure_app, rollback, save_draft


def document(*section_types, title="Home", pages=None, **app):
    sections = {f"s{i}": {"type": t} for i, t in enumerate(section_types)}
    return {"schema_version": 1, "app": {"name": "Shop", **app},
            "pages": {"home": {"title": title, "sections": sections, "order": list(sections)}, **(pages or {})}}


def test_unpublished_shop_says_so(client, db_session, tenant_a):
    response = client.get(f"/s/{tenant_a.slug}/")
    assert response.status_code == 404
    assert "not published" in response.get_data(as_text=True)
    api = client.get("/api/v1/app", headers={"X-Tenant": tenant_a.slug})
    assert api.status_code == 404
    assert api.json["error"]["code"] == "nothing_published"


def test_live_page_renders_sections_in_order(client, publish_document, tenant_a):
    doc = document("title", "rich_text")
    doc["pages"]["home"]["sections"]["s0"]["settings"] = {"text": "Fresh bread"}
    doc["pages"]["home"]["sections"]["s1"]["settings"] = {"html": "<p>Baked at dawn</p>"}
    publish_document(tenant_a, doc)
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert html.index("Fresh bread") < html.index("Baked at dawn")
    assert '<main class="t-page" id="main">' in html
    assert f'href="/s/{tenant_a.slug}/theme.css?v=1"' in html


def test_hidden_sections_render_nothing(client, publish_document, tenant_a):
    doc = document("title", "title")
    doc["pages"]["home"]["sections"]["s0"].update(settings={"text": "Shown"})
    doc["pages"]["home"]["sections"]["s1"].update(settings={"text": "Secret"}, hidden=True)
    publish_document(tenant_a, doc)
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert "Shown" in html and "Secret" not in html


def test_other_pages_and_missing_pages(client, publish_document, tenant_a):
    publish_document(tenant_a, document("spacer", pages={"about": {"title": "About us", "sections": {}, "order": []}}))
    assert "About us" in client.get(f"/s/{tenant_a.slug}/p/about").get_data(as_text=True)
    missing = client.get(f"/s/{tenant_a.slug}/p/nowhere")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"


def test_etag_answers_304(client, publish_document, tenant_a):
    publish_document(tenant_a, document("title"))
    first = client.get(f"/s/{tenant_a.slug}/")
    assert first.headers["ETag"]
    again = client.get(f"/s/{tenant_a.slug}/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_cached_pages_are_anonymous(client, publish_document, tenant_a):
    publish_document(tenant_a, document("title", "notice_bar"))
    response = client.get(f"/s/{tenant_a.slug}/")
    assert "Set-Cookie" not in response.headers
    assert "csrf" not in response.get_data(as_text=True).lower()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style=" not in response.get_data(as_text=True)


def test_a_cache_hit_costs_no_query(client, publish_document, tenant_a, count_queries):
    publish_document(tenant_a, document("title", "rich_text", "spacer"))
    client.get(f"/s/{tenant_a.slug}/")
    with count_queries() as queries:
        response = client.get(f"/s/{tenant_a.slug}/")
    assert response.status_code == 200
    assert queries == []


def test_render_query_count_does_not_grow_with_sections(client, publish_document, tenant_a, count_queries):
    from core.cache import compiled_cache, page_cache

    def cold():
        page_cache().clear()
        compiled_cache().clear()

    publish_document(tenant_a, document("image", "banner"))
    client.get(f"/s/{tenant_a.slug}/")  # warm the tenant lookup
    cold()
    with count_queries() as few:
        client.get(f"/s/{tenant_a.slug}/")
    publish_document(tenant_a, document(*(["image", "banner"] * 10)))
    cold()
    with count_queries() as many:
        client.get(f"/s/{tenant_a.slug}/")
    assert len(many) == len(few)


def test_publishing_invalidates_exactly(client, publish_document, tenant_a, tenant_b):
    publish_document(tenant_a, document("title", title="First"))
    publish_document(tenant_b, document("title", title="Other shop"))
    assert "First" in client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    b_etag = client.get(f"/s/{tenant_b.slug}/").headers["ETag"]
    publish_document(tenant_a, document("title", title="Second"))
    assert "Second" in client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert client.get(f"/s/{tenant_b.slug}/", headers={"If-None-Match": b_etag}).status_code == 304


def test_saving_a_draft_does_not_change_the_live_page(client, publish_document, tenant_a, db_session):
    publish_document(tenant_a, document("title", title="Live"))
    with tenant_scope(tenant_a):
        save_draft(document=document("title", title="Draft"), revision=ensure_app().revision)
        db_session.commit()
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert "Live" in html and "Draft" not in html


def test_rollback_publishes_the_old_version_again(client, publish_document, tenant_a, db_session):
    publish_document(tenant_a, document("title", title="One"))
    publish_document(tenant_a, document("title", title="Two"))
    with tenant_scope(tenant_a):
        version = rollback(number=1)
        db_session.commit()
    assert (version.number, version.restored_from) == (3, 1)
    assert "One" in client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)


def test_theme_css_carries_the_theme_and_section_rules(client, publish_document, tenant_a):
    doc = document("spacer", theme={"primary": "#112233"})
    doc["pages"]["home"]["sections"]["s0"]["settings"] = {"height": 42}
    publish_document(tenant_a, doc)
    css = client.get(f"/s/{tenant_a.slug}/theme.css?v=1")
    assert css.mimetype == "text/css"
    body = css.get_data(as_text=True)
    assert "--t-primary:#112233;" in body
    assert "#s0{" in body and "42px" in body


def test_draft_preview_is_for_staff_of_this_shop_only(client, publish_document, tenant_a, tenant_b, create_staff,
                                                      sign_in, form_post, db_session):
    publish_document(tenant_a, document("title", title="Live"))
    with tenant_scope(tenant_a):
        save_draft(document=document("title", title="Draft"), revision=ensure_app().revision)
        db_session.commit()
    assert client.get(f"/s/{tenant_a.slug}/preview/p/home").status_code == 403
    outsider = create_staff(tenant_b, "owner")
    sign_in("merchant", outsider.email)
    assert client.get(f"/s/{tenant_a.slug}/preview/p/home").status_code == 403
    client.get("/merchant/shops")  # the only shop is chosen on the way in
    form_post("/merchant/logout", {}, page="/merchant/")
    insider = create_staff(tenant_a, "clerk")
    sign_in("merchant", insider.email)
    preview = client.get(f"/s/{tenant_a.slug}/preview/p/home")
    assert preview.status_code == 200
    assert "Draft" in preview.get_data(as_text=True)
    assert preview.headers["Cache-Control"] == "no-store"


def test_page_api_serves_the_same_sections(client, publish_document, tenant_a):
    doc = document("title", "banner", tabbar=[{"page": "home", "label": "Home"}])
    doc["pages"]["home"]["sections"]["s1"].update(
        blocks={"b2": {"type": "slide", "settings": {"image": "https://example.com/a.jpg"}},
                "b1": {"type": "slide"}}, block_order=["b2", "b1"])
    publish_document(tenant_a, doc)
    headers = {"X-Tenant": tenant_a.slug}
    shell = client.get("/api/v1/app", headers=headers).json
    assert shell["version"] == 1
    assert shell["pages"] == [{"id": "home", "title": "Home", "kind": "custom"}]
    assert shell["tabbar"] == [{"page": "home", "label": "Home", "icon": "home"}]
    page = client.get("/api/v1/pages/home", headers=headers)
    assert [s["id"] for s in page.json["sections"]] == ["s0", "s1"]
    assert [b["id"] for b in page.json["sections"][1]["blocks"]] == ["b2", "b1"]
    assert page.json["media"]["https://example.com/a.jpg"]["url"] == "https://example.com/a.jpg"
    assert client.get("/api/v1/pages/home", headers={**headers, "If-None-Match": page.headers["ETag"]}).status_code == 304
    missing = client.get("/api/v1/pages/nowhere", headers=headers)
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"


def test_media_of_another_tenant_never_resolves(client, publish_document, tenant_a, tenant_b, db_session):
    from core.media import Media

    with tenant_scope(tenant_b):
        foreign = Media(key="t/b.png", filename="b.png", content_type="image/png", size=1)
        db_session.add(foreign)
        db_session.flush()
    doc = document("image")
    doc["pages"]["home"]["sections"]["s0"]["settings"] = {"image": f"media:{foreign.id}"}
    publish_document(tenant_a, doc)
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert "t/b.png" not in html
    assert client.get("/api/v1/pages/home", headers={"X-Tenant": tenant_a.slug}).json["media"] == {}


def test_local_media_resolves_to_a_url(client, publish_document, tenant_a, db_session, app):
    from core.media import Media

    app.extensions["tessera_storage"].put("t/a/cover.png", b"\x89PNG", "image/png")
    with tenant_scope(tenant_a):
        row = Media(key="t/a/cover.png", filename="cover.png", content_type="image/png", size=4, width=10, height=5,
                    alt="Our shop")
        db_session.add(row)
        db_session.flush()
    doc = document("image")
    doc["pages"]["home"]["sections"]["s0"]["settings"] = {"image": f"media:{row.id}"}
    publish_document(tenant_a, doc)
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert 'src="/media/t/a/cover.png"' in html
    assert 'alt="Our shop"' in html
    media = client.get("/media/t/a/cover.png")
    assert media.data == b"\x89PNG"
    media.close()


def test_suspended_shop_storefront_is_refused(client, publish_document, tenant_a):
    from tenants.services import suspend_tenant

    publish_document(tenant_a, document("title"))
    suspend_tenant(tenant=tenant_a)
    assert client.get(f"/s/{tenant_a.slug}/").status_code == 403
    assert client.get("/api/v1/app", headers={"X-Tenant": tenant_a.slug}).status_code == 403


@pytest.mark.parametrize("path", ["/", "/p/home", "/theme.css"])
def test_storefront_needs_a_tenant_on_the_platform_host(client, db_session, path):
    if path == "/":  # the platform host shows its front page (tenants.signup), not a shop
        page = client.get(path)
        assert page.status_code == 200 and "Start your free trial" in page.get_data(as_text=True)
    else:
        assert client.get(path).status_code == 404

"""The articles engine: its write path, its API, its back office and its page components."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.articles.models import Article, ArticleStatus
from engines.articles.services import (create_article, delete_article, publish_article, unpublish_article,
                                       update_article)


@pytest.fixture
def write(db_session):
    def make(tenant, title, *, publish=True, **kwargs):
        with tenant_scope(tenant):
            article = create_article(title=title, publish=publish, **kwargs)
            db_session.commit()
            return article

    return make


def page_with(*sections, pages=None):
    body = {f"s{i}": s for i, s in enumerate(sections)}
    return {"schema_version": 1, "app": {"name": "News", "engines": ["articles"]},
            "pages": {"home": {"title": "Home", "sections": body, "order": list(body)},
                      "article": {"title": "Article", "kind": "article",
                                  "sections": {"main": {"type": "article_detail"}}, "order": ["main"]},
                      **(pages or {})}}


# -- services ----------------------------------------------------------------------------------

def test_create_cleans_and_sanitises(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="  Spring menu  ", body='<p onclick="x()">New <script>bad()</script>dishes</p>')
        assert (article.title, article.status, article.published_at) == ("Spring menu", ArticleStatus.DRAFT, None)
        assert article.body == "<p>New dishes</p>"


@pytest.mark.parametrize(("fields", "bad"), [({"title": ""}, "title"), ({"title": "x" * 121}, "title"),
                                              ({"title": "ok", "cover": "javascript:x"}, "cover"),
                                              ({"title": "ok", "summary": "s" * 301}, "summary")])
def test_bad_input_is_refused_and_nothing_written(db_session, tenant_a, fields, bad):
    with tenant_scope(tenant_a):
        with pytest.raises(APIError) as error:
            create_article(**fields)
        assert list(error.value.fields) == [bad]
        assert db_session.scalars(select(Article)).all() == []


def test_publish_unpublish_delete(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="Opening hours")
        publish_article(article)
        assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None
        unpublish_article(article)
        assert article.status == ArticleStatus.DRAFT
        delete_article(article)
        assert article.deleted_at is not None
        update_article(article, title="Still editable by id")


def test_writes_invalidate_pages_only_after_commit(app, db_session, tenant_a):
    from core.cache import stamps

    before = stamps().all(tenant_a.id).get("articles", 0)
    with tenant_scope(tenant_a):
        create_article(title="Pending")
        assert stamps().all(tenant_a.id).get("articles", 0) == before
        db_session.commit()
    assert stamps().all(tenant_a.id)["articles"] == before + 1


# -- API ---------------------------------------------------------------------------------------

def test_api_lists_published_articles_with_cursors(client, write, tenant_a, count_queries):
    for index in range(5):
        write(tenant_a, f"Story {index}")
    write(tenant_a, "A draft", publish=False)
    headers = {"X-Tenant": tenant_a.slug}
    first = client.get("/api/v1/articles?limit=2", headers=headers).json
    assert [a["title"] for a in first["items"]] == ["Story 4", "Story 3"]
    second = client.get(f"/api/v1/articles?limit=2&cursor={first['next_cursor']}", headers=headers).json
    third = client.get(f"/api/v1/articles?limit=2&cursor={second['next_cursor']}", headers=headers).json
    assert [a["title"] for a in second["items"] + third["items"]] == ["Story 2", "Story 1", "Story 0"]
    assert third["next_cursor"] is None
    with count_queries() as few:
        client.get("/api/v1/articles?limit=1", headers=headers)
    with count_queries() as many:
        client.get("/api/v1/articles?limit=5", headers=headers)
    assert len(many) == len(few)
    bad = client.get("/api/v1/articles?cursor=nonsense", headers=headers)
    assert (bad.status_code, bad.json["error"]["code"]) == (422, "invalid_input")
    assert client.get("/api/v1/articles?limit=500", headers=headers).status_code == 422


def test_api_hides_drafts_deleted_and_other_tenants(client, write, db_session, tenant_a, tenant_b):
    draft = write(tenant_a, "Draft", publish=False)
    gone = write(tenant_a, "Gone")
    with tenant_scope(tenant_a):
        delete_article(db_session.get(Article, (tenant_a.id, gone.id)))
        db_session.commit()
    theirs = write(tenant_b, "Theirs")
    ours = write(tenant_a, "Ours", body="<p>Hello</p>")
    headers = {"X-Tenant": tenant_a.slug}
    for article_id in (draft.id, gone.id, theirs.id):
        response = client.get(f"/api/v1/articles/{article_id}", headers=headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")
    assert client.get(f"/api/v1/articles/{ours.id}", headers=headers).json["article"]["body"] == "<p>Hello</p>"


# -- back office -------------------------------------------------------------------------------

@pytest.fixture
def staff_client(client, create_staff, sign_in, tenant_a):
    def enter(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")
        return person

    return enter


def test_clerks_cannot_manage_articles(client, staff_client, write, tenant_a):
    article = write(tenant_a, "Menu")
    staff_client("clerk")
    assert client.get("/merchant/articles/").status_code == 403
    assert client.post(f"/merchant/articles/{article.id}/delete").status_code in (400, 403)
    assert "/merchant/articles" not in client.get("/merchant/").get_data(as_text=True)


def test_a_manager_writes_publishes_and_deletes(client, staff_client, form_post, db_session, tenant_a):
    staff_client("manager")
    missing = form_post("/merchant/articles/new", {"title": "", "body": "<p>x</p>"})
    assert missing.status_code == 400
    bad_cover = form_post("/merchant/articles/new", {"title": "Cover", "cover": "ftp://x"})
    assert "Use an image from the media library" in bad_cover.get_data(as_text=True)
    created = form_post("/merchant/articles/new", {"title": "Autumn menu", "body": "<p>Chestnuts</p>", "publish": "1"})
    assert created.status_code == 302
    with tenant_scope(tenant_a):
        article = db_session.scalar(select(Article))
    assert (article.title, article.status) == ("Autumn menu", ArticleStatus.PUBLISHED)
    page = f"/merchant/articles/{article.id}"
    assert form_post(f"{page}/unpublish", {}, page=page).status_code == 302
    assert article.status == ArticleStatus.DRAFT
    assert form_post(page, {"title": "Autumn menu, updated", "body": "<p>More</p>"}).status_code == 302
    assert article.title == "Autumn menu, updated"
    assert form_post(f"{page}/delete", {}, page=page).status_code == 302
    assert client.get(page).status_code == 404
    actions = [a for a in db_session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_a.id))
               if a.startswith("article.")]
    assert actions == ["article.create", "article.unpublish", "article.update", "article.delete"]


def test_staff_cannot_edit_another_shops_article(client, staff_client, write, tenant_b):
    theirs = write(tenant_b, "Theirs")
    staff_client("owner")
    assert client.get(f"/merchant/articles/{theirs.id}").status_code == 404


# -- components --------------------------------------------------------------------------------

def test_article_list_shows_the_newest_and_hand_picked(client, publish_document, write, tenant_a, count_queries):
    old = write(tenant_a, "Old news")
    write(tenant_a, "Fresh news")
    write(tenant_a, "Hidden draft", publish=False)
    picked = {"type": "article_list", "settings": {"source": "picked", "title": "Picked"},
              "blocks": {"p1": {"type": "pick", "settings": {"article": f"article:{old.id}"}},
                         "p2": {"type": "pick", "settings": {"article": "article:999"}}},
              "block_order": ["p1", "p2"]}
    publish_document(tenant_a, page_with({"type": "article_list", "settings": {"count": 1}}, picked))
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    newest_part, picked_part = html.split('id="s1"')
    assert "Fresh news" in newest_part and "Old news" not in newest_part
    assert "Old news" in picked_part and "Hidden draft" not in html
    assert f'href="/s/{tenant_a.slug}/p/article?id={old.id}"' in picked_part


def test_article_sections_load_in_one_batch(client, publish_document, write, tenant_a, count_queries):
    from core.cache import page_cache

    write(tenant_a, "One")
    publish_document(tenant_a, page_with({"type": "article_list"}))
    client.get(f"/s/{tenant_a.slug}/")
    page_cache().clear()
    with count_queries() as one_section:
        client.get(f"/s/{tenant_a.slug}/")
    publish_document(tenant_a, page_with(*[{"type": "article_list"}] * 4))
    client.get(f"/s/{tenant_a.slug}/")
    page_cache().clear()
    with count_queries() as four_sections:
        client.get(f"/s/{tenant_a.slug}/")
    assert len(four_sections) == len(one_section)


def test_the_article_page_and_bad_ids(client, publish_document, write, tenant_a):
    article = write(tenant_a, "Our story", body="<p>Since 1998</p>")
    publish_document(tenant_a, page_with())
    shown = client.get(f"/s/{tenant_a.slug}/p/article?id={article.id}").get_data(as_text=True)
    assert "Our story" in shown and "Since 1998" in shown
    for bad in ("abc", "99999999999999999999999", "1"):
        response = client.get(f"/s/{tenant_a.slug}/p/article?id={bad}")
        assert response.status_code == 200
        assert "This article is not available." in response.get_data(as_text=True)


def test_publishing_an_article_refreshes_the_cached_page(client, publish_document, write, db_session, tenant_a):
    publish_document(tenant_a, page_with({"type": "article_list"}))
    assert "Breaking" not in client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    etag = client.get(f"/s/{tenant_a.slug}/").headers["ETag"]
    write(tenant_a, "Breaking")
    response = client.get(f"/s/{tenant_a.slug}/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Breaking" in response.get_data(as_text=True)


def test_article_components_need_the_engine(db_session):
    from runtime.document import DocumentError, validate_document

    document = page_with({"type": "article_list"})
    document["app"]["engines"] = []
    with pytest.raises(DocumentError) as error:
        validate_document(document)
    assert "pages.home.sections.s0.type" in error.value.errors
    assert "pages.article.kind" in error.value.errors

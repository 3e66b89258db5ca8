"""The article list and the article page: what they show, in how many queries, and how the
"articles" stamp keeps cached storefront pages exact."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.cache import page_cache
from core.tenancy import tenant_scope
from engines.articles.models import Article
from engines.articles.services import delete_article, publish_article, unpublish_article


def _html(client, tenant, path: str = "") -> str:
    response = client.get(f"/s/{tenant.slug}/{path}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def _titles(html: str) -> list[str]:
    return re.findall(r'<span class="t-articles__headline">([^<]*)</span>', html)


def _articles_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"\bFROM articles\b", s)]


def _pick(article_id) -> dict:
    return {"type": "pick", "settings": {"article": f"article:{article_id}"}}


def test_the_newest_n_and_hand_picked_ones_in_the_picked_order(client, publish_document, document, write, db_session,
                                                              tenant_a, tenant_b):
    first = write(tenant_a, "First news")
    second = write(tenant_a, "Second news")
    third = write(tenant_a, "Third news", summary="The latest")
    draft = write(tenant_a, "Hidden draft", publish=False)
    gone = write(tenant_a, "Deleted news")
    with tenant_scope(tenant_a):
        delete_article(Article.get(gone.id))
        db_session.commit()
    theirs = write(tenant_b, "Another shop's news")
    picked = {"type": "article_list", "settings": {"source": "picked", "title": "Picked", "count": 1},
              "blocks": {"p1": _pick(first.id), "p2": _pick(draft.id), "p3": _pick(third.id), "p4": _pick(gone.id),
                         "p5": _pick(theirs.id), "p6": _pick(999), "p7": _pick(first.id), "p8": {"type": "pick"}},
              "block_order": ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]}
    publish_document(tenant_a, document({"type": "article_list", "settings": {"count": 2, "title": "Latest"}}, picked))

    html = _html(client, tenant_a)

    assert _titles(_section(html, "s0")) == ["Third news", "Second news"]
    assert "Latest" in _section(html, "s0") and "The latest" in _section(html, "s0")
    assert _titles(_section(html, "s1")) == ["First news", "Third news"]  # picked order; count is for "newest"
    assert f'href="/s/{tenant_a.slug}/p/article?id={first.id}"' in _section(html, "s1")
    assert second.title not in _section(html, "s1")


def test_a_section_with_only_its_type_is_valid_and_shows_the_newest_three(client, publish_document, document, write,
                                                                         tenant_a):
    from runtime.document import validate_document

    for index in range(4):
        write(tenant_a, f"Story {index}")
    settings = validate_document(document({"type": "article_list"}))["pages"]["home"]["sections"]["s0"]["settings"]
    assert settings == {"title": "News", "source": "newest", "count": 3, "style": "list", "show_cover": True,
                        "show_date": True}
    publish_document(tenant_a, document({"type": "article_list"}))
    section = _section(_html(client, tenant_a), "s0")
    assert _titles(section) == ["Story 3", "Story 2", "Story 1"]
    assert "News" in section


def test_no_articles_render_as_nothing(client, publish_document, document, tenant_a):
    publish_document(tenant_a, document({"type": "article_list"}))
    section = _section(_html(client, tenant_a), "s0")
    assert section and "t-articles" not in section


def test_covers_dates_and_styles(client, publish_document, document, write, db_session, tenant_b):
    article = write(tenant_b, "Pictured", cover="https://cdn.example/cover.jpg")
    with tenant_scope(tenant_b):
        Article.get(article.id).published_at = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.timezone.utc)
        db_session.commit()
    publish_document(tenant_b, document({"type": "article_list", "settings": {"style": "cards"}},
                                        {"type": "article_list", "settings": {"show_cover": False, "show_date": False}}))
    html = _html(client, tenant_b)
    cards, bare = _section(html, "s0"), _section(html, "s1")
    assert "t-articles--cards" in cards and 'src="https://cdn.example/cover.jpg"' in cards
    assert ">2025-12-31</time>" in cards  # New York's date, not UTC's
    assert "Pictured" in bare and "<img" not in bare and "<time" not in bare


def test_two_article_lists_load_in_one_query(client, publish_document, document, write, tenant_a, count_queries):
    picked_ones = [write(tenant_a, f"Story {index}") for index in range(6)]
    sections = ({"type": "article_list", "settings": {"count": 4}},
                {"type": "article_list", "settings": {"source": "picked"},
                 "blocks": {"p1": _pick(picked_ones[0].id), "p2": _pick(picked_ones[1].id)},
                 "block_order": ["p1", "p2"]})
    publish_document(tenant_a, document(*sections))
    _html(client, tenant_a)
    page_cache().clear()
    with count_queries() as statements:
        html = _html(client, tenant_a)
    assert len(_articles_queries(statements)) == 1
    assert _titles(_section(html, "s0")) == ["Story 5", "Story 4", "Story 3", "Story 2"]
    assert _titles(_section(html, "s1")) == ["Story 0", "Story 1"]


def test_the_queries_do_not_grow_with_the_articles_shown(client, publish_document, document, write, tenant_a,
                                                         count_queries):
    write(tenant_a, "Only one", cover="https://cdn.example/1.jpg")
    publish_document(tenant_a, document({"type": "article_list", "settings": {"count": 20}}))
    _html(client, tenant_a)
    page_cache().clear()
    with count_queries() as one:
        _html(client, tenant_a)
    for index in range(15):
        write(tenant_a, f"Story {index}", cover=f"https://cdn.example/{index}.jpg")
    page_cache().clear()
    with count_queries() as sixteen:
        assert len(_titles(_html(client, tenant_a))) == 16
    assert len(sixteen) == len(one)


def test_the_article_page_shows_the_article_of_its_id(client, publish_document, document, write, tenant_a):
    article = write(tenant_a, "Our story", summary="How it began", body="<p>Since 1998</p>",
                    cover="https://cdn.example/story.jpg")
    publish_document(tenant_a, document())
    html = _html(client, tenant_a, f"p/article?id={article.id}")
    main = _section(html, "main")
    assert "Our story" in main and "<p>Since 1998</p>" in main and 'src="https://cdn.example/story.jpg"' in main
    assert "This article is not available." not in main


@pytest.mark.parametrize("bad", ["", "abc", "-5", "0", "1", "²", "１２", "9223372036854775808",
                                 "99999999999999999999999999999999999999", "draft", "deleted", "theirs"])
def test_the_article_page_is_friendly_about_bad_ids(client, publish_document, document, write, db_session, tenant_a,
                                                   tenant_b, bad):
    ids = {"draft": write(tenant_a, "Draft", publish=False).id, "deleted": write(tenant_a, "Deleted").id,
           "theirs": write(tenant_b, "Theirs").id}
    with tenant_scope(tenant_a):
        delete_article(Article.get(ids["deleted"]))
        db_session.commit()
    publish_document(tenant_a, document())
    response = client.get(f"/s/{tenant_a.slug}/p/article", query_string={"id": ids.get(bad, bad)})
    assert response.status_code == 200
    main = _section(response.get_data(as_text=True), "main")
    assert "This article is not available." in main
    assert f'href="/s/{tenant_a.slug}/p/home"' in main
    assert "Draft" not in main and "Deleted" not in main and "Theirs" not in main


def test_the_page_api_carries_the_same_data(client, publish_document, document, write, tenant_a):
    article = write(tenant_a, "Via the API")
    publish_document(tenant_a, document({"type": "article_list"}))
    body = client.get("/api/v1/pages/home", headers={"X-Tenant": tenant_a.slug}).json
    [section] = body["sections"]
    assert section["type"] == "article_list"
    assert [(a["id"], a["title"]) for a in section["data"]] == [(str(article.id), "Via the API")]
    detail = client.get(f"/api/v1/pages/article?id={article.id}", headers={"X-Tenant": tenant_a.slug}).json
    assert detail["sections"][0]["data"]["title"] == "Via the API"


def test_publishing_and_unpublishing_refresh_the_cached_page(client, publish_document, document, write, db_session,
                                                             tenant_a):
    article = write(tenant_a, "Breaking", publish=False)
    publish_document(tenant_a, document({"type": "article_list"}))
    hidden = client.get(f"/s/{tenant_a.slug}/")
    assert "Breaking" not in hidden.get_data(as_text=True)
    assert client.get(f"/s/{tenant_a.slug}/", headers={"If-None-Match": hidden.headers["ETag"]}).status_code == 304

    with tenant_scope(tenant_a):
        publish_article(Article.get(article.id))
        db_session.commit()
    shown = client.get(f"/s/{tenant_a.slug}/", headers={"If-None-Match": hidden.headers["ETag"]})
    assert shown.status_code == 200 and "Breaking" in shown.get_data(as_text=True)

    with tenant_scope(tenant_a):
        unpublish_article(Article.get(article.id))
        db_session.commit()
    again = client.get(f"/s/{tenant_a.slug}/", headers={"If-None-Match": shown.headers["ETag"]})
    assert again.status_code == 200 and "Breaking" not in again.get_data(as_text=True)


def test_unrelated_writes_do_not_re_render(client, publish_document, document, write, db_session, tenant_a, tenant_b,
                                           count_queries):
    from engines.catalog.services import create_category

    write(tenant_a, "Ours")
    publish_document(tenant_a, document({"type": "article_list"}))
    etag = client.get(f"/s/{tenant_a.slug}/").headers["ETag"]
    write(tenant_b, "Another shop's news")  # bumps tenant B's stamp, not ours
    with tenant_scope(tenant_a):
        create_category(name="Cakes")  # bumps our "catalog" stamp, which this page does not read
        db_session.commit()
    with count_queries() as statements:
        response = client.get(f"/s/{tenant_a.slug}/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert _articles_queries(statements) == []  # served from the cache, not rendered again


def test_article_components_need_the_engine(db_session, document):
    from runtime.document import DocumentError, validate_document

    with pytest.raises(DocumentError) as error:
        validate_document(document({"type": "article_list"}, engines=()))
    assert "pages.home.sections.s0.type" in error.value.errors
    assert "pages.article.kind" in error.value.errors


def test_the_article_page_needs_its_main_section(db_session, document):
    from runtime.document import DocumentError, validate_document

    doc = document()
    doc["pages"]["article"]["sections"] = {}
    doc["pages"]["article"]["order"] = []
    with pytest.raises(DocumentError) as error:
        validate_document(doc)
    assert "pages.article.sections" in error.value.errors
    doc["pages"]["home"]["sections"] = {"s0": {"type": "article_detail"}}
    doc["pages"]["home"]["order"] = ["s0"]
    with pytest.raises(DocumentError) as error:
        validate_document(doc)
    assert "pages.home.sections.s0.type" in error.value.errors  # only on the article page

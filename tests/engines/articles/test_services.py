"""The write path of articles and its reads: validation, soft delete, publishing, keyset paging,
and the "articles" stamp bumped only after commit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.cache import stamps
from core.errors import APIError
from core.media import Media
from core.tenancy import tenant_scope
from engines.articles.models import Article, ArticleStatus
from engines.articles.services import (MAX_BODY, create_article, delete_article, find_article, get_published,
                                       list_published, parse_id, publish_article, published_for_lists,
                                       unpublish_article, update_article)


def _count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Article))


def _stamp(tenant) -> int:
    return stamps().all(tenant.id).get("articles", 0)


def test_create_cleans_and_sanitises(db_session, tenant_a, create_identity):
    author = create_identity()
    with tenant_scope(tenant_a):
        create_article(title="  Spring menu  ", summary=" New dishes ", author_id=author.id,
                       body='<p onclick="x()">New <script>bad()</script><a href="javascript:x()">dishes</a></p>')
        db_session.commit()
        db_session.expire_all()
        stored = db_session.scalar(select(Article))
    assert (stored.title, stored.summary, stored.status, stored.published_at) == ("Spring menu", "New dishes",
                                                                                   ArticleStatus.DRAFT, None)
    assert stored.body == "<p>New <a rel=\"noopener noreferrer\">dishes</a></p>"
    assert (stored.author_id, stored.deleted_at, stored.tenant_id) == (author.id, None, tenant_a.id)
    assert stored.created_at.tzinfo is not None and stored.updated_at >= stored.created_at


def test_create_published(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="Open on Sunday", publish=True)
    assert article.status == ArticleStatus.PUBLISHED
    assert dt.datetime.now(dt.timezone.utc) - article.published_at < dt.timedelta(minutes=1)


@pytest.mark.parametrize(("fields", "bad"), [
    ({"title": ""}, ["title"]),
    ({"title": "   "}, ["title"]),
    ({"title": "x" * 121}, ["title"]),
    ({"title": "ok", "summary": "s" * 301}, ["summary"]),
    ({"title": "ok", "cover": "javascript:alert(1)"}, ["cover"]),
    ({"title": "ok", "cover": "http://plain.example/a.png"}, ["cover"]),
    ({"title": "ok", "cover": "media:123456"}, ["cover"]),  # no such media
    ({"title": "ok", "body": "<p>" + "x" * MAX_BODY + "</p>"}, ["body"]),
    ({"title": "", "cover": "ftp://x"}, ["title", "cover"]),
])
def test_bad_input_is_refused_and_nothing_written(db_session, tenant_a, fields, bad):
    before = _stamp(tenant_a)
    with tenant_scope(tenant_a):
        with pytest.raises(APIError) as error:
            create_article(**fields)
        db_session.commit()
        assert _count(db_session) == 0
    assert (error.value.code, error.value.status, sorted(error.value.fields)) == ("invalid_input", 422, sorted(bad))
    assert _stamp(tenant_a) == before


def test_the_cover_is_media_of_this_shop_or_https(db_session, tenant_a, tenant_b):
    with tenant_scope(tenant_b):
        theirs = Media(key="t/b.png", filename="b.png", content_type="image/png", size=1)
        db_session.add(theirs)
        db_session.flush()
    with tenant_scope(tenant_a):
        ours = Media(key="t/a.png", filename="a.png", content_type="image/png", size=1)
        db_session.add(ours)
        db_session.flush()
        assert create_article(title="Ours", cover=f"media:{ours.id}").cover == f"media:{ours.id}"
        assert create_article(title="Web", cover="https://cdn.example/a.png").cover == "https://cdn.example/a.png"
        with pytest.raises(APIError) as error:
            create_article(title="Theirs", cover=f"media:{theirs.id}")
    assert error.value.fields == {"cover": ["There is no such image in the media library."]}


def test_update_changes_only_what_is_given(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="Menu", summary="Short", body="<p>Long</p>")
        update_article(article, title="Autumn menu", body="<p>Chestnuts<script>x</script></p>")
    assert (article.title, article.summary, article.body) == ("Autumn menu", "Short", "<p>Chestnuts</p>")


def test_a_refused_update_changes_nothing(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="Menu", summary="Short")
        with pytest.raises(APIError) as error:
            update_article(article, title="", summary="Changed")
    assert list(error.value.fields) == ["title"]
    assert (article.title, article.summary) == ("Menu", "Short")


def test_publish_and_unpublish(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="Opening hours")
        publish_article(article)
        first = article.published_at
        assert article.status == ArticleStatus.PUBLISHED and first is not None
        assert get_published(article.id) is article
        unpublish_article(article)
        assert article.status == ArticleStatus.DRAFT and get_published(article.id) is None
        publish_article(article)
        assert article.status == ArticleStatus.PUBLISHED
        assert article.published_at == first  # a republished article keeps its place in the list


def test_soft_delete_keeps_the_row_and_hides_the_article(db_session, tenant_a):
    with tenant_scope(tenant_a):
        article = create_article(title="Old news", publish=True)
        delete_article(article)
        db_session.commit()
        assert _count(db_session) == 1
        assert article.deleted_at is not None
        assert (find_article(article.id), get_published(article.id)) == (None, None)
        assert list_published()[0] == []
        for write in (lambda: update_article(article, title="Back"), lambda: publish_article(article),
                      lambda: unpublish_article(article)):
            with pytest.raises(APIError) as error:
                write()
            assert error.value.code == "not_found"
        deleted_at = article.deleted_at
        delete_article(article)
        assert article.deleted_at == deleted_at
        assert article.status == ArticleStatus.PUBLISHED


def test_writes_bump_the_stamp_after_commit_only(db_session, tenant_a, tenant_b):
    before, other = _stamp(tenant_a), _stamp(tenant_b)
    with tenant_scope(tenant_a):
        article = create_article(title="Pending")
        assert _stamp(tenant_a) == before  # not yet: the transaction may still roll back
        db_session.commit()
        assert _stamp(tenant_a) == before + 1
        publish_article(article)
        db_session.rollback()
        db_session.commit()
        assert _stamp(tenant_a) == before + 1  # rolled back: nothing to invalidate
        article = Article.get(article.id)
        publish_article(article)
        update_article(article, title="Published")
        db_session.commit()
        assert _stamp(tenant_a) == before + 2  # one bump per kind and transaction
    assert _stamp(tenant_b) == other


def test_list_published_pages_by_keyset_through_equal_dates(db_session, tenant_a):
    moment = dt.datetime(2026, 5, 1, 8, 30, 0, 123457, tzinfo=dt.timezone.utc)
    with tenant_scope(tenant_a):
        made = [create_article(title=f"Same time {i}", publish=True) for i in range(5)]
        create_article(title="Draft")
        for article in made:
            article.published_at = moment
        db_session.flush()
        seen, cursor = [], None
        for _ in range(3):
            rows, cursor = list_published(limit=2, cursor=cursor)
            seen += rows
        assert cursor is None
    assert [a.id for a in seen] == sorted((a.id for a in made), reverse=True)


def test_published_for_lists_is_this_shops_newest_and_picks(db_session, tenant_a, tenant_b):
    with tenant_scope(tenant_a):
        old, middle, new = (create_article(title=t, publish=True) for t in ("Old", "Middle", "New"))
        draft = create_article(title="Draft")
        gone = create_article(title="Gone", publish=True)
        delete_article(gone)
        db_session.flush()
    with tenant_scope(tenant_b):
        theirs = create_article(title="Theirs, and the newest of all", publish=True)
    with tenant_scope(tenant_a):
        assert published_for_lists(newest=2, ids=[old.id, draft.id, gone.id, theirs.id, 2**64]) == [new, middle, old]
        assert published_for_lists(newest=5) == [new, middle, old]
        assert published_for_lists(ids=[middle.id, theirs.id]) == [middle]
        assert published_for_lists(ids=[theirs.id]) == published_for_lists() == []


@pytest.mark.parametrize("cursor", ["nonsense", "1.", ".1", "12.-3", "12.0", "1.9999999999999999999",
                                    "99999999999999999.1", "1.2.3", "١٢.٣"])
def test_a_cursor_the_api_did_not_make_is_refused(db_session, tenant_a, cursor):
    with tenant_scope(tenant_a), pytest.raises(APIError) as error:
        list_published(cursor=cursor)
    assert (error.value.code, list(error.value.fields)) == ("invalid_input", ["cursor"])


@pytest.mark.parametrize(("raw", "expected"), [
    ("123", 123), (123, 123), ("9223372036854775807", 2**63 - 1), ("9223372036854775808", None),
    ("99999999999999999999", None), ("0", None), ("-1", None), ("abc", None), ("", None), (None, None),
    ("²", None), ("１２", None), (" 12", None), (True, None), (2**64, None)])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected

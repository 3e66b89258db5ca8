"""The write path of articles, and the reads the API, the back office and the components use.

Every write runs in the caller's transaction (the caller commits), refuses bad input with an
`APIError` carrying field errors before it changes anything, and invalidates the cached pages that
show articles ("articles" stamp) once the transaction commits. Audit rows are the caller's: the
back office knows who did it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from sqlalchemy import Select, select, tuple_, union_all

from core.cache import bump_after_commit
from core.components import MEDIA_REF, sanitize_html
from core.db import db, utcnow
from core.errors import APIError
from core.ids import parse_id
from core.paging import newest_first
from core.media import resolve_media
from core.tenancy import current_tenant_id
from engines.articles.models import Article, ArticleStatus

MAX_TITLE = 120
MAX_SUMMARY = 300
MAX_BODY = 100_000  # characters of HTML, before sanitising
NEWEST_FIRST = (Article.published_at.desc(), Article.id.desc())
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CURSOR = re.compile(r"([0-9]{1,16})\.([0-9]{1,19})")


# -- writes ------------------------------------------------------------------------------------

def _clean(*, title: str | None, summary: str | None, cover: str | None, body: str | None) -> dict:
    """The given fields, checked and normalised; None means "not given" and is left out."""
    errors: dict[str, list[str]] = {}
    out: dict[str, str] = {}
    if title is not None:
        out["title"] = title.strip()
        if not 1 <= len(out["title"]) <= MAX_TITLE:
            errors["title"] = [f"Give the article a title of at most {MAX_TITLE} characters."]
    if summary is not None:
        out["summary"] = summary.strip()
        if len(out["summary"]) > MAX_SUMMARY:
            errors["summary"] = [f"Keep the summary to {MAX_SUMMARY} characters."]
    if cover is not None:
        out["cover"] = cover.strip()
        if out["cover"] and not MEDIA_REF.match(out["cover"]):
            errors["cover"] = ["Use an image from the media library (media:<id>) or an https address."]
        elif out["cover"].startswith("media:") and out["cover"] not in resolve_media([out["cover"]]):
            errors["cover"] = ["There is no such image in the media library."]
    if body is not None:
        if len(body) > MAX_BODY:
            errors["body"] = [f"The text is too long ({MAX_BODY:,} characters at most)."]
        else:
            out["body"] = sanitize_html(body)
    if errors:
        raise APIError("invalid_input", fields=errors)
    return out


def _changed() -> None:
    bump_after_commit(current_tenant_id(), "articles")


def _refuse_deleted(article: Article) -> None:
    if article.deleted_at is not None:
        raise APIError("not_found", "This article was deleted.")


def create_article(*, title: str, summary: str = "", cover: str = "", body: str = "", author_id: int | None = None,
                   publish: bool = False) -> Article:
    """A new article of the current tenant: a draft, or published now when `publish`."""
    article = Article(**_clean(title=title, summary=summary, cover=cover, body=body), author_id=author_id)
    if publish:
        article.status, article.published_at = ArticleStatus.PUBLISHED, utcnow()
    db.session.add(article)
    db.session.flush()
    _changed()
    return article


def update_article(article: Article, *, title: str | None = None, summary: str | None = None,
                   cover: str | None = None, body: str | None = None) -> Article:
    """Change the given fields (None leaves a field as it is); refuses a deleted article."""
    _refuse_deleted(article)
    for name, value in _clean(title=title, summary=summary, cover=cover, body=body).items():
        setattr(article, name, value)
    _changed()
    return article


def publish_article(article: Article) -> Article:
    """Show the article to consumers. It keeps the date of its first publication."""
    _refuse_deleted(article)
    if article.status != ArticleStatus.PUBLISHED:
        article.status = ArticleStatus.PUBLISHED
        article.published_at = article.published_at or utcnow()
        _changed()
    return article


def unpublish_article(article: Article) -> Article:
    """Back to draft: consumers no longer see it."""
    _refuse_deleted(article)
    if article.status != ArticleStatus.DRAFT:
        article.status = ArticleStatus.DRAFT
        _changed()
    return article


def delete_article(article: Article) -> None:
    """Soft delete: the article disappears from the shop and the back office; the row stays."""
    if article.deleted_at is None:
        article.deleted_at = utcnow()
        _changed()


# -- reads -------------------------------------------------------------------------------------

def find_article(article_id: int | str | None) -> Article | None:
    """An article of the current tenant that is not deleted, published or not (back office)."""
    article_id = parse_id(article_id)
    article = Article.get(article_id) if article_id else None
    return article if article is not None and article.deleted_at is None else None


def _published() -> Select:
    return select(Article).where(Article.status == ArticleStatus.PUBLISHED, Article.deleted_at.is_(None))


def get_published(article_id: int | str | None) -> Article | None:
    """The article if consumers may see it: published, not deleted, of the current tenant."""
    article_id = parse_id(article_id)
    return db.session.scalar(_published().where(Article.id == article_id)) if article_id else None


def published_for_lists(*, newest: int = 0, ids: Iterable[int] = ()) -> list[Article]:
    """In one query, newest first: the `newest` latest published articles and the published ones
    among `ids` (unknown, draft and deleted ids are simply absent). The order is total, so the
    first `newest` rows are exactly the latest ones, whatever else was asked for."""
    wanted = sorted({i for i in (parse_id(i) for i in ids) if i})
    if newest <= 0:
        if not wanted:
            return []
        chosen = wanted
    else:
        # A UNION of two index lookups, not an OR: PostgreSQL then reads about newest + len(ids)
        # rows instead of every article of the shop.
        latest = _published().with_only_columns(Article.id).order_by(*NEWEST_FIRST).limit(newest).subquery("latest")
        chosen = select(latest.c.id)
        if wanted:
            chosen = union_all(chosen, select(Article.id).where(Article.id.in_(wanted)))
    return list(db.session.scalars(_published().where(Article.id.in_(chosen)).order_by(*NEWEST_FIRST)))


def _micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)  # exact: no float on the way


def list_published(*, limit: int = 20, cursor: str | None = None) -> tuple[list[Article], str | None]:
    """Published articles newest first, keyset-paged by (published_at, id): a page and the cursor
    of the next one (None on the last page). The cursor is opaque to clients; one that this
    function did not make is refused with a field error."""
    statement = _published().order_by(*NEWEST_FIRST).limit(limit + 1)
    if cursor:
        match = _CURSOR.fullmatch(cursor)
        last_id = parse_id(match.group(2)) if match else None
        if last_id is None:
            raise APIError("invalid_input", fields={"cursor": ["Not a cursor this API gave out."]})
        last_published = _EPOCH + dt.timedelta(microseconds=int(match.group(1)))
        statement = statement.where(tuple_(Article.published_at, Article.id) < (last_published, last_id))
    rows = list(db.session.scalars(statement))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], f"{_micros(last.published_at)}.{last.id}"


def list_for_staff(*, status: str | None = None, before: int | None = None,
                   limit: int = 50) -> tuple[list[Article], int | None]:
    """The back office's list: articles not deleted, newest created first (ids are time-ordered),
    optionally of one status; keyset-paged by id (`before`: the `next` of the previous page)."""
    statement = select(Article).where(Article.deleted_at.is_(None))
    if status in {s.value for s in ArticleStatus}:
        statement = statement.where(Article.status == ArticleStatus(status))
    return newest_first(statement, Article.id, limit=limit, before=before)

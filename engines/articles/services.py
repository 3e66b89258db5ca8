"""The write path of articles (and the reads other parts use). Each function runs in the
caller's transaction, refuses bad input with field errors, and invalidates cached pages that
show articles once the transaction commits."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, tuple_

from core.cache import bump_after_commit
from core.components import MEDIA_REF, sanitize_html
from core.db import db, utcnow
from core.errors import APIError
from core.tenancy import current_tenant_id
from engines.articles.models import Article, ArticleStatus

MAX_BODY = 100_000


def _clean(*, title: str, summary: str, cover: str, body: str) -> dict:
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not 1 <= len(title) <= 120:
        errors["title"] = ["Give the article a title of at most 120 characters."]
    summary = (summary or "").strip()
    if len(summary) > 300:
        errors["summary"] = ["Keep the summary under 300 characters."]
    cover = (cover or "").strip()
    if cover and not MEDIA_REF.match(cover):
        errors["cover"] = ["Use an image from the media library (media:<id>) or an https address."]
    if len(body or "") > MAX_BODY:
        errors["body"] = [f"The text is too long ({MAX_BODY:,} characters at most)."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return {"title": title, "summary": summary, "cover": cover, "body": sanitize_html(body or "")}


def _changed() -> None:
    bump_after_commit(current_tenant_id(), "articles")


def create_article(*, title: str, summary: str = "", cover: str = "", body: str = "", author_id: int | None = None,
                   publish: bool = False) -> Article:
    article = Article(**_clean(title=title, summary=summary, cover=cover, body=body), author_id=author_id)
    if publish:
        article.status, article.published_at = ArticleStatus.PUBLISHED, utcnow()
    db.session.add(article)
    db.session.flush()
    _changed()
    return article


def update_article(article: Article, *, title: str, summary: str = "", cover: str = "", body: str = "") -> Article:
    for name, value in _clean(title=title, summary=summary, cover=cover, body=body).items():
        setattr(article, name, value)
    _changed()
    return article


def publish_article(article: Article) -> Article:
    if article.status != ArticleStatus.PUBLISHED:
        article.status, article.published_at = ArticleStatus.PUBLISHED, utcnow()
        _changed()
    return article


def unpublish_article(article: Article) -> Article:
    if article.status != ArticleStatus.DRAFT:
        article.status = ArticleStatus.DRAFT
        _changed()
    return article


def delete_article(article: Article) -> None:
    """Soft delete: it disappears from the shop and the back office; the row stays."""
    article.deleted_at = article.deleted_at or utcnow()
    _changed()


def find_article(article_id: int) -> Article | None:
    """An article of the current tenant that is not deleted (published or not)."""
    article = Article.get(article_id)
    return article if article is not None and article.deleted_at is None else None


def _published():
    return select(Article).where(Article.status == ArticleStatus.PUBLISHED, Article.deleted_at.is_(None))


def get_published(article_id: int) -> Article | None:
    return db.session.scalar(_published().where(Article.id == article_id))


def published_by_ids(ids: list[int]) -> dict[int, Article]:
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(_published().where(Article.id.in_(ids)))}


def list_published(*, limit: int = 20, cursor: str | None = None) -> tuple[list[Article], str | None]:
    """Newest first, keyset-paged by (published_at, id). The cursor is opaque to clients."""
    statement = _published().order_by(Article.published_at.desc(), Article.id.desc()).limit(limit + 1)
    if cursor:
        match = re.fullmatch(r"(\d{1,19})\.(\d{1,19})", cursor)
        if not match:
            raise APIError("invalid_input", fields={"cursor": ["Not a cursor this API gave out."]})
        stamp = dt.datetime.fromtimestamp(int(match.group(1)) / 1_000_000, tz=dt.timezone.utc)
        statement = statement.where(tuple_(Article.published_at, Article.id) < (stamp, int(match.group(2))))
    rows = list(db.session.scalars(statement))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = f"{int(last.published_at.timestamp() * 1_000_000)}.{last.id}"
    return rows[:limit], next_cursor


def list_for_staff(*, status: str | None = None, before: int | None = None, limit: int = 50):
    statement = select(Article).where(Article.deleted_at.is_(None)).order_by(Article.id.desc()).limit(limit + 1)
    if status in (ArticleStatus.DRAFT, ArticleStatus.PUBLISHED):
        statement = statement.where(Article.status == status)
    if before:
        statement = statement.where(Article.id < before)
    rows = list(db.session.scalars(statement))
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None

"""The consumer API of articles: /api/v1/articles and /api/v1/articles/<id>."""

from __future__ import annotations

from flask import jsonify, request

from core.api import api_blueprint
from core.errors import APIError
from core.media import resolve_media
from core.openapi import api_doc
from engines.articles.schemas import ArticleAnswer, ArticleDetailOut, ArticleOut, ArticlePageOut
from engines.articles.services import get_published, list_published

bp = api_blueprint("articles_api", __name__)


@bp.get("/articles")
@api_doc("Published articles, newest first", tags=["articles"], response=ArticlePageOut,
         query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor of the previous page"})
def articles():
    limit = request.args.get("limit", default=20, type=int)
    if not 1 <= limit <= 50:
        raise APIError("invalid_input", fields={"limit": ["Use a limit from 1 to 50."]})
    rows, next_cursor = list_published(limit=limit, cursor=request.args.get("cursor"))
    return jsonify(items=ArticleOut(many=True).dump(rows), next_cursor=next_cursor,
                   media=resolve_media([a.cover for a in rows if a.cover]))


@bp.get("/articles/<int:article_id>")
@api_doc("One published article", tags=["articles"], response=ArticleAnswer, errors=(404,))
def article(article_id: int):
    row = get_published(article_id)
    if row is None:
        raise APIError("not_found", "There is no such article.")
    return jsonify(article=ArticleDetailOut().dump(row), media=resolve_media([row.cover] if row.cover else []))

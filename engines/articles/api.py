"""The consumer API of articles: /api/v1/articles (keyset-paged) and /api/v1/articles/<id>.
Consumers see published articles of the request's shop only; anything else is a 404."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import ValidationError

from core.api import api_blueprint
from core.errors import APIError
from core.media import resolve_media
from core.openapi import api_doc
from engines.articles.schemas import ArticleAnswer, ArticleListQuery, ArticlePageOut, query_doc
from engines.articles.services import get_published, list_published

bp = api_blueprint("articles_api", __name__)


@bp.get("/articles")
@api_doc("Published articles, newest first", tags=["articles"], response=ArticlePageOut,
         query=query_doc(ArticleListQuery))
def articles():
    try:
        args = ArticleListQuery().load(request.args.to_dict())
    except ValidationError as error:
        raise APIError("invalid_input", fields=error.messages) from None
    rows, next_cursor = list_published(limit=args["limit"], cursor=args["cursor"])
    return jsonify(ArticlePageOut().dump({"items": rows, "next_cursor": next_cursor,
                                          "media": resolve_media([a.cover for a in rows if a.cover])}))


@bp.get("/articles/<int:article_id>")
@api_doc("One published article", tags=["articles"], response=ArticleAnswer, errors=(404,))
def article(article_id: int):
    row = get_published(article_id)
    if row is None:
        raise APIError("not_found", "There is no such article.")
    return jsonify(ArticleAnswer().dump({"article": row, "media": resolve_media([row.cover] if row.cover else [])}))

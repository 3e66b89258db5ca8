"""Articles in the consumer API."""

from __future__ import annotations

from marshmallow import Schema, fields


class ArticleOut(Schema):
    id = fields.Function(lambda a: str(a.id))
    title = fields.String()
    summary = fields.String()
    cover = fields.String(metadata={"description": "media:<id> or an https URL; resolve media through `media`"})
    published_at = fields.DateTime()


class ArticleDetailOut(ArticleOut):
    body = fields.String(metadata={"description": "Sanitised HTML"})


class ArticlePageOut(Schema):
    items = fields.List(fields.Nested(ArticleOut))
    next_cursor = fields.String(allow_none=True)
    media = fields.Dict(metadata={"description": "The covers' media references -> url, thumbnail"})


class ArticleAnswer(Schema):
    article = fields.Nested(ArticleDetailOut)
    media = fields.Dict()

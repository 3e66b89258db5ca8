"""Articles in the consumer API: the query of the list, and what the API answers."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class ArticleListQuery(Schema):
    """`GET /api/v1/articles` arguments (other arguments are ignored)."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50),
                           metadata={"description": "1 to 50 (default 20)"})
    cursor = fields.String(load_default=None, validate=validate.Length(max=40),
                           metadata={"description": "next_cursor of the previous page"})


class ArticleOut(Schema):
    id = fields.String(metadata={"description": "The article's id (a string: ids exceed 2^53)"})
    title = fields.String()
    summary = fields.String()
    cover = fields.String(metadata={"description": "media:<id>, an https URL or empty; look media up in `media`"})
    published_at = fields.DateTime()


class ArticleDetailOut(ArticleOut):
    body = fields.String(metadata={"description": "Sanitised HTML"})


class MediaOut(Schema):
    url = fields.String()
    thumbnail = fields.String()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    alt = fields.String()


class ArticlePageOut(Schema):
    items = fields.List(fields.Nested(ArticleOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})
    media = fields.Dict(keys=fields.String(), values=fields.Nested(MediaOut),
                        metadata={"description": "The covers' references -> their files"})


class ArticleAnswer(Schema):
    article = fields.Nested(ArticleDetailOut)
    media = fields.Dict(keys=fields.String(), values=fields.Nested(MediaOut))


def query_doc(schema: type[Schema]) -> dict[str, str]:
    """The `query` of `@api_doc`, from the schema that reads the arguments."""
    return {name: field.metadata.get("description", "") for name, field in schema().fields.items()}

"""The consumer API of reviews: reviewing a line of one's completed order
(POST /api/v1/orders/<id>/reviews), one's reviews of an order, and an item's shown reviews with
their average (GET /api/v1/items/<id>/reviews, public)."""

from __future__ import annotations

from flask import jsonify, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core.api import api_blueprint, load_json, require_consumer_id
from core.consumers import Consumer
from core.db import db
from core.idempotency import idempotent_created
from core.openapi import api_doc
from core.paging import page_arguments
from engines.orders.lifecycle import find_order
from engines.orders.reviews import MAX_BODY, rating_of, review_line, reviewed_lines, reviews_of_item

bp = api_blueprint("reviews_api", __name__)


class ReviewIn(Schema):
    line_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,19}$"))
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    body = fields.String(load_default="", validate=validate.Length(max=MAX_BODY))


class ReviewOut(Schema):
    id = fields.Function(lambda review: str(review.id))
    line_id = fields.Function(lambda review: str(review.line_id))
    item_id = fields.Function(lambda review: str(review.item_id))
    rating = fields.Integer()
    body = fields.String()
    author = fields.String(metadata={"description": "The reviewer, as others may see them (masked)"})
    created_at = fields.Function(lambda review: review.created_at.isoformat())


class ReviewAnswer(Schema):
    review = fields.Nested(ReviewOut)


class OrderReviewsOut(Schema):
    reviews = fields.List(fields.Nested(ReviewOut))


class ItemRatingOut(Schema):
    average = fields.Float(allow_none=True, metadata={"description": "Of the shown reviews, 1 to 5 (null: none)"})
    count = fields.Integer()


class ItemReviewsOut(Schema):
    rating = fields.Nested(ItemRatingOut)
    reviews = fields.List(fields.Nested(ReviewOut))
    next_cursor = fields.String(allow_none=True)


def masked(consumer: Consumer | None) -> str:
    """How a reviewer is shown to others: their name's first letter, or their phone's ends."""
    if consumer is None:
        return "***"
    if consumer.name.strip():
        return consumer.name.strip()[0] + "***"
    if consumer.phone:
        return consumer.phone[:3] + "****" + consumer.phone[-2:]
    return "***"


def _dumped(reviews: list) -> list[dict]:
    people = {consumer.id: consumer for consumer in db.session.scalars(
        select(Consumer).where(Consumer.id.in_({review.consumer_id for review in reviews})))} if reviews else {}
    dumped = ReviewOut(many=True).dump(reviews)
    for row, review in zip(dumped, reviews, strict=True):
        row["author"] = masked(people.get(review.consumer_id))
    return dumped


@bp.post("/orders/<int:order_id>/reviews")
@api_doc("Review a line of one's completed order (once a line): a rating from 1 to 5 and words. Send an "
         "Idempotency-Key header to retry safely", tags=["reviews"], body=ReviewIn, response=ReviewAnswer,
         status=201, auth=True, errors=(404, 409, 415, 422))
def create(order_id: int):
    consumer_id = require_consumer_id()

    def write():
        data = load_json(ReviewIn)
        review = review_line(order_id=order_id, consumer_id=consumer_id, line_id=data["line_id"],
                             rating=data["rating"], body=data["body"])
        return {"review": _dumped([review])[0]}, 201

    return idempotent_created(f"consumer:{consumer_id}", write,
                              lambda body: url_for(".of_order", order_id=order_id))


@bp.get("/orders/<int:order_id>/reviews")
@api_doc("The consumer's reviews of their order, by line", tags=["reviews"], response=OrderReviewsOut, auth=True,
         errors=(404,))
def of_order(order_id: int):
    order = find_order(order_id, consumer_id=require_consumer_id())
    return jsonify(reviews=_dumped(list(reviewed_lines(order.id).values())))


@bp.get("/items/<int:item_id>/reviews")
@api_doc("An item's reviews the shop shows, newest first, with their average rating", tags=["reviews"],
         response=ItemReviewsOut, query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor"})
def of_item(item_id: int):
    limit, before = page_arguments()
    reviews, next_cursor = reviews_of_item(item_id, before=before, limit=limit)
    average, count = rating_of(item_id)
    return jsonify(rating={"average": average, "count": count}, reviews=_dumped(reviews),
                   next_cursor=str(next_cursor) if next_cursor else None)

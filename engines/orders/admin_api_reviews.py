"""Reviews in the Admin API (/admin/api/v1, "orders.manage"): the shop's reviews, newest first,
and hiding one from the storefront or showing it again — audited as the back office audits it."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, fields

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args, record_audit, writing
from core.api import load_json
from core.errors import APIError
from core.openapi import api_doc
from engines.orders.reviews import find_review, list_reviews, set_hidden

bp = AdminAPIBlueprint("reviews_admin_api", __name__, permission="orders.manage")


class StaffReviewOut(Schema):
    id = fields.Function(lambda review: str(review.id))
    order_id = fields.Function(lambda review: str(review.order_id))
    line_id = fields.Function(lambda review: str(review.line_id))
    item_id = fields.Function(lambda review: str(review.item_id))
    consumer_id = fields.Function(lambda review: str(review.consumer_id))
    rating = fields.Integer()
    body = fields.String()
    hidden = fields.Boolean()
    created_at = fields.Function(lambda review: review.created_at.isoformat())


class StaffReviewPageOut(Schema):
    reviews = fields.List(fields.Nested(StaffReviewOut))
    next_cursor = fields.String(allow_none=True)


class StaffReviewAnswer(Schema):
    review = fields.Nested(StaffReviewOut)


class ReviewPatchIn(Schema):
    hidden = fields.Boolean(required=True, metadata={"description": "true hides it from the storefront"})


@bp.get("/reviews")
@api_doc("The shop's reviews, newest first", tags=["reviews"], response=StaffReviewPageOut,
         query={**PAGE_QUERY, "hidden": "true: only hidden ones; false: only shown ones"})
def reviews():
    limit, cursor = page_args()
    hidden = request.args.get("hidden")
    if hidden not in (None, "true", "false"):
        raise APIError("invalid_input", fields={"hidden": ["true or false."]})
    found, next_cursor = list_reviews(hidden=None if hidden is None else hidden == "true", before=cursor,
                                      limit=limit)
    return jsonify(reviews=StaffReviewOut(many=True).dump(found), next_cursor=str(next_cursor) if next_cursor else None)


@bp.patch("/reviews/<int:review_id>")
@api_doc("Hide a review from the storefront, or show it again", tags=["reviews"], body=ReviewPatchIn,
         response=StaffReviewAnswer)
def change(review_id: int):
    data = load_json(ReviewPatchIn)
    with writing():
        review = set_hidden(find_review(review_id), data["hidden"])
        record_audit("review.hide" if data["hidden"] else "review.show", target=f"review {review.id}")
    return jsonify(review=StaffReviewOut().dump(review))

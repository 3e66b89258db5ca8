"""Reviews: a consumer rates a line of their completed order (1 to 5, with words), once; the item
shows the reviews the shop has not hidden, with their average. `review.created.v1` tells other
engines (membership gives growth for it)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import add_unique, db
from core.errors import APIError, register_codes
from core.events import emit
from core.ids import parse_id
from core.paging import newest_first
from core.tenancy import current_tenant_id
from engines.orders import events as _events  # noqa: F401  declares the events emitted here
from engines.orders.lifecycle import find_order, lines_of
from engines.orders.models import OrderStatus, Review

register_codes({"review_not_allowed": (409, "Only the lines of a completed order can be reviewed."),
                "already_reviewed": (409, "You have reviewed this already.")})

MAX_BODY = 500


def review_line(*, order_id: int, consumer_id: int, line_id: object, rating: int, body: str) -> Review:
    """The consumer's review of a line of their completed order; 409 for an order not completed
    or a line reviewed already (two at once: one of them), 404 for another's order."""
    order = find_order(order_id, consumer_id=consumer_id)
    if order.status != OrderStatus.COMPLETED:
        raise APIError("review_not_allowed")
    line = next((line for line in lines_of([order.id])[order.id] if line.id == parse_id(line_id)), None)
    if line is None:
        raise APIError("invalid_input", fields={"line_id": ["Not a line of this order."]})
    review = Review(order_id=order.id, line_id=line.id, item_id=line.item_id, consumer_id=consumer_id, rating=rating,
                    body=body.strip()[:MAX_BODY])
    add_unique(review, APIError("already_reviewed"))  # one a line: two at once, one of them
    emit("review.created.v1", {"review_id": str(review.id), "order_id": str(order.id),
                               "consumer_id": str(consumer_id), "item_id": str(line.item_id), "rating": rating})
    return review


def reviewed_lines(order_id: int) -> dict[int, Review]:
    """An order's reviews by the line they review."""
    return {review.line_id: review for review in db.session.scalars(select(Review).where(Review.order_id == order_id))}


def reviews_of_item(item_id: int, *, before: int | None = None, limit: int = 20) -> tuple[list[Review], int | None]:
    """The reviews of an item the shop shows, newest first, a page at a time."""
    return newest_first(select(Review).where(Review.item_id == item_id, Review.hidden.is_(False)), Review.id,
                        before=before, limit=limit)


def rating_of(item_id: int) -> tuple[float | None, int]:
    """The average rating of an item's shown reviews (None without any) and how many there are."""
    average, count = db.session.execute(select(func.avg(Review.rating), func.count()).where(
        Review.item_id == item_id, Review.hidden.is_(False))).one()
    return (round(float(average), 1) if count else None), int(count)


def find_review(review_id: int) -> Review:
    review = db.session.get(Review, (current_tenant_id(), review_id))
    if review is None:
        raise APIError("not_found", "There is no such review.")
    return review


def set_hidden(review: Review, hidden: bool) -> Review:
    review.hidden = hidden
    db.session.flush()
    return review


def list_reviews(*, hidden: bool | None = None, before: int | None = None, limit: int = 50
                 ) -> tuple[list[Review], int | None]:
    """The shop's reviews for staff, newest first (only shown or only hidden ones when asked)."""
    query = select(Review)
    if hidden is not None:
        query = query.where(Review.hidden.is_(hidden))
    return newest_first(query, Review.id, before=before, limit=limit)

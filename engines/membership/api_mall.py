"""The consumer API of the points mall and the task centre: the items on offer
(/api/v1/points-mall), redeeming one (an order: paid at once when points pay it all, else paid as
any order), the consumer's redemptions (/api/v1/me/redemptions) and tasks (/api/v1/me/tasks, a
done task's points collected with POST /api/v1/me/tasks/<key>/claim)."""

from __future__ import annotations

from flask import jsonify, url_for

from core.api import api_blueprint, load_json, require_consumer_id
from core.db import db
from core.idempotency import idempotent_created
from core.media import resolve_media
from core.openapi import api_doc
from core.paging import page_arguments
from engines.membership.redemption import on_offer, quote_redemption, records, redeem, shown
from engines.membership.schemas_mall import (PointsMallItemAnswer, PointsMallItemOut, PointsMallOut, PointsMallRedeemIn,
                                             RedemptionPageOut, RedemptionRecordOut, TaskClaimedOut, TaskListOut,
                                             TaskOut)
from engines.membership.task_centre import claim, tasks_of
from engines.orders.services import OrderAnswer, QuoteOut, dump_order, quote_answer

bp = api_blueprint("points_mall_api", __name__)
_ITEM = PointsMallItemOut()


def _pictured(dumped: list[dict]) -> list[dict]:
    """Each entry's `image` (a media reference) as the URL of its thumbnail ("" when it has none)."""
    pictures = resolve_media([entry["image"] for entry in dumped])
    for entry in dumped:
        entry["image"] = pictures.get(entry["image"], {}).get("thumbnail", "")
    return dumped


@bp.get("/points-mall")
@api_doc("The points mall: items on offer for points, or points and cash, in the shop's order (image: a thumbnail's URL)", tags=["points mall"],
         response=PointsMallOut)
def points_mall():
    return jsonify(items=_pictured(_ITEM.dump(on_offer(), many=True)))


@bp.get("/points-mall/<int:offer_id>")
@api_doc("One item of the points mall", tags=["points mall"], response=PointsMallItemAnswer, errors=(404,))
def points_mall_item(offer_id: int):
    return jsonify(item=_pictured([_ITEM.dump(shown(offer_id))])[0])


@bp.post("/points-mall/<int:offer_id>/quote")
@api_doc("What redeeming would cost — the points, the cash part and delivery — without placing it", tags=["points mall"],
         body=PointsMallRedeemIn, response=QuoteOut, auth=True, errors=(404, 409, 415, 422))
def quote_item(offer_id: int):
    consumer_id = require_consumer_id()
    data = load_json(PointsMallRedeemIn)
    priced = quote_redemption(consumer_id=consumer_id, offer_id=offer_id, quantity=data["quantity"],
                              fulfillment_choice=data["fulfillment"])
    return jsonify(quote_answer(priced))


@bp.post("/points-mall/<int:offer_id>/redeem")
@api_doc("Redeem an item: an order of it, its points taken now; paid at once when points pay it all, else pay its "
         "cash part and delivery as any order (POST /orders/<id>/payments). Send an Idempotency-Key header to retry "
         "safely", tags=["points mall"], body=PointsMallRedeemIn, response=OrderAnswer, status=201, auth=True,
         errors=(404, 409, 415, 422))
def redeem_item(offer_id: int):
    consumer_id = require_consumer_id()

    def place():
        data = load_json(PointsMallRedeemIn)
        order, lines = redeem(consumer_id=consumer_id, offer_id=offer_id, quantity=data["quantity"],
                              fulfillment_choice=data["fulfillment"], note=data["note"])
        return {"order": dump_order(order, lines=lines)}, 201

    return idempotent_created(f"consumer:{consumer_id}", place,
                              lambda body: url_for("orders_api.order", order_id=body["order"]["id"]))


@bp.get("/me/redemptions")
@api_doc("The consumer's redemptions, newest first", tags=["points mall"], response=RedemptionPageOut, auth=True,
         query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor of the previous page"})
def my_redemptions():
    consumer_id = require_consumer_id()
    limit, before = page_arguments()
    found, next_cursor = records(consumer_id, before=before, limit=limit)
    return jsonify(redemptions=_pictured(RedemptionRecordOut(many=True).dump(found)),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.get("/me/tasks")
@api_doc("The task centre: what the member can do for points, and where they stand on each", tags=["points mall"],
         response=TaskListOut, auth=True)
def my_tasks():
    consumer_id = require_consumer_id()
    return jsonify(tasks=TaskOut(many=True).dump(tasks_of(consumer_id)))


@bp.post("/me/tasks/<key>/claim")
@api_doc("Collect a done task's points (once)", tags=["points mall"], response=TaskClaimedOut, status=201, auth=True,
         errors=(404, 409))
def claim_task(key: str):
    consumer_id = require_consumer_id()
    points = claim(consumer_id, key[:30])
    answer = {"points": points, "tasks": TaskOut(many=True).dump(tasks_of(consumer_id))}
    db.session.commit()
    return jsonify(answer), 201

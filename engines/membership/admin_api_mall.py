"""The points mall in the Admin API (/admin/api/v1, "membership.manage"): the offers — a catalog
SKU for points, or points and cash, with a per-member limit and an exclusive tier — made, listed
and changed (taken off the mall too), audited as the back office audits them."""

from __future__ import annotations

from flask import jsonify

from core.admin_api import AdminAPIBlueprint, record_audit, writing
from core.api import load_json
from core.openapi import api_doc
from engines.membership.redemption import create_offer, find_offer, offers, update_offer
from engines.membership.schemas_mall import (PointsMallOfferAnswer, PointsMallOfferIn, PointsMallOfferListOut,
                                             PointsMallOfferOut, PointsMallOfferPatch)

bp = AdminAPIBlueprint("points_mall_admin_api", __name__, permission="membership.manage")


def _ids(data: dict) -> dict:
    """The ids the API takes as strings, as the service takes them."""
    for name in ("sku_id", "min_tier_id"):
        if data.get(name) is not None:
            data[name] = int(data[name])
    return data


@bp.get("/points-mall/offers")
@api_doc("The points mall's offers, in the shop's order, active or not", tags=["points mall"],
         response=PointsMallOfferListOut)
def list_offers():
    return jsonify(offers=PointsMallOfferOut(many=True).dump(offers()))


@bp.post("/points-mall/offers")
@api_doc("Offer a catalog SKU in the points mall: points for one, a cash part (minor units, less than its price), a "
         "limit per member and an exclusive tier", tags=["points mall"], body=PointsMallOfferIn,
         response=PointsMallOfferAnswer, status=201)
def create():
    data = _ids(load_json(PointsMallOfferIn))
    with writing():
        offer = create_offer(**data)
        record_audit("points_mall.create", target=f"redemption_item {offer.id}",
                     details={"sku_id": str(offer.sku_id), "points": offer.points, "cash": offer.cash})
    return jsonify(offer=PointsMallOfferOut().dump(offer)), 201


@bp.patch("/points-mall/offers/<int:offer_id>")
@api_doc("Change an offer (active false takes it off the mall)", tags=["points mall"], body=PointsMallOfferPatch,
         response=PointsMallOfferAnswer)
def change(offer_id: int):
    data = _ids(load_json(PointsMallOfferPatch))
    with writing():
        offer = update_offer(find_offer(offer_id), **data)
        record_audit("points_mall.update", target=f"redemption_item {offer.id}", details={"fields": sorted(data)})
    return jsonify(offer=PointsMallOfferOut().dump(offer))

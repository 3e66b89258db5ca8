"""Paid member cards in the Admin API (/admin/api/v1, "membership.manage"): plans made, listed and
changed (taken off sale too), and activation codes made in batches — audited as the back office
audits them."""

from __future__ import annotations

from flask import jsonify

from core.admin_api import AdminAPIBlueprint, record_audit, writing
from core.api import load_json
from core.openapi import api_doc
from engines.membership.cards import create_plan, find_plan, make_card_codes, plans, update_plan
from engines.membership.schemas import (CardCodesIn, CardCodesOut, CardPlanAnswer, CardPlanIn, CardPlanListOut,
                                        CardPlanOut, CardPlanPatchIn)

bp = AdminAPIBlueprint("membership_cards_api", __name__, permission="membership.manage")


@bp.get("/card-plans")
@api_doc("The shop's paid member cards, on sale or not", tags=["membership"], response=CardPlanListOut)
def card_plans():
    return jsonify(plans=CardPlanOut(many=True).dump(plans()))


@bp.post("/card-plans")
@api_doc("Put a paid member card on sale: its period, list and first-purchase price, and benefits",
         tags=["membership"], body=CardPlanIn, response=CardPlanAnswer, status=201)
def create():
    data = load_json(CardPlanIn)
    with writing():
        plan = create_plan(**data)
        record_audit("card_plan.create", target=f"card_plan {plan.id}", details={"name": plan.name})
    return jsonify(plan=CardPlanOut().dump(plan)), 201


@bp.patch("/card-plans/<int:plan_id>")
@api_doc("Change a card (active false takes it off sale; cards held keep running)", tags=["membership"],
         body=CardPlanPatchIn, response=CardPlanAnswer)
def change(plan_id: int):
    data = load_json(CardPlanPatchIn)
    with writing():
        plan = update_plan(find_plan(plan_id), **data)
        record_audit("card_plan.update", target=f"card_plan {plan.id}", details={"fields": sorted(data)})
    return jsonify(plan=CardPlanOut().dump(plan))


@bp.post("/card-plans/<int:plan_id>/codes")
@api_doc("Make a batch of activation codes of a card (up to 5,000)", tags=["membership"], body=CardCodesIn,
         response=CardCodesOut, status=201)
def codes(plan_id: int):
    data = load_json(CardCodesIn)
    with writing():
        plan = find_plan(plan_id)
        made = make_card_codes(plan, data["count"], data["batch"])
        record_audit("card_plan.codes", target=f"card_plan {plan.id}", details={"count": len(made),
                                                                                  "batch": data["batch"]})
    return jsonify(codes=made), 201

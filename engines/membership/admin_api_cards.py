"""Paid member cards and stored value in the Admin API (/admin/api/v1, "membership.manage"): card
plans made, listed and changed (taken off sale too), activation codes made in batches, recharge
plans, and a member's wallet statement — audited as the back office audits them."""

from __future__ import annotations

from flask import jsonify

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args, record_audit, writing
from core.api import load_json
from core.db import db
from core.openapi import api_doc
from engines.membership.cards import create_plan, find_plan, make_card_codes, plans, update_plan
from engines.membership.members import find_member
from engines.membership.schemas import (dump_entries, CardCodesIn, CardCodesOut, CardPlanAnswer, CardPlanIn, CardPlanListOut,
                                        CardPlanOut, CardPlanPatchIn, RechargePlanAnswer, RechargePlanIn,
                                        RechargePlanListOut, RechargePlanOut, RechargePlanPatchIn, WalletEntryOut,
                                        WalletStatementOut, dump_wallet)
from engines.membership.wallet import create_recharge_plan, find_recharge_plan, recharge_plans, statement

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


@bp.get("/recharge-plans")
@api_doc("The shop's recharge plans (stored value), on offer or not", tags=["membership"], response=RechargePlanListOut)
def recharge_offers():
    return jsonify(plans=RechargePlanOut(many=True).dump(recharge_plans()))


@bp.post("/recharge-plans")
@api_doc("Offer a recharge: the member pays `pay`; the balance gets `pay` of principal and `bonus` of bonus",
         tags=["membership"], body=RechargePlanIn, response=RechargePlanAnswer, status=201)
def create_recharge():
    data = load_json(RechargePlanIn)
    with writing():
        plan = create_recharge_plan(**data)
        record_audit("recharge_plan.create", target=f"recharge_plan {plan.id}",
                     details={"pay": plan.pay, "bonus": plan.bonus})
    return jsonify(plan=RechargePlanOut().dump(plan)), 201


@bp.patch("/recharge-plans/<int:plan_id>")
@api_doc("Take a recharge plan off offer, or put it back", tags=["membership"], body=RechargePlanPatchIn,
         response=RechargePlanAnswer)
def change_recharge(plan_id: int):
    data = load_json(RechargePlanPatchIn)
    with writing():
        plan = find_recharge_plan(plan_id)
        plan.active = data["active"]
        record_audit("recharge_plan.update", target=f"recharge_plan {plan.id}", details={"active": plan.active})
    return jsonify(plan=RechargePlanOut().dump(plan))


@bp.get("/members/<int:consumer_id>/wallet")
@api_doc("A member's stored value and its statement, newest first", tags=["membership"],
         response=WalletStatementOut, query=PAGE_QUERY)
def member_wallet(consumer_id: int):
    member = find_member(consumer_id)
    limit, cursor = page_args()
    entries, next_cursor = statement(consumer_id, before=cursor, limit=limit)
    answer = {"wallet": dump_wallet(member), "entries": dump_entries(WalletEntryOut, entries),
              "next_cursor": str(next_cursor) if next_cursor else None}
    db.session.commit()
    return jsonify(answer)

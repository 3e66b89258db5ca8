"""Membership in the Admin API (/admin/api/v1, "membership.manage"): tiers, the member list, a
member's card and ledger, and adjustments of points and growth with a reason — through the
services the back office uses, audited as it audits them."""

from __future__ import annotations

from flask import jsonify, request

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args, record_audit, staff_actor, writing
from core.api import load_json
from core.db import db
from core.errors import APIError
from core.ids import parse_id
from core.openapi import api_doc
from engines.membership.ledger import entries_of
from engines.membership.members import adjust_growth, adjust_points, find_member, list_members, with_people
from engines.membership.schemas import (dump_entries, AdjustmentIn, PointsEntryOut, PointsPageOut, StaffMemberAnswer,
                                        StaffMemberOut, StaffMemberPageOut, MemberTierAnswer, MemberTierIn, MemberTierListOut,
                                        MemberTierOut, MemberTierPatchIn, TierExclusiveItemsIn, TierExclusiveItemsOut)
from engines.membership.exclusives import items_of_tier, set_exclusive_items
from engines.membership.tiers import create_tier, delete_tier, find_tier, tiers, update_tier

bp = AdminAPIBlueprint("membership_admin_api", __name__, permission="membership.manage")


@bp.get("/member-tiers")
@api_doc("The shop's member tiers, lowest first", tags=["membership"], response=MemberTierListOut)
def member_tiers():
    return jsonify(tiers=MemberTierOut(many=True).dump(tiers()))


@bp.post("/member-tiers")
@api_doc("Create a tier: the growth that reaches it and its benefits", tags=["membership"], body=MemberTierIn,
         response=MemberTierAnswer, status=201)
def create():
    data = load_json(MemberTierIn)
    with writing():
        tier = create_tier(**data)
        record_audit("member_tier.create", target=f"member_tier {tier.id}", details={"name": tier.name})
    return jsonify(tier=MemberTierOut().dump(tier)), 201


@bp.patch("/member-tiers/<int:tier_id>")
@api_doc("Change a tier (members are placed anew as their growth next moves)", tags=["membership"],
         body=MemberTierPatchIn, response=MemberTierAnswer)
def change(tier_id: int):
    data = load_json(MemberTierPatchIn)
    with writing():
        tier = update_tier(find_tier(tier_id), **data)
        record_audit("member_tier.update", target=f"member_tier {tier.id}", details={"fields": sorted(data)})
    return jsonify(tier=MemberTierOut().dump(tier))


@bp.get("/member-tiers/<int:tier_id>/exclusive-items")
@api_doc("The catalog items only this tier and those above may buy", tags=["membership"],
         response=TierExclusiveItemsOut)
def exclusive(tier_id: int):
    tier = find_tier(tier_id)
    return jsonify(item_ids=[str(item_id) for item_id in items_of_tier(tier.id)])


@bp.put("/member-tiers/<int:tier_id>/exclusive-items")
@api_doc("Set the catalog items only this tier and those above may buy (an item is exclusive to one tier: one "
         "named here leaves the tier it was exclusive to; an empty list opens them all)", tags=["membership"],
         body=TierExclusiveItemsIn, response=TierExclusiveItemsOut)
def set_exclusive(tier_id: int):
    data = load_json(TierExclusiveItemsIn)
    with writing():
        tier = find_tier(tier_id)
        chosen = set_exclusive_items(tier.id, [int(item_id) for item_id in data["item_ids"]])
        record_audit("member_tier.exclusive_items", target=f"member_tier {tier.id}", details={"items": len(chosen)})
    return jsonify(item_ids=[str(item_id) for item_id in chosen])


@bp.delete("/member-tiers/<int:tier_id>")
@api_doc("Remove a tier: its members fall to the tier their growth reaches without it", tags=["membership"],
         status=204)
def remove(tier_id: int):
    with writing():
        tier = find_tier(tier_id)
        record_audit("member_tier.delete", target=f"member_tier {tier.id}", details={"name": tier.name})
        delete_tier(tier)
    return "", 204


@bp.get("/members")
@api_doc("The shop's members, newest first", tags=["membership"], response=StaffMemberPageOut,
         query={**PAGE_QUERY, "tier_id": "only members of this tier"})
def members():
    limit, cursor = page_args()
    tier_id = None
    if request.args.get("tier_id"):
        tier_id = parse_id(request.args["tier_id"])
        if tier_id is None:
            raise APIError("invalid_input", fields={"tier_id": ["Not a tier id."]})
    rows, next_cursor = list_members(tier_id=tier_id, before=cursor, limit=limit)
    return jsonify(members=StaffMemberOut(many=True).dump(with_people(rows)),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.get("/members/<int:consumer_id>")
@api_doc("One member: tier, growth, points", tags=["membership"], response=StaffMemberAnswer)
def member(consumer_id: int):
    found = find_member(consumer_id)
    answer = StaffMemberOut().dump(with_people([found])[0])
    db.session.commit()  # the member row, made on first sight
    return jsonify(member=answer)


@bp.get("/members/<int:consumer_id>/points")
@api_doc("A member's points ledger, newest first", tags=["membership"], response=PointsPageOut, query=PAGE_QUERY)
def member_points(consumer_id: int):
    find_member(consumer_id)
    limit, cursor = page_args()
    entries = entries_of(consumer_id, before=cursor, limit=limit + 1)
    return jsonify(entries=dump_entries(PointsEntryOut, entries[:limit]),
                   next_cursor=str(entries[limit - 1].id) if len(entries) > limit else None)


@bp.post("/members/<int:consumer_id>/points")
@api_doc("Add (positive) or take (negative) points with a reason; the ledger records who and why",
         tags=["membership"], body=AdjustmentIn, response=StaffMemberAnswer, status=201, errors=(404, 409))
def points(consumer_id: int):
    data = load_json(AdjustmentIn)
    with writing():
        found = adjust_points(consumer_id, data["amount"], data["reason"], actor=staff_actor())
        record_audit("member.points", target=f"consumer {consumer_id}",
                     details={"amount": data["amount"], "reason": data["reason"]})
    return jsonify(member=StaffMemberOut().dump(with_people([found])[0])), 201


@bp.post("/members/<int:consumer_id>/growth")
@api_doc("Add or take growth with a reason (a tier reached is given at once)", tags=["membership"],
         body=AdjustmentIn, response=StaffMemberAnswer, status=201, errors=(404,))
def growth(consumer_id: int):
    data = load_json(AdjustmentIn)
    with writing():
        found = adjust_growth(consumer_id, data["amount"], data["reason"], actor=staff_actor())
        record_audit("member.growth", target=f"consumer {consumer_id}",
                     details={"amount": data["amount"], "reason": data["reason"]})
    return jsonify(member=StaffMemberOut().dump(with_people([found])[0])), 201

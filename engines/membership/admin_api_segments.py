"""Segments and tags in the Admin API (/admin/api/v1, "membership.manage"): saved filters of the
member list, their members, a coupon sent to everyone in one (in batches), and members' tags —
through the services the back office uses, audited as it audits them."""

from __future__ import annotations

from flask import jsonify

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args, record_audit, writing
from core.api import load_json
from core.errors import APIError
from core.ids import parse_id
from core.openapi import api_doc
from engines.membership.members import with_people
from engines.membership.schemas import (SegmentAnswer, SegmentIn, SegmentListOut, SegmentOut, SendToSegmentIn,
                                        SentToSegmentOut, StaffMemberAnswer, StaffMemberOut, StaffMemberPageOut,
                                        TagsIn)
from engines.membership.segments import (create_segment, delete_segment, find_segment, list_segments,
                                         segment_members, send_coupon_to_segment, set_tags)

bp = AdminAPIBlueprint("membership_segments_api", __name__, permission="membership.manage")


def _parsed(raw: str | None, field: str) -> int | None:
    if raw is None:
        return None
    parsed = parse_id(raw)
    if parsed is None:
        raise APIError("invalid_input", fields={field: ["Not an id."]})
    return parsed


@bp.get("/segments")
@api_doc("The shop's saved segments of members", tags=["membership"], response=SegmentListOut)
def segments():
    return jsonify(segments=SegmentOut(many=True).dump(list_segments()))


@bp.post("/segments")
@api_doc("Save a segment: filters of the member list under a name", tags=["membership"], body=SegmentIn,
         response=SegmentAnswer, status=201)
def create():
    data = load_json(SegmentIn)
    with writing():
        made = create_segment(data["name"], data["filters"])
        record_audit("segment.create", target=f"segment {made.id}", details={"name": made.name})
    return jsonify(segment=SegmentOut().dump(made)), 201


@bp.delete("/segments/<int:segment_id>")
@api_doc("Remove a segment", tags=["membership"], status=204)
def remove(segment_id: int):
    with writing():
        found = find_segment(segment_id)
        record_audit("segment.delete", target=f"segment {found.id}", details={"name": found.name})
        delete_segment(found)
    return "", 204


@bp.get("/segments/<int:segment_id>/members")
@api_doc("The members a segment keeps now, newest first", tags=["membership"], response=StaffMemberPageOut,
         query=PAGE_QUERY)
def members(segment_id: int):
    found = find_segment(segment_id)
    limit, cursor = page_args()
    rows, next_cursor = segment_members(found.filters, before=cursor, limit=limit)
    return jsonify(members=StaffMemberOut(many=True).dump(with_people(rows)),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/segments/<int:segment_id>/send-coupon")
@api_doc("Send a copy of a coupon to everyone in a segment, a batch at a time (send again with next_cursor for "
         "the rest); each member refused says why", tags=["membership"], body=SendToSegmentIn,
         response=SentToSegmentOut, errors=(404, 409))
def send(segment_id: int):
    data = load_json(SendToSegmentIn)
    coupon_id, after = _parsed(data["coupon_id"], "coupon_id"), _parsed(data["cursor"], "cursor")
    with writing():
        found = find_segment(segment_id)
        issued, refused, next_cursor = send_coupon_to_segment(found, coupon_id, after=after)
        record_audit("segment.send_coupon", target=f"segment {found.id}",
                     details={"coupon_id": str(coupon_id), "sent": len(issued), "refused": len(refused)})
    return jsonify(sent=len(issued), refused=[{"consumer_id": str(c), "code": code} for c, code in refused],
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.put("/members/<int:consumer_id>/tags")
@api_doc("Set a member's tags (the merchant's words: up to 10, each without commas)", tags=["membership"],
         body=TagsIn, response=StaffMemberAnswer, errors=(404,))
def tags(consumer_id: int):
    data = load_json(TagsIn)
    with writing():
        member = set_tags(consumer_id, data["tags"])
        record_audit("member.tags", target=f"consumer {consumer_id}", details={"tags": data["tags"]})
        row = with_people([member])[0]
    return jsonify(member=StaffMemberOut().dump(row))

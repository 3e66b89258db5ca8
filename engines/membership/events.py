"""The events the membership engine emits (see core/events.py for the shape every payload has)."""

from __future__ import annotations

from marshmallow import fields

from core.events import EventPayload, declare_event, id_field


class TierChanged(EventPayload):
    consumer_id = id_field("The member")
    from_tier_id = fields.String(required=True, allow_none=True, metadata={"description": "Their tier before (null: none)"})
    to_tier_id = fields.String(required=True, allow_none=True, metadata={"description": "Their tier now (null: none)"})
    to_tier = fields.String(required=True, metadata={"description": "The name of their tier now (empty: none)"})


declare_event("member.tier_changed.v1", TierChanged,
              "A member rose to a tier (at once, when their growth reached it) or went down (the shop's re-evaluation).")


class PointsExpiring(EventPayload):
    consumer_id = id_field("The member")
    points = fields.Integer(required=True, metadata={"description": "Points that stop counting soon"})
    expires_at = fields.String(required=True, metadata={"description": "When the first of them do (ISO 8601, UTC)"})


declare_event("points.expiring.v1", PointsExpiring,
              "Some of a member's points expire within a week (emitted once per batch of points, about a week before).")


class CardEnding(EventPayload):
    consumer_id = id_field("The member")
    plan_id = id_field("Their card's plan")
    name = fields.String(required=True, metadata={"description": "The card's name"})
    ends_at = fields.String(required=True, metadata={"description": "When it ends (ISO 8601, UTC)"})


declare_event("member_card.ending.v1", CardEnding,
              "A member's paid card ends within three days (emitted once per term, about three days before).")

"""The events the marketing engine emits (see core/events.py for the shape every payload has)."""

from __future__ import annotations

from marshmallow import fields

from core.events import Amount, EventPayload, declare_event, id_field


class CouponExpiring(EventPayload):
    consumer_coupon_id = id_field("The consumer's copy (checkout's coupon_ids takes it)")
    coupon_id = id_field("The coupon")
    consumer_id = id_field("The consumer holding it")
    name = fields.String(required=True, metadata={"description": "The coupon's name"})
    valid_until = fields.String(required=True, metadata={"description": "When it stops working (ISO 8601, UTC)"})


declare_event("coupon.expiring.v1", CouponExpiring,
              "A consumer's unused coupon stops working within a day (emitted once per copy, about a day before).")


class PromotionBudgetSpent(EventPayload):
    promotion_id = id_field("The promotion")
    name = fields.String(required=True, metadata={"description": "The promotion's name"})
    budget = fields.Nested(Amount, required=True, allow_none=True,
                           metadata={"description": "Its budget, now given out (null: its uses ran out)"})
    use_limit = fields.Integer(allow_none=True, load_default=None,
                               metadata={"description": "The orders it may apply to, now all taken (null: none)"})


declare_event("promotion.budget_spent.v1", PromotionBudgetSpent,
              "A promotion's budget or its uses are spent: no order can get it any more (until a cancelled order gives some "
              "back).")


class PromotionPointsEarned(EventPayload):
    order_id = id_field("The paid order that reached the tier")
    consumer_id = id_field("The consumer to credit")
    promotion_id = id_field("The promotion")
    points = fields.Integer(required=True, metadata={"description": "Points the tier gives"})


declare_event("promotion.points_earned.v1", PromotionPointsEarned,
              "A paid order reached a promotion tier that gives points: the membership engine credits them.")

"""Coupons in the consumer API. Money is core.api.MoneyOut; a percentage is in basis points."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import MoneyField


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class CouponOut(Schema):
    """A coupon as the claim centre shows it."""

    id = fields.Function(lambda c: str(c.id))
    name = fields.String()
    kind = fields.Function(lambda c: c.kind.value, metadata={"enum": ["amount", "percent", "threshold", "free_shipping"]})
    amount = MoneyField(metadata={"description": "Off (amount and threshold coupons)"})
    percent_bp = fields.Integer(metadata={"description": "Off, in basis points (percent coupons): 850 is 8.5 %"})
    cap = MoneyField(allow_none=True, metadata={"description": "The most a percent coupon takes off"})
    minimum = MoneyField(metadata={"description": "The spend on the items it covers that it needs"})
    scope = fields.Function(lambda c: c.scope.value, metadata={"enum": ["all", "items", "categories"]})
    starts_at = fields.Function(lambda c: _iso(c.starts_at), allow_none=True)
    ends_at = fields.Function(lambda c: _iso(c.ends_at), allow_none=True)
    valid_days = fields.Integer(allow_none=True, metadata={"description": "Days of use after the day it is claimed"})
    left = fields.Function(lambda c: None if c.total_limit is None else max(c.total_limit - c.issued_count, 0),
                           allow_none=True, metadata={"description": "Copies still to claim (null: no limit)"})


class CouponListOut(Schema):
    coupons = fields.List(fields.Nested(CouponOut))


class HeldCouponOut(Schema):
    """A copy the consumer holds: its id is what checkout's `coupon_ids` takes."""

    id = fields.Function(lambda pair: str(pair[0].id))
    coupon = fields.Function(lambda pair: CouponOut().dump(pair[1]))
    status = fields.Function(lambda pair: pair[0].status.value, metadata={"enum": ["available", "held", "used"]})
    valid_from = fields.Function(lambda pair: _iso(pair[0].valid_from))
    valid_until = fields.Function(lambda pair: _iso(pair[0].valid_until))
    order_id = fields.Function(lambda pair: str(pair[0].order_id) if pair[0].order_id else None, allow_none=True)


class WalletOut(Schema):
    coupons = fields.List(fields.Nested(HeldCouponOut))


class ClaimedOut(Schema):
    coupon = fields.Nested(HeldCouponOut)


class RedeemIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class OfferOut(Schema):
    id = fields.Function(lambda offer: str(offer.copy.id), metadata={"description": "For checkout's coupon_ids"})
    name = fields.Function(lambda offer: offer.coupon.name)
    valid_until = fields.Function(lambda offer: _iso(offer.copy.valid_until))
    discount = MoneyField(metadata={"description": "What it takes off this order"})
    applicable = fields.Function(lambda offer: offer.discount > 0)
    reason = fields.String(allow_none=True, metadata={"description": "Why it cannot be used on this order"})


class OffersOut(Schema):
    coupons = fields.List(fields.Nested(OfferOut))
    best = fields.String(allow_none=True, metadata={"description": "The id of the coupon that takes off the most"})


"""Coupons in the consumer API. Money is core.api.MoneyOut; a percentage is in basis points."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api import MoneyField
from core.ids import ID_PATTERN, validate_id
from engines.marketing.discounts import MAX_ITEMS
from engines.marketing.figures import figures_of
from engines.marketing.services import FUNDERS, MAX_AMOUNT, MAX_SEND, SHOP_FUNDED, SHOP_FUNDED_ONLY
from engines.marketing.tiers import MAX_COUPONS, MAX_GIFTS, MAX_POINTS


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


# -- the Admin API (engines.marketing.admin_api): every coupon, and what staff send -------------

_KINDS = ["amount", "percent", "threshold", "free_shipping"]
_STATUSES = ["active", "paused", "ended"]


def _ids(**kwargs) -> fields.List:
    """A list of ids sent as strings."""
    return fields.List(fields.String(validate=validate_id, metadata={"pattern": ID_PATTERN}), **kwargs)

_AMOUNT = validate.Range(min=0, max=MAX_AMOUNT)


class UTCTime(fields.AwareDateTime):
    """An ISO 8601 time with its offset (…Z or …+08:00), kept in UTC; years 2000 to 2999."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = moment.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Not a valid time.") from None
        if not 2000 <= moment.year <= 2999:
            raise ValidationError("Give a time from the year 2000 to 2999.")
        return moment


class FiguresOut(Schema):
    """What a tool has brought in (engines.marketing.figures)."""

    orders = fields.Integer(metadata={"description": "Paid orders it is on (from paid onward, refunded ones too; "
                                                     "never unpaid or cancelled ones)"})
    gmv = MoneyField(metadata={"description": "What those orders came to (their totals)"})
    cost = MoneyField(metadata={"description": "What it took off those orders"})


class CouponFiguresOut(FiguresOut):
    issued = fields.Integer(metadata={"description": "Copies issued (claimed or sent)"})
    used = fields.Integer(metadata={"description": "Copies used on paid orders"})


def with_figures(schema: Schema, rows: list) -> list[dict]:
    """Each row as `schema` dumps it, with its `figures` (one query for them all). The rows carry
    no figures of their own: `schema` declares the field for the document, this fills it."""
    figures = figures_of(rows)
    nested = schema.fields["figures"].schema
    return [{**schema.dump(row), "figures": nested.dump(figures[row.id])} for row in rows]


class StaffCouponOut(CouponOut):
    """A coupon as its shop's staff see it: its rules, status, counts and figures."""

    status = fields.Function(lambda c: c.status.value, metadata={"enum": _STATUSES})
    public = fields.Boolean(metadata={"description": "Offered in the claim centre"})
    new_member_gift = fields.Boolean(metadata={"description": "Given to each new customer"})
    scope_ids = fields.List(fields.String(), metadata={"description": "The items or categories it covers"})
    excluded_item_ids = fields.List(fields.String())
    total_limit = fields.Integer(allow_none=True, metadata={"description": "Copies ever issued (null: no limit)"})
    per_consumer_limit = fields.Integer()
    per_day_limit = fields.Integer(allow_none=True, metadata={"description": "Copies issued a shop day (null: no limit)"})
    on_special_prices = fields.Boolean(metadata={"description": "Also takes off lines at a special price (a timed "
                                                               "discount, a bundle)"})
    combines_with_promotions = fields.Boolean(metadata={"description": "Usable on an order an order promotion "
                                                                      "applies to"})
    issued_count = fields.Integer(metadata={"description": "Copies issued (claimed or sent)"})
    used_count = fields.Integer(metadata={"description": "Copies used on paid orders"})
    funded_by = fields.String()
    created_at = fields.Function(lambda c: _iso(c.created_at))
    figures = fields.Nested(CouponFiguresOut)


class StaffCouponAnswer(Schema):
    coupon = fields.Nested(StaffCouponOut)


class StaffCouponPageOut(Schema):
    coupons = fields.List(fields.Nested(StaffCouponOut))
    next_cursor = fields.String(allow_none=True)


class CouponIn(Schema):
    """A new coupon. Money is integer minor units of the shop's currency."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    kind = fields.String(required=True, validate=validate.OneOf(_KINDS))
    amount = fields.Integer(load_default=0, strict=True, validate=_AMOUNT,
                            metadata={"description": "What it takes off (amount and threshold coupons)"})
    percent_bp = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=10_000),
                                metadata={"description": "Off, in basis points (percent coupons): 850 is 8.5 %"})
    cap = fields.Integer(load_default=None, allow_none=True, strict=True, validate=_AMOUNT,
                         metadata={"description": "The most a percent coupon takes off (null: no cap)"})
    minimum = fields.Integer(load_default=0, strict=True, validate=_AMOUNT,
                             metadata={"description": "The spend on the items it covers that it needs"})
    scope = fields.String(load_default="all", validate=validate.OneOf(["all", "items", "categories"]))
    scope_ids = _ids(load_default=list, validate=validate.Length(max=500),
                     metadata={"description": "The items or categories it covers (scope items or categories)"})
    excluded_item_ids = _ids(load_default=list, validate=validate.Length(max=500),
                             metadata={"description": "Items it never covers"})
    starts_at = UTCTime(load_default=None, allow_none=True, metadata={"description": "When it can first be used"})
    ends_at = UTCTime(load_default=None, allow_none=True,
                      metadata={"description": "When it stops (claims and use); needed unless valid_days is given"})
    valid_days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=3650),
                                metadata={"description": "Days of use after the day a copy is claimed"})
    public = fields.Boolean(load_default=True, metadata={"description": "Offered in the claim centre"})
    new_member_gift = fields.Boolean(load_default=False, metadata={"description": "Given to each new customer, once"})
    total_limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=10**8), metadata={"description": "null: no limit"})
    per_consumer_limit = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=100))
    per_day_limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                                   validate=validate.Range(min=1, max=10**8),
                                   metadata={"description": "Copies issued a day, the shop's day (null: no limit)"})
    on_special_prices = fields.Boolean(load_default=True,
                                       metadata={"description": "Also takes off lines at a special price (a timed "
                                                                "discount, a bundle)"})
    combines_with_promotions = fields.Boolean(load_default=True, metadata={
        "description": "Usable on an order an order promotion applies to (a promotion may still refuse coupons)"})


class CouponPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    status = fields.String(validate=validate.OneOf(_STATUSES),
                           metadata={"description": "active and paused either way, either to ended (for good)"})
    total_limit = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=10**8),
                                 metadata={"description": "null: no limit; never below the copies issued"})
    per_consumer_limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    ends_at = UTCTime(allow_none=True, metadata={"description": "Claims stop then; copies held keep their validity"})
    public = fields.Boolean()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")


class SendIn(Schema):
    consumer_ids = _ids(required=True, validate=validate.Length(min=1, max=MAX_SEND),
                        metadata={"description": f"The consumers to send a copy to, up to {MAX_SEND}"})


class RefusedOut(Schema):
    consumer_id = fields.String()
    code = fields.String(metadata={"enum": ["not_found", "coupon_sold_out", "coupon_limit_reached"]})


class SentOut(Schema):
    issued = fields.Integer(metadata={"description": "Consumers who got a copy"})
    refused = fields.List(fields.Nested(RefusedOut))


# -- order promotions in the Admin API (engines.marketing.admin_api) ---------------------------

_PROMOTION_KINDS = ["spend", "quantity"]


class GiftOut(Schema):
    sku_id = fields.String()
    quantity = fields.Integer()


class TierOut(Schema):
    """A tier: what it needs and what it gives — an amount off or a percentage off (the other null,
    or both), gifts, free delivery, points and coupons, each left empty when it gives none."""

    threshold = fields.Integer(metadata={"description": "What it needs: minor units of spend (spend promotions) or "
                                                        "units (quantity promotions), as sent"})
    min_spend = MoneyField(allow_none=True, metadata={"description": "The threshold as money (spend promotions)"})
    amount_off = MoneyField(allow_none=True)
    percent_bp = fields.Integer(allow_none=True, metadata={"description": "Off, in basis points: 1000 is 10 %"})
    gifts = fields.List(fields.Nested(GiftOut), metadata={"description": "Given while on sale and in stock"})
    free_shipping = fields.Boolean()
    points = fields.Integer(allow_none=True, metadata={"description": "Credited once the order is paid"})
    coupon_ids = fields.List(fields.String(), metadata={"description": "A copy of each, given once the order is paid"})


class _Tiers(fields.List):
    """A promotion's tiers, each with every key of TierOut (the threshold as money too when it is
    one), whatever the stored tier leaves out."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(TierOut), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        spend = obj.kind.value == "spend"
        return super()._serialize([{"threshold": tier["threshold"], "min_spend": tier["threshold"] if spend else None,
                                    "amount_off": tier.get("amount_off"), "percent_bp": tier.get("percent_bp"),
                                    "gifts": tier.get("gifts", []), "free_shipping": bool(tier.get("free_shipping")),
                                    "points": tier.get("points"), "coupon_ids": tier.get("coupon_ids", [])}
                                   for tier in value or ()], attr, obj, **kwargs)


class StaffPromotionOut(Schema):
    """An order promotion as its shop's staff see it: its tiers and rules, status, budget and figures."""

    id = fields.Function(lambda p: str(p.id))
    name = fields.String()
    kind = fields.Function(lambda p: p.kind.value, metadata={"enum": _PROMOTION_KINDS})
    tiers = _Tiers(metadata={"description": "Lowest first; the highest an order reaches wins"})
    scope = fields.Function(lambda p: p.scope.value, metadata={"enum": ["all", "items", "categories"]})
    scope_ids = fields.List(fields.String(), metadata={"description": "The items or categories it covers"})
    excluded_item_ids = fields.List(fields.String())
    starts_at = fields.Function(lambda p: _iso(p.starts_at))
    ends_at = fields.Function(lambda p: _iso(p.ends_at))
    priority = fields.Integer(metadata={"description": "Higher applies first"})
    exclusive = fields.Boolean(metadata={"description": "No other promotion on an order it applies to"})
    combines_with_coupons = fields.Boolean()
    on_special_prices = fields.Boolean(metadata={"description": "Counts lines at a special price (a timed discount, "
                                                               "a bundle) too"})
    budget = MoneyField(allow_none=True, metadata={"description": "The most it gives off in all (null: no budget)"})
    budget_used = MoneyField(metadata={"description": "What it has given off (reserved at checkout)"})
    use_limit = fields.Integer(allow_none=True, metadata={"description": "The most orders it applies to (null: no cap)"})
    uses = fields.Integer(metadata={"description": "Orders holding it (unpaid or paid; a cancelled one gives its use back)"})
    funded_by = fields.String()
    status = fields.Function(lambda p: p.status.value, metadata={"enum": _STATUSES})
    created_at = fields.Function(lambda p: _iso(p.created_at))
    figures = fields.Nested(FiguresOut)


class StaffPromotionAnswer(Schema):
    promotion = fields.Nested(StaffPromotionOut)


class StaffPromotionPageOut(Schema):
    promotions = fields.List(fields.Nested(StaffPromotionOut))
    next_cursor = fields.String(allow_none=True)


class GiftIn(Schema):
    sku_id = fields.String(required=True, validate=validate_id, metadata={"pattern": ID_PATTERN,
                                                                         "description": "One of the shop's SKUs"})
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10))


class TierIn(Schema):
    """A tier: a threshold and at least one benefit — amount_off or percent_bp (not both), gifts,
    free_shipping, points, coupon_ids. Which combinations make sense is the service's to say."""

    threshold = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT),
                               metadata={"description": "Minor units of spend (spend) or units (quantity)"})
    amount_off = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT),
                                metadata={"description": "Minor units off"})
    percent_bp = fields.Integer(strict=True, validate=validate.Range(min=1, max=9999),
                                metadata={"description": "Off, in basis points: 1000 is 10 %"})
    gifts = fields.List(fields.Nested(GiftIn), validate=validate.Length(min=1, max=MAX_GIFTS),
                        metadata={"description": f"1 to {MAX_GIFTS}: given (all taken off) while on sale and in "
                                                 "stock, counted against the budget"})
    free_shipping = fields.Boolean(metadata={"description": "true: no delivery fee; leave it out otherwise"})
    points = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_POINTS),
                            metadata={"description": "Credited once the order is paid"})
    coupon_ids = _ids(validate=validate.Length(min=1, max=MAX_COUPONS),
                      metadata={"description": f"1 to {MAX_COUPONS} of the shop's active coupons: a copy of each "
                                               "given once the order is paid"})


class PromotionIn(Schema):
    """A new order promotion. Money is integer minor units of the shop's currency."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    kind = fields.String(required=True, validate=validate.OneOf(_PROMOTION_KINDS),
                         metadata={"description": "spend: tiers by what the lines it covers cost; quantity: by "
                                                  "how many units of them"})
    tiers = fields.List(fields.Nested(TierIn), required=True, validate=validate.Length(min=1, max=5),
                        metadata={"description": "1 to 5, thresholds rising"})
    scope = fields.String(load_default="all", validate=validate.OneOf(["all", "items", "categories"]))
    scope_ids = _ids(load_default=list, validate=validate.Length(max=500),
                     metadata={"description": "The items or categories it covers (scope items or categories)"})
    excluded_item_ids = _ids(load_default=list, validate=validate.Length(max=500),
                             metadata={"description": "Items it never covers"})
    starts_at = UTCTime(required=True)
    ends_at = UTCTime(required=True, metadata={"description": "The first moment it is over"})
    priority = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=-1000, max=1000),
                              metadata={"description": "Higher applies first"})
    exclusive = fields.Boolean(load_default=False,
                               metadata={"description": "No other promotion on an order it applies to"})
    combines_with_coupons = fields.Boolean(load_default=True)
    on_special_prices = fields.Boolean(load_default=False, metadata={
        "description": "Also counts lines at a special price (a timed discount, a bundle) toward its tiers"})
    budget = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT),
                            metadata={"description": "The most it gives off in all (null: no budget)"})
    use_limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=1, max=10**8),
                               metadata={"description": "The most orders it applies to (null: no cap)"})


class PromotionPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    status = fields.String(validate=validate.OneOf(_STATUSES),
                           metadata={"description": "active and paused either way, either to ended (for good)"})
    ends_at = UTCTime(metadata={"description": "After it starts"})
    budget = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT),
                            metadata={"description": "null: no budget; never below what it has given (budget_used)"})
    use_limit = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=10**8),
                               metadata={"description": "null: no cap; never below the orders holding it (uses)"})
    priority = fields.Integer(strict=True, validate=validate.Range(min=-1000, max=1000))

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")


# -- timed discounts in the Admin API (engines.marketing.admin_api) ----------------------------

class StaffDiscountOut(Schema):
    """A timed discount as its shop's staff see it: its items, what it takes off each unit, its
    window, status and figures."""

    id = fields.Function(lambda d: str(d.id))
    name = fields.String()
    item_ids = fields.List(fields.String(), metadata={"description": "Every SKU of these items is discounted"})
    percent_bp = fields.Integer(metadata={"description": "Off each unit, in basis points (1500 is 15 %); 0 when it "
                                                         "takes an amount off"})
    amount_off = MoneyField(metadata={"description": "Off each unit; nothing when it takes a percentage off"})
    starts_at = fields.Function(lambda d: _iso(d.starts_at))
    ends_at = fields.Function(lambda d: _iso(d.ends_at), metadata={"description": "The first moment it is over"})
    funded_by = fields.String(metadata={"enum": list(FUNDERS)})
    status = fields.Function(lambda d: d.status.value, metadata={"enum": _STATUSES})
    created_at = fields.Function(lambda d: _iso(d.created_at))
    figures = fields.Nested(FiguresOut)


class StaffDiscountAnswer(Schema):
    discount = fields.Nested(StaffDiscountOut)


class StaffDiscountPageOut(Schema):
    discounts = fields.List(fields.Nested(StaffDiscountOut))
    next_cursor = fields.String(allow_none=True)


class DiscountIn(Schema):
    """A new timed discount: a percentage or an amount (minor units) off each unit of its items,
    not both."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    item_ids = _ids(required=True, validate=validate.Length(min=1, max=MAX_ITEMS),
                    metadata={"description": f"The shop's items, 1 to {MAX_ITEMS}"})
    percent_bp = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=9999),
                                metadata={"description": "Off, in basis points: 1500 is 15 %"})
    amount_off = fields.Integer(load_default=0, strict=True, validate=_AMOUNT,
                                metadata={"description": "Minor units off each unit"})
    starts_at = UTCTime(required=True)
    ends_at = UTCTime(required=True, metadata={"description": "The first moment it is over"})
    funded_by = fields.String(load_default="merchant", validate=validate.OneOf(SHOP_FUNDED, error=SHOP_FUNDED_ONLY),
                              metadata={"description": "Who pays for the discount"})


class DiscountPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    status = fields.String(validate=validate.OneOf(_STATUSES),
                           metadata={"description": "active and paused either way, either to ended (for good)"})
    ends_at = UTCTime(metadata={"description": "After it starts; earlier ends it sooner"})

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")

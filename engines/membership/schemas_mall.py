"""What the points mall's and the task centre's APIs take and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import MoneyField
from core.money import Money
from core.tenancy import current_tenant
from engines.membership.tiers import tier_by_id


def _money(amount: int) -> dict:
    return Money(amount, current_tenant().currency).to_json()


class PointsMallItemOut(Schema):
    """An offer of the points mall with its item's facts: dumped from (offer, sku, item)."""

    id = fields.Function(lambda entry: str(entry[0].id))
    sku_id = fields.Function(lambda entry: str(entry[0].sku_id))
    item_id = fields.Function(lambda entry: str(entry[0].item_id))
    name = fields.Function(lambda entry: entry[2].name)
    options = fields.Function(lambda entry: entry[1].options or {}, metadata={"description": "The SKU's options"})
    image = fields.Function(lambda entry: entry[1].image or (entry[2].images or [""])[0])
    kind = fields.Function(lambda entry: entry[2].kind.value, metadata={
        "description": "physical goods ship or are picked up; service and virtual ones are verified by a code"})
    points = fields.Function(lambda entry: entry[0].points, metadata={"description": "Points for one"})
    cash = fields.Function(lambda entry: _money(entry[0].cash), metadata={"description": "Money for one (0: points only)"})
    price = fields.Function(lambda entry: _money(entry[1].price), metadata={"description": "The item's own price"})
    in_stock = fields.Function(lambda entry: entry[1].stock > 0)
    per_member_limit = fields.Function(lambda entry: entry[0].per_member_limit, metadata={"description": "0: none"})
    exclusive_tier = fields.Function(
        lambda entry: (tier := tier_by_id(entry[0].min_tier_id)) and {"id": str(tier.id), "name": tier.name},
        metadata={"description": "Only members of this tier or above may redeem it (null: everyone)"})


class PointsMallOut(Schema):
    items = fields.List(fields.Nested(PointsMallItemOut))


class PointsMallItemAnswer(Schema):
    item = fields.Nested(PointsMallItemOut)


class PointsMallRedeemIn(Schema):
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=99))
    fulfillment = fields.Dict(load_default=lambda: {"type": "none"}, metadata={
        "description": "As POST /checkout takes it: express with an address, pickup at a store, or none for service "
                       "and virtual goods"})
    note = fields.String(load_default="", validate=validate.Length(max=200))


class RedemptionRecordOut(Schema):
    """A redemption: dumped from (order, its line, points)."""

    order_id = fields.Function(lambda entry: str(entry[0].id))
    number = fields.Function(lambda entry: entry[0].number)
    status = fields.Function(lambda entry: entry[0].status.value)
    name = fields.Function(lambda entry: entry[1].name)
    image = fields.Function(lambda entry: entry[1].image)
    quantity = fields.Function(lambda entry: entry[1].quantity)
    points = fields.Function(lambda entry: entry[2], metadata={"description": "Points it took"})
    paid = fields.Function(lambda entry: Money(entry[0].total, entry[0].currency).to_json(),
                           metadata={"description": "The money it cost (cash part and delivery)"})
    created_at = fields.Function(lambda entry: entry[0].created_at.isoformat())


class RedemptionPageOut(Schema):
    redemptions = fields.List(fields.Nested(RedemptionRecordOut))
    next_cursor = fields.String(allow_none=True)


class TaskOut(Schema):
    key = fields.String(metadata={"description": "sign_in (daily: POST /me/sign-in), profile (give a birthday: PATCH "
                                                 "/me/member), first_order (a first paid order)"})
    points = fields.Integer()
    done = fields.Boolean(metadata={"description": "The member did what it asks"})
    claimed = fields.Boolean(metadata={"description": "Its points were collected (the sign-in's: today's)"})
    daily = fields.Boolean()


class TaskListOut(Schema):
    tasks = fields.List(fields.Nested(TaskOut))


class TaskClaimedOut(Schema):
    points = fields.Integer(metadata={"description": "The points it gave"})
    tasks = fields.List(fields.Nested(TaskOut))


class PointsMallOfferIn(Schema):
    sku_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,19}$"))
    points = fields.Integer(required=True, strict=True)
    cash = fields.Integer(load_default=0, strict=True, metadata={"description": "Minor units for one; 0: points only"})
    per_member_limit = fields.Integer(load_default=0, strict=True, metadata={"description": "0: no limit"})
    min_tier_id = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9]{1,19}$"),
                                metadata={"description": "Only this tier and above (null: everyone)"})
    active = fields.Boolean(load_default=True)
    position = fields.Integer(load_default=0, strict=True)


class PointsMallOfferPatch(Schema):
    points = fields.Integer(strict=True)
    cash = fields.Integer(strict=True)
    per_member_limit = fields.Integer(strict=True)
    min_tier_id = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{1,19}$"))
    active = fields.Boolean()
    position = fields.Integer(strict=True)


class PointsMallOfferOut(Schema):
    id = fields.Function(lambda offer: str(offer.id))
    sku_id = fields.Function(lambda offer: str(offer.sku_id))
    item_id = fields.Function(lambda offer: str(offer.item_id))
    points = fields.Integer()
    cash = MoneyField()
    per_member_limit = fields.Integer()
    min_tier_id = fields.Function(lambda offer: None if offer.min_tier_id is None else str(offer.min_tier_id))
    active = fields.Boolean()
    position = fields.Integer()


class PointsMallOfferListOut(Schema):
    offers = fields.List(fields.Nested(PointsMallOfferOut))


class PointsMallOfferAnswer(Schema):
    offer = fields.Nested(PointsMallOfferOut)

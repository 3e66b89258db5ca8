"""The cart in the consumer API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class AddLineIn(Schema):
    sku_id = fields.String(required=True, validate=validate.Regexp(r"^\d{1,19}$"))
    quantity = fields.Integer(load_default=1, strict=True)


class QuantityIn(Schema):
    quantity = fields.Integer(required=True, strict=True)


class MoneyOut(Schema):
    amount = fields.Integer()
    currency = fields.String()
    display = fields.String()


class CartLineOut(Schema):
    id = fields.String()
    sku_id = fields.String()
    item_id = fields.String()
    name = fields.String()
    options = fields.Dict()
    image = fields.String()
    quantity = fields.Integer()
    price = fields.Nested(MoneyOut)
    subtotal = fields.Nested(MoneyOut)
    available = fields.Boolean()
    unavailable_reason = fields.String(allow_none=True, metadata={"enum": ["not_on_sale", "out_of_stock"]})
    stock = fields.Integer()


class CartOut(Schema):
    lines = fields.List(fields.Nested(CartLineOut))
    total = fields.Nested(MoneyOut, metadata={"description": "Of the available lines"})
    count = fields.Integer()

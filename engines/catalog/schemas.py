"""The catalog in the consumer API. Money is {"amount": minor units, "currency", "display"}."""

from __future__ import annotations

from marshmallow import Schema, fields

from core.money import Money
from core.tenancy import current_tenant


def money(amount: int) -> dict:
    return Money(amount, current_tenant().currency).to_json()


class SkuOut(Schema):
    id = fields.Function(lambda s: str(s.id))
    price = fields.Function(lambda s: money(s.price), metadata={"description": "Money: amount in minor units"})
    stock = fields.Integer(metadata={"description": "For display: exact at 10 or fewer; a larger count may lag "
                                                    "until the catalog next changes. Checkout checks stock itself."})
    options = fields.Dict()
    code = fields.String(allow_none=True)
    image = fields.String()


_SKU_LIST = SkuOut(many=True)  # one for every item: building a schema costs more than dumping its SKUs


class ItemOut(Schema):
    id = fields.Function(lambda i: str(i.id))
    name = fields.String()
    subtitle = fields.String()
    kind = fields.Function(lambda i: i.kind.value)
    category_id = fields.Function(lambda i: str(i.category_id) if i.category_id else None)
    images = fields.List(fields.String())
    options = fields.List(fields.Dict())
    option_groups = fields.List(fields.Dict())
    skus = fields.Method("_skus")

    def _skus(self, item):
        return _SKU_LIST.dump(self.context_skus.get(item.id, []))

    def __init__(self, *args, skus=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.context_skus = skus or {}


class ItemDetailOut(ItemOut):
    description = fields.String(metadata={"description": "Sanitised HTML"})


class ItemPageOut(Schema):
    items = fields.List(fields.Nested(ItemOut))
    next_cursor = fields.String(allow_none=True)


class CategoryOut(Schema):
    id = fields.String()
    name = fields.String()
    image = fields.String()
    children = fields.List(fields.Dict())


class CategoriesOut(Schema):
    categories = fields.List(fields.Nested(CategoryOut))


class ItemAnswer(Schema):
    item = fields.Nested(ItemDetailOut)

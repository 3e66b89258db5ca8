"""The catalog in the consumer API and the Admin API. Money is core.api.MoneyOut."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api import MoneyField
from core.ids import ID_PATTERN, validate_id
from engines.catalog.models import ItemKind, ItemStatus
from engines.catalog.services import MAX_PRICE, MAX_STOCK, OptionDimension, OptionGroup

MAX_DESCRIPTION = 50_000


class SkuOut(Schema):
    id = fields.Function(lambda s: str(s.id))
    price = MoneyField()
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


# -- the Admin API (engines.catalog.admin_api): every status, and what staff send ----------------

def _iso(value) -> str | None:
    return value.isoformat() if value else None


class StaffItemOut(ItemDetailOut):
    status = fields.Function(lambda i: i.status.value, metadata={"enum": [s.value for s in ItemStatus]})
    description = fields.String(metadata={"description": "Sanitised HTML"})
    sales_count = fields.Integer()
    created_at = fields.Function(lambda i: _iso(i.created_at))
    updated_at = fields.Function(lambda i: _iso(i.updated_at))


class StaffItemPageOut(Schema):
    items = fields.List(fields.Nested(StaffItemOut))
    next_cursor = fields.String(allow_none=True)


class StaffItemAnswer(Schema):
    item = fields.Nested(StaffItemOut)


class SkuAnswer(Schema):
    sku = fields.Nested(SkuOut)


class StaffCategoryOut(Schema):
    id = fields.Function(lambda c: str(c.id))
    name = fields.String()
    parent_id = fields.Function(lambda c: str(c.parent_id) if c.parent_id else None)
    sort_order = fields.Integer()
    image = fields.String()


class CategoryAnswer(Schema):
    category = fields.Nested(StaffCategoryOut)


_KINDS = [k.value for k in ItemKind]
_STATUSES = [s.value for s in ItemStatus]
_ID = {"pattern": ID_PATTERN}


class ItemIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    price = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_PRICE),
                           metadata={"description": "Minor units of the shop's currency; every SKU starts at it"})
    stock = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_STOCK),
                           metadata={"description": "Every SKU starts with it"})
    subtitle = fields.String(load_default="", validate=validate.Length(max=200))
    description = fields.String(load_default="", validate=validate.Length(max=MAX_DESCRIPTION),
                                metadata={"description": "HTML: paragraphs, headings, lists, links (sanitised)"})
    images = fields.List(fields.String(validate=validate.Length(max=520)), load_default=list,
                         validate=validate.Length(max=9), metadata={"description": "media:<id> or https addresses"})
    category_id = fields.String(load_default=None, allow_none=True, validate=validate_id, metadata=_ID)
    status = fields.String(load_default=ItemStatus.DRAFT.value, validate=validate.OneOf(_STATUSES))
    options = fields.List(fields.Nested(OptionDimension), load_default=list, validate=validate.Length(max=5),
                          metadata={"description": "Physical items: one SKU per combination of the values"})
    option_groups = fields.List(fields.Nested(OptionGroup), load_default=list, validate=validate.Length(max=20),
                                metadata={"description": "Dishes: the groups a buyer chooses from"})
    sku_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "The code of the SKU of an item without options"})


class _SomethingToChange(Schema):
    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")


class ItemPatchIn(_SomethingToChange):
    name = fields.String(validate=validate.Length(min=1, max=120))
    subtitle = fields.String(validate=validate.Length(max=200))
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION))
    images = fields.List(fields.String(validate=validate.Length(max=520)), validate=validate.Length(max=9))
    category_id = fields.String(allow_none=True, validate=validate_id, metadata={**_ID, "description": "null: none"})
    status = fields.String(validate=validate.OneOf(_STATUSES))


class SkuPatchIn(_SomethingToChange):
    price = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_PRICE),
                           metadata={"description": "Minor units of the shop's currency"})
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_STOCK),
                           metadata={"description": "The count on hand (what checkout may still take)"})
    code = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={"description": "null: none"})


class CategoryIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    parent_id = fields.String(load_default=None, allow_none=True, validate=validate_id,
                              metadata={**_ID, "description": "A top-level category (two levels at most)"})
    sort_order = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=-10**6, max=10**6))

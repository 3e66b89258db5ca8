"""Stores in the consumer API (what buyers see) and as staff see and send them in the Admin API
(engines.stores.admin_api). Money is integer minor units of the shop's currency."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.money import MAX_TYPED


class StoreOut(Schema):
    id = fields.Function(lambda s: str(s.id))
    name = fields.String()
    address = fields.String()
    phone = fields.String()
    hours = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    pickup = fields.Boolean()
    delivers = fields.Function(lambda s: bool(s.delivery_bands and s.latitude is not None))


class StoreListOut(Schema):
    stores = fields.List(fields.Nested(StoreOut))


class TableOut(Schema):
    code = fields.String()
    name = fields.String()
    store = fields.Nested(StoreOut)


class DeliveryBandIO(Schema):
    up_to_km = fields.Float(required=True, validate=validate.Range(min=0.1, max=100))
    fee = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**8),
                         metadata={"description": "Minor units"})


class StaffStoreOut(StoreOut):
    """What buyers see, and how it delivers."""

    delivery_bands = fields.List(fields.Nested(DeliveryBandIO), metadata={
        "description": "Same-city delivery fees by distance, ascending; nothing beyond the last band"})
    delivery_minimum = fields.Integer(metadata={"description": "Minor units of the items total"})
    active = fields.Boolean(metadata={"description": "Open: offered for pickup, delivery and dine-in"})
    created_at = fields.Function(lambda s: s.created_at.isoformat())


class StaffStoreListOut(Schema):
    stores = fields.List(fields.Nested(StaffStoreOut))


class StoreAnswer(Schema):
    store = fields.Nested(StaffStoreOut)


class StorePatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=80))
    address = fields.String(validate=validate.Length(max=200))
    phone = fields.String(validate=validate.Length(max=20))
    hours = fields.String(validate=validate.Length(max=80))
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90),
                            metadata={"description": "Degrees; with longitude, for same-city delivery"})
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    pickup = fields.Boolean(metadata={"description": "Buyers may pick orders up here"})
    delivery_bands = fields.List(fields.Nested(DeliveryBandIO), validate=validate.Length(max=20))
    delivery_minimum = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_TYPED))
    active = fields.Boolean()

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")


class StoreIn(StorePatchIn):
    class Meta:
        exclude = ("active",)  # a new store is open

    name = fields.String(required=True, validate=validate.Length(min=1, max=80))

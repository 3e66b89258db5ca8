"""Bundles in the Admin API (/admin/api/v1/bundles, "marketing.manage"): make them, list and read
them (with the sets sold), and change what may change once they run — through the services the
back office uses, audited as it audits them. Creates take an Idempotency-Key. Money is integer
minor units in, core.api.MoneyOut out."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args
from core.api import MoneyField, load_json
from core.errors import APIError
from core.ids import ID_PATTERN, validate_id
from core.openapi import api_doc
from engines.marketing.bundles import (MAX_ITEMS, MAX_QUANTITY, MIN_ITEMS, create_bundle, find_bundle, list_bundles,
                                       update_bundle)
from engines.marketing.admin_api import changed, created
from engines.marketing.models import Bundle
from engines.marketing.schemas import UTCTime
from engines.marketing.services import MAX_AMOUNT, SHOP_FUNDED, SHOP_FUNDED_ONLY

bp = AdminAPIBlueprint("marketing_bundles_api", __name__, permission="marketing.manage")

STATUSES = ("active", "paused", "ended")


class BundleItemIn(Schema):
    item_id = fields.String(required=True, validate=validate_id, metadata={"pattern": ID_PATTERN})
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY),
                              metadata={"description": "Units of it in one set"})


class BundleIn(Schema):
    """A new bundle. Money is integer minor units of the shop's currency."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    items = fields.List(fields.Nested(BundleItemIn), required=True,
                        validate=validate.Length(min=MIN_ITEMS, max=MAX_ITEMS),
                        metadata={"description": f"{MIN_ITEMS} to {MAX_ITEMS} of the shop's items, each once"})
    price = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT),
                           metadata={"description": "The whole set"})
    starts_at = UTCTime(required=True)
    ends_at = UTCTime(required=True, metadata={"description": "The first moment it is over"})
    funded_by = fields.String(load_default="merchant", validate=validate.OneOf(SHOP_FUNDED, error=SHOP_FUNDED_ONLY),
                              metadata={"description": "Who pays for what it takes off"})


class BundlePatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    status = fields.String(validate=validate.OneOf(STATUSES),
                           metadata={"description": "active and paused either way, either to ended (for good)"})
    ends_at = UTCTime(metadata={"description": "After it starts"})

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")


class StaffBundleItemOut(Schema):
    item_id = fields.String()
    quantity = fields.Integer()


class StaffBundleOut(Schema):
    """A bundle as its shop's staff see it: its set, price, window, status and sets sold."""

    id = fields.Function(lambda b: str(b.id))
    name = fields.String()
    items = fields.List(fields.Nested(StaffBundleItemOut))
    price = MoneyField(metadata={"description": "The whole set"})
    starts_at = fields.Function(lambda b: b.starts_at.isoformat())
    ends_at = fields.Function(lambda b: b.ends_at.isoformat())
    funded_by = fields.String()
    sold_count = fields.Integer(metadata={"description": "Sets on paid orders"})
    status = fields.Function(lambda b: b.status.value, metadata={"enum": list(STATUSES)})
    created_at = fields.Function(lambda b: b.created_at.isoformat())


class StaffBundleAnswer(Schema):
    bundle = fields.Nested(StaffBundleOut)


class StaffBundlePageOut(Schema):
    bundles = fields.List(fields.Nested(StaffBundleOut))
    next_cursor = fields.String(allow_none=True)


def _dump(bundle: Bundle) -> dict:
    return StaffBundleOut().dump(bundle)


@bp.get("/bundles")
@api_doc("The shop's bundles of every status, newest first", tags=["marketing"], response=StaffBundlePageOut,
         query={**PAGE_QUERY, "status": "active | paused | ended"})
def bundles():
    limit, cursor = page_args()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise APIError("invalid_input", fields={"status": [f"Use one of {', '.join(STATUSES)}."]})
    rows, next_cursor = list_bundles(status=status, before=cursor, limit=limit)
    return jsonify(bundles=StaffBundleOut(many=True).dump(rows), next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/bundles")
@api_doc("Create a bundle (组合搭配): 2 to 6 items, a quantity of each, sold together at a set price in a window; "
         "an order holding a complete set (any SKU of each item) gets it at that price", tags=["marketing"],
         body=BundleIn, response=StaffBundleAnswer, status=201, errors=(409,))
def create():
    data = load_json(BundleIn)
    return created("bundle", lambda: create_bundle(**data), _dump, kind="bundle", endpoint=".bundle",
                   id_arg="bundle_id")


@bp.get("/bundles/<int:bundle_id>")
@api_doc("One bundle, with the sets sold", tags=["marketing"], response=StaffBundleAnswer)
def bundle(bundle_id: int):
    return jsonify(bundle=_dump(find_bundle(bundle_id)))


@bp.patch("/bundles/<int:bundle_id>")
@api_doc("Change a bundle's name, status or end", tags=["marketing"], body=BundlePatchIn, response=StaffBundleAnswer,
         description="Its items and price cannot change once it runs: end it and make another.")
def update(bundle_id: int):
    return changed(find_bundle(bundle_id), load_json(BundlePatchIn), update_bundle, _dump, key="bundle", kind="bundle")

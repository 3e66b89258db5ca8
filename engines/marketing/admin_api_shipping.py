"""Free-delivery rules in the Admin API (/admin/api/v1/free-shipping-rules, "marketing.manage"):
make them, list and read them, change them — through engines.marketing.shipping_rules, as the
back office does, audited as it audits them. Creates take an Idempotency-Key. Money is integer
minor units in, core.api.MoneyOut out."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args
from core.api import MoneyField, load_json
from core.errors import APIError
from core.ids import ID_PATTERN, validate_id
from core.openapi import api_doc
from engines.marketing.admin_api import changed, created
from engines.marketing.models import FreeShippingRule
from engines.marketing.schemas import UTCTime
from engines.marketing.services import FUNDERS, MAX_AMOUNT, SHOP_FUNDED, SHOP_FUNDED_ONLY
from engines.marketing.shipping_rules import (MAX_ITEMS, MAX_REGION_LENGTH, MAX_REGIONS, create_rule, find_rule,
                                              list_rules, update_rule)

bp = AdminAPIBlueprint("marketing_shipping_api", __name__, permission="marketing.manage")

STATUSES = ["active", "paused", "ended"]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _regions(description: str, **kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=MAX_REGION_LENGTH)),
                       validate=validate.Length(max=MAX_REGIONS), metadata={"description": description}, **kwargs)


def _items(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate_id, metadata={"pattern": ID_PATTERN}),
                       validate=validate.Length(max=MAX_ITEMS), **kwargs)


REGIONS = "Regions where delivery is free: an address's region starting with one of them (none: everywhere)"
EXCLUDED = "Regions where delivery is never free by this rule, e.g. Xinjiang, Tibet"
ITEMS = "When given, an order gets it only when every line is one of these items"


class FreeShippingRuleOut(Schema):
    """A free-delivery rule as its shop's staff see it."""

    id = fields.Function(lambda r: str(r.id))
    name = fields.String()
    minimum = MoneyField(metadata={"description": "What the items must cost after discounts (0: any order)"})
    regions = fields.List(fields.String(), metadata={"description": REGIONS})
    excluded_regions = fields.List(fields.String(), metadata={"description": EXCLUDED})
    item_ids = fields.List(fields.String(), metadata={"description": ITEMS})
    starts_at = fields.Function(lambda r: _iso(r.starts_at))
    ends_at = fields.Function(lambda r: _iso(r.ends_at), metadata={"description": "The first moment it is over"})
    funded_by = fields.String(metadata={"enum": list(FUNDERS)})
    status = fields.Function(lambda r: r.status.value, metadata={"enum": STATUSES})
    created_at = fields.Function(lambda r: _iso(r.created_at))


class FreeShippingRuleAnswer(Schema):
    rule = fields.Nested(FreeShippingRuleOut)


class FreeShippingRulePageOut(Schema):
    rules = fields.List(fields.Nested(FreeShippingRuleOut))
    next_cursor = fields.String(allow_none=True)


class FreeShippingRuleIn(Schema):
    """A new free-delivery rule. Money is integer minor units of the shop's currency."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    minimum = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT),
                             metadata={"description": "What the items must cost after discounts (0: any order)"})
    regions = _regions(REGIONS, load_default=list)
    excluded_regions = _regions(EXCLUDED, load_default=list)
    item_ids = _items(load_default=list, metadata={"description": ITEMS})
    starts_at = UTCTime(required=True)
    ends_at = UTCTime(required=True, metadata={"description": "The first moment it is over"})
    funded_by = fields.String(load_default="merchant", validate=validate.OneOf(SHOP_FUNDED, error=SHOP_FUNDED_ONLY),
                              metadata={"description": "Who pays for the fee waived"})


class FreeShippingRulePatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    minimum = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT))
    regions = _regions(REGIONS)
    excluded_regions = _regions(EXCLUDED)
    item_ids = _items(metadata={"description": ITEMS})
    starts_at = UTCTime()
    ends_at = UTCTime(metadata={"description": "After it starts"})
    funded_by = fields.String(validate=validate.OneOf(SHOP_FUNDED, error=SHOP_FUNDED_ONLY))
    status = fields.String(validate=validate.OneOf(STATUSES),
                           metadata={"description": "active and paused either way, either to ended (for good)"})

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Send at least one of {', '.join(sorted(self.fields))}.")


def _dump(rule: FreeShippingRule) -> dict:
    return FreeShippingRuleOut().dump(rule)


@bp.get("/free-shipping-rules")
@api_doc("The shop's free-delivery rules of every status, newest first", tags=["marketing"],
         response=FreeShippingRulePageOut, query={**PAGE_QUERY, "status": "active | paused | ended"})
def rules():
    limit, cursor = page_args()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise APIError("invalid_input", fields={"status": [f"Use one of {', '.join(STATUSES)}."]})
    rows, next_cursor = list_rules(status=status, before=cursor, limit=limit)
    return jsonify(rules=FreeShippingRuleOut(many=True).dump(rows),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/free-shipping-rules")
@api_doc("Create a free-delivery rule (包邮): the express or same-city fee waived in a window when the items cost "
         "at least a minimum, the address is in its regions and not in its excluded ones and, when it names items, "
         "every line is one of them", tags=["marketing"], body=FreeShippingRuleIn, response=FreeShippingRuleAnswer,
         status=201, errors=(409,),
         description="The first rule (oldest first) that covers an order waives its fee; a free-delivery coupon then "
                     "finds no fee to waive. Same-city delivery matches only rules without regions.")
def create():
    data = load_json(FreeShippingRuleIn)
    return created("rule", lambda: create_rule(**data), _dump, kind="free_shipping_rule", endpoint=".rule",
                   id_arg="rule_id")


@bp.get("/free-shipping-rules/<int:rule_id>")
@api_doc("One free-delivery rule", tags=["marketing"], response=FreeShippingRuleAnswer)
def rule(rule_id: int):
    return jsonify(rule=_dump(find_rule(rule_id)))


@bp.patch("/free-shipping-rules/<int:rule_id>")
@api_doc("Change a free-delivery rule: its conditions, window, funder or status", tags=["marketing"],
         body=FreeShippingRulePatchIn, response=FreeShippingRuleAnswer,
         description="Orders already placed keep what they got. An ended rule stays ended.")
def update(rule_id: int):
    return changed(find_rule(rule_id), load_json(FreeShippingRulePatchIn), update_rule, _dump, key="rule",
                   kind="free_shipping_rule")

"""Free-delivery campaigns (包邮活动): the express or same-city fee waived when the items cost at
least a minimum, the address is in the rule's regions (none: anywhere) and not in its excluded
ones ("Xinjiang", "Tibet"), and — when the rule names items — every line is one of them.

The `free_shipping_rules` step runs after the `shipping` step has charged the fee and before a
free-delivery coupon, so a coupon finds no fee left to waive. The rules are remembered per process
until the shop's `marketing` stamp moves (a checkout reads them without a query); a rule holds
nothing, so the step has no hooks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from core.cache import LRU, bump_after_commit, remembered
from core.db import db
from core.errors import APIError, register_codes
from core.ids import parse_id
from core.tenancy import current_tenant_id
from engines.catalog.services import categories_of_items
from engines.marketing.models import CouponStatus, FreeShippingRule
from engines.marketing.services import FUNDERS, MAX_AMOUNT, newest_by_status
from engines.orders.services import POSITIONS, register_price_step

register_codes({"free_shipping_rule_not_found": (404, "There is no such free-delivery rule.")})

MAX_REGIONS = 50
MAX_REGION_LENGTH = 40
MAX_ITEMS = 500
EDITABLE = ("name", "minimum", "regions", "excluded_regions", "item_ids", "starts_at", "ends_at", "funded_by",
            "status")
_rules = LRU(10_000)  # (tenant_id, "free_shipping") -> (marketing stamp, the active rules)


# -- making and changing rules -------------------------------------------------------------------

def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _regions(value: object, errors: dict[str, list[str]], field: str) -> list[str]:
    """Region names as given, trimmed, blanks and repeats dropped; refusals noted under `field`."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(name, str) for name in value):
        errors[field] = ["A list of region names."]
        return []
    names = list(dict.fromkeys(name.strip() for name in value if name.strip()))
    if len(names) > MAX_REGIONS:
        errors[field] = [f"Up to {MAX_REGIONS} regions."]
    elif any(len(name) > MAX_REGION_LENGTH for name in names):
        errors[field] = [f"A region name is up to {MAX_REGION_LENGTH} characters."]
    return names


def _item_ids(value: object, errors: dict[str, list[str]]) -> list[int]:
    """The shop's items named (ids or their strings); another shop's or a deleted id is refused."""
    parsed = [parse_id(i) for i in value] if isinstance(value, (list, tuple)) else [None]
    if None in parsed:
        errors["item_ids"] = ["A list of item ids."]
        return []
    ids = list(dict.fromkeys(parsed))
    if len(ids) > MAX_ITEMS:
        errors["item_ids"] = [f"Up to {MAX_ITEMS} items."]
    elif ids and not set(ids) <= set(categories_of_items(ids)):
        errors["item_ids"] = ["There is no such item."]
    return ids


def _errors(values: dict) -> tuple[dict, dict[str, list[str]]]:
    """`values` (every field of a rule) cleaned, and what is wrong with them by field."""
    errors: dict[str, list[str]] = {}
    name = values["name"]
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60:
        errors["name"] = ["Give the rule a name of up to 60 characters."]
    if not (_whole(values["minimum"]) and 0 <= values["minimum"] <= MAX_AMOUNT):
        errors["minimum"] = ["The items' spend it needs: nothing (0) or more."]
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
            errors[field] = ["A time with its offset from UTC."]
    if not errors.keys() & {"starts_at", "ends_at"} and starts_at >= ends_at:
        errors["ends_at"] = ["It must end after it starts."]
    if values["funded_by"] not in FUNDERS:
        errors["funded_by"] = ["The merchant or the platform."]
    if values["status"] not in [s.value for s in CouponStatus]:
        errors["status"] = ["Choose active, paused or ended."]
    cleaned = {**values, "name": name.strip() if isinstance(name, str) else name,
               "regions": _regions(values["regions"], errors, "regions"),
               "excluded_regions": _regions(values["excluded_regions"], errors, "excluded_regions"),
               "item_ids": [str(i) for i in _item_ids(values["item_ids"], errors)]}
    return cleaned, errors


def checked_rule(*, name: str, starts_at: dt.datetime, ends_at: dt.datetime, minimum: int = 0, regions=(),
                 excluded_regions=(), item_ids=(), funded_by: str = "merchant") -> FreeShippingRule:
    """A rule as given, checked (422 naming each wrong field), not saved: what `create_rule`
    saves and the price simulator tries as a draft (`drafts["free_shipping_rules"]`)."""
    cleaned, errors = _errors({"name": name, "minimum": minimum, "regions": regions,
                               "excluded_regions": excluded_regions, "item_ids": item_ids, "starts_at": starts_at,
                               "ends_at": ends_at, "funded_by": funded_by, "status": CouponStatus.ACTIVE.value})
    if errors:
        raise APIError("invalid_input", fields=errors)
    return FreeShippingRule(name=cleaned["name"], minimum=minimum, regions=cleaned["regions"],
                            excluded_regions=cleaned["excluded_regions"], item_ids=cleaned["item_ids"],
                            starts_at=starts_at.astimezone(dt.UTC), ends_at=ends_at.astimezone(dt.UTC),
                            funded_by=funded_by, status=CouponStatus.ACTIVE)


def create_rule(**fields) -> FreeShippingRule:
    """A new rule (see `checked_rule`), on at once in its window."""
    rule = checked_rule(**fields)
    db.session.add(rule)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return rule


def update_rule(rule: FreeShippingRule, **changes) -> FreeShippingRule:
    """Change any of EDITABLE (a rule holds nothing, so its conditions may change while it runs;
    orders already placed keep what they got). `status`: active and paused either way, either to
    ended; an ended rule stays ended. Refuses (422 naming each field) an unknown field and
    anything wrong, and then changes nothing. Checkouts see the change once it commits."""
    current = {field: getattr(rule, field) for field in EDITABLE}
    current["status"] = rule.status.value
    cleaned, errors = _errors({**current, **changes})
    for field in sorted(changes.keys() - set(EDITABLE)):
        errors[field] = ["This is not a field of a free-delivery rule."]
    if rule.status == CouponStatus.ENDED and changes.get("status", "ended") != CouponStatus.ENDED.value:
        errors["status"] = ["An ended rule stays ended: make a new one."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    for field in changes:
        value = cleaned[field]
        if field == "status":
            value = CouponStatus(value)
        elif field in ("starts_at", "ends_at"):
            value = value.astimezone(dt.UTC)
        setattr(rule, field, value)
    db.session.flush()
    bump_after_commit(current_tenant_id(), "marketing")
    return rule


def find_rule(rule_id: int) -> FreeShippingRule:
    """The shop's rule, or 404 free_shipping_rule_not_found (another shop's too)."""
    rule = db.session.get(FreeShippingRule, (current_tenant_id(), rule_id))
    if rule is None:
        raise APIError("free_shipping_rule_not_found")
    return rule


def list_rules(*, status: str | None = None, before: int | None = None,
               limit: int = 50) -> tuple[list[FreeShippingRule], int | None]:
    return newest_by_status(FreeShippingRule, status=status, before=before, limit=limit)


# -- the price step ------------------------------------------------------------------------------

def _within(region: str, names: tuple[str, ...]) -> bool:
    """Whether the address's region starts with one of `names` (as shipping templates match
    regions), whatever the letter case."""
    folded = region.casefold()
    return any(folded.startswith(name.casefold()) for name in names)


@dataclasses.dataclass(frozen=True)
class LiveRule:
    """What the price step reads of a rule (remembered per process)."""

    id: int
    name: str
    minimum: int
    regions: tuple[str, ...]
    excluded_regions: tuple[str, ...]
    item_ids: frozenset[int]
    starts_at: dt.datetime
    ends_at: dt.datetime
    funded_by: str

    def covers(self, quote) -> bool:
        """Whether the order gets free delivery: every line one of the rule's items (when it names
        some), the lines' cost after discounts at least the minimum, the address not in an
        excluded region and — when the rule names regions — sent by express to one of them
        (same-city delivery has no region to match)."""
        if self.item_ids and any(line.item_id not in self.item_ids for line in quote.lines):
            return False
        if sum(line.payable for line in quote.lines) < self.minimum:
            return False
        region = (quote.fulfillment.get("address") or {}).get("region") or ""
        if _within(region, self.excluded_regions):
            return False
        return not self.regions or (quote.fulfillment.get("type") == "express" and _within(region, self.regions))


def live_rule_of(rule: FreeShippingRule) -> LiveRule:
    return LiveRule(rule.id or 0, rule.name, rule.minimum, tuple(rule.regions), tuple(rule.excluded_regions),
                    frozenset(int(i) for i in rule.item_ids), rule.starts_at, rule.ends_at, rule.funded_by)


def _load() -> tuple[LiveRule, ...]:
    rows = db.session.scalars(select(FreeShippingRule).where(FreeShippingRule.status == CouponStatus.ACTIVE)
                              .order_by(FreeShippingRule.id))
    return tuple(live_rule_of(rule) for rule in rows)


def live_rules(now: dt.datetime) -> list[LiveRule]:
    """The rules on at `now`, oldest first (the first that covers an order wins)."""
    rules = remembered(_rules, current_tenant_id(), "marketing", "free_shipping", _load)
    return [rule for rule in rules if rule.starts_at <= now < rule.ends_at]


def label_of(rule: LiveRule) -> str:
    return _("%(name)s (free delivery)", name=rule.name)


class FreeShippingRuleStep:
    """The `free_shipping_rules` step: the first live rule (by id) covering the order waives the
    fee charged so far, funded as the rule says. No fee: nothing read. Draft rules (the price
    simulator) are tried after the live ones, as if they were on."""

    def apply(self, quote, context) -> None:
        if quote.shipping_fee <= 0:
            return
        rules = live_rules(context.now) + [live_rule_of(draft) for draft in context.drafts.get("free_shipping_rules", ())
                                           if draft.starts_at <= context.now < draft.ends_at]
        rule = next((rule for rule in rules if rule.covers(quote)), None)
        if rule is not None:
            quote.waive_shipping("free_shipping_rules", label_of(rule), quote.shipping_fee,
                                 source=("free_shipping_rule", rule.id), funded_by=rule.funded_by)


register_price_step("free_shipping_rules", POSITIONS["free_shipping_rules"], FreeShippingRuleStep())

"""What the membership APIs take and answer (the OpenAPI documents are made from these)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import MoneyField
from core.money import Money
from core.tenancy import current_tenant
from engines.membership.wallet import plan_label
from engines.orders.services import numbers_of
from engines.payments.services import orders_of_payments


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _id(value) -> str | None:
    return None if value is None else str(value)


class MemberTierOut(Schema):
    id = fields.Function(lambda tier: str(tier.id))
    name = fields.String()
    threshold = fields.Integer(metadata={"description": "The growth that reaches it"})
    discount_bp = fields.Integer(metadata={"description": "Off every item, in basis points (500 is 5 % off)"})
    free_shipping = fields.Boolean()
    points_multiplier_bp = fields.Integer(metadata={"description": "On the points orders earn (10000 is ×1)"})
    birthday_points = fields.Integer()


class TierExclusiveItemsIn(Schema):
    item_ids = fields.List(fields.String(validate=validate.Regexp(r"^[0-9]{1,19}$")), required=True,
                           validate=validate.Length(max=500), metadata={"description": "Catalog item ids"})


class TierExclusiveItemsOut(Schema):
    item_ids = fields.List(fields.String(), metadata={"description": "The catalog items only this tier and above "
                                                                     "may buy"})


class MemberTierListOut(Schema):
    tiers = fields.List(fields.Nested(MemberTierOut))


class MemberTierIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    threshold = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**12))
    discount_bp = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=9000))
    free_shipping = fields.Boolean(load_default=False)
    points_multiplier_bp = fields.Integer(load_default=10_000, strict=True, validate=validate.Range(min=0, max=100_000))
    birthday_points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=1_000_000))


class MemberTierPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=40))
    threshold = fields.Integer(strict=True, validate=validate.Range(min=0, max=10**12))
    discount_bp = fields.Integer(strict=True, validate=validate.Range(min=0, max=9000))
    free_shipping = fields.Boolean()
    points_multiplier_bp = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    birthday_points = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))


class MemberTierAnswer(Schema):
    tier = fields.Nested(MemberTierOut)


class PointsOut(Schema):
    available = fields.Integer()
    frozen = fields.Integer(metadata={"description": "Earned by orders still in their after-sales window"})
    expiring = fields.Integer(metadata={"description": "Of the available points, those expiring within 30 days"})
    expiring_at = fields.String(allow_none=True, metadata={"description": "When the first of those expire"})


class NextTierOut(Schema):
    id = fields.String()
    name = fields.String()
    threshold = fields.Integer()
    growth_needed = fields.Integer()


class MemberOut(Schema):
    """A member's card."""

    tier = fields.Nested(MemberTierOut, allow_none=True)
    next_tier = fields.Nested(NextTierOut, allow_none=True)
    growth = fields.Integer()
    points = fields.Nested(PointsOut)
    signed_in_today = fields.Boolean()
    streak = fields.Integer(metadata={"description": "Days signed in in a row"})
    birthday = fields.String(allow_none=True)
    card = fields.Raw(allow_none=True, metadata={"description": "The paid member card held (HeldCardOut; null: none)"})
    balance = fields.Raw(allow_none=True, metadata={"description": "Stored value (StoredValueOut; null: the shop has none)"})


def dump_card(card) -> dict:
    member = card.member
    return MemberOut().dump({
        "tier": card.tier, "growth": member.growth, "signed_in_today": card.signed_in_today, "streak": card.streak,
        "next_tier": None if card.next_tier is None else {
            "id": str(card.next_tier.id), "name": card.next_tier.name, "threshold": card.next_tier.threshold,
            "growth_needed": card.growth_needed},
        "points": {"available": member.points, "frozen": member.points_frozen, "expiring": card.expiring,
                   "expiring_at": _iso(card.expiring_at)},
        "birthday": member.birthday.isoformat() if member.birthday else None,
        "card": HeldCardOut().dump(card.card) if card.card else None,
        "balance": dump_wallet(member) if card.stored_value else None})


class MemberAnswer(Schema):
    member = fields.Nested(MemberOut)


class BirthdayIn(Schema):
    birthday = fields.Date(required=True, metadata={"description": "YYYY-MM-DD; set once"})


class PointsEntryOut(Schema):
    id = fields.Function(lambda entry: str(entry.id))
    kind = fields.Function(lambda entry: entry.kind.value, metadata={
        "description": "order, sign_in, task, promotion, birthday, adjustment, spent, returned, redeemed, reversed, "
                       "expired"})
    amount = fields.Integer(metadata={"description": "Signed: a credit is positive"})
    balance_after = fields.Integer()
    note = fields.String()
    source = fields.Function(lambda entry: None if not entry.source_kind else
                             f"{entry.source_kind}:{entry.source_id}" if entry.source_id else entry.source_kind)
    order_number = fields.String(allow_none=True, metadata={"description": "The order it came from or went to"})
    expires_at = fields.Function(lambda entry: _iso(entry.expires_at))
    created_at = fields.Function(lambda entry: _iso(entry.created_at))


class PointsPageOut(Schema):
    entries = fields.List(fields.Nested(PointsEntryOut))
    next_cursor = fields.String(allow_none=True)


class SignInOut(Schema):
    day = fields.Function(lambda sign_in: sign_in.day.isoformat())
    streak = fields.Integer()
    points = fields.Integer()


class SignedInAnswer(Schema):
    sign_in = fields.Nested(SignInOut)
    member = fields.Nested(MemberOut)


class StaffMemberOut(Schema):
    consumer_id = fields.Function(lambda row: str(row["member"].consumer_id))
    name = fields.Function(lambda row: row["consumer"].name if row["consumer"] else "")
    login = fields.Function(lambda row: (row["consumer"].phone or row["consumer"].email or "") if row["consumer"] else "")
    tier = fields.Function(lambda row: row["tier"].name if row["tier"] else None)
    tier_id = fields.Function(lambda row: _id(row["member"].tier_id))
    growth = fields.Function(lambda row: row["member"].growth)
    points = fields.Function(lambda row: row["member"].points)
    points_frozen = fields.Function(lambda row: row["member"].points_frozen)
    last_order_at = fields.Function(lambda row: _iso(row["member"].last_order_at))
    tags = fields.Function(lambda row: [tag for tag in row["member"].tags.split(",") if tag])


class StaffMemberPageOut(Schema):
    members = fields.List(fields.Nested(StaffMemberOut))
    next_cursor = fields.String(allow_none=True)


class StaffMemberAnswer(Schema):
    member = fields.Nested(StaffMemberOut)


class AdjustmentIn(Schema):
    amount = fields.Integer(required=True, strict=True, metadata={"description": "Signed: negative takes away"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class InboxMessageOut(Schema):
    id = fields.Function(lambda message: str(message.id))
    kind = fields.Function(lambda message: "booking_reminder" if message.source.startswith("booking:") else "message",
                           metadata={"description": "message (the shop's words), or booking_reminder: the title is "
                                                    "what is booked, the body when it starts (the shop's clock)"})
    title = fields.String()
    body = fields.String()
    read = fields.Boolean()
    created_at = fields.Function(lambda message: _iso(message.created_at))


class InboxPageOut(Schema):
    messages = fields.List(fields.Nested(InboxMessageOut))
    unread = fields.Integer()
    next_cursor = fields.String(allow_none=True)


class InboxMessageAnswer(Schema):
    message = fields.Nested(InboxMessageOut)


TRIGGERS = ("registration", "first_order", "birthday", "tier_change", "dormant", "points_expiring", "card_ending")


class AutomationOut(Schema):
    id = fields.Function(lambda a: str(a.id))
    name = fields.String()
    trigger = fields.Function(lambda a: str(a.trigger), metadata={"description": " | ".join(TRIGGERS)})
    days = fields.Integer(allow_none=True)
    tier_id = fields.Function(lambda a: _id(a.tier_id))
    coupon_id = fields.Function(lambda a: _id(a.coupon_id))
    points = fields.Integer()
    message_title = fields.String()
    message_body = fields.String()
    quiet_start = fields.Integer(allow_none=True)
    quiet_end = fields.Integer(allow_none=True)
    cap_count = fields.Integer()
    cap_days = fields.Integer()
    status = fields.Function(lambda a: str(a.status))
    created_at = fields.Function(lambda a: _iso(a.created_at))


class AutomationListOut(Schema):
    automations = fields.List(fields.Nested(AutomationOut))


class AutomationAnswer(Schema):
    automation = fields.Nested(AutomationOut)


class _AutomationFields(Schema):
    days = fields.Integer(allow_none=True, strict=True, metadata={"description": "dormant: days without an order"})
    tier_id = fields.String(allow_none=True, validate=validate.Length(max=20),
                            metadata={"description": "tier_change: only when reaching this tier"})
    coupon_id = fields.String(allow_none=True, validate=validate.Length(max=20),
                              metadata={"description": "A copy of this coupon is given"})
    points = fields.Integer(strict=True)
    message_title = fields.String(validate=validate.Length(max=60))
    message_body = fields.String(validate=validate.Length(max=500))
    quiet_start = fields.Integer(allow_none=True, strict=True, metadata={"description": "Hour 0-23, shop's time"})
    quiet_end = fields.Integer(allow_none=True, strict=True)
    cap_count = fields.Integer(strict=True, metadata={"description": "At most this many times per member …"})
    cap_days = fields.Integer(strict=True, metadata={"description": "… in this many days"})
    status = fields.String(validate=validate.OneOf(("active", "paused")))


class AutomationIn(_AutomationFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))


class AutomationPatchIn(_AutomationFields):
    name = fields.String(validate=validate.Length(min=1, max=60))


class AutomationRunOut(Schema):
    id = fields.Function(lambda run: str(run.id))
    consumer_id = fields.Function(lambda run: str(run.consumer_id))
    occasion = fields.String()
    status = fields.Function(lambda run: str(run.status), metadata={"description": "waiting | done | skipped"})
    due_at = fields.Function(lambda run: _iso(run.due_at))
    done_at = fields.Function(lambda run: _iso(run.done_at))
    outcome = fields.String(metadata={"description": "What it gave, or why it was skipped"})


class AutomationRunPageOut(Schema):
    runs = fields.List(fields.Nested(AutomationRunOut))
    next_cursor = fields.String(allow_none=True)


class SegmentFiltersIn(Schema):
    tier_ids = fields.List(fields.String(validate=validate.Length(max=20)), validate=validate.Length(max=20))
    growth_at_least = fields.Integer(strict=True, allow_none=True)
    points_at_least = fields.Integer(strict=True, allow_none=True)
    spent_at_least = fields.Integer(strict=True, allow_none=True, metadata={"description": "Minor units"})
    ordered_within_days = fields.Integer(strict=True, allow_none=True)
    not_ordered_for_days = fields.Integer(strict=True, allow_none=True)
    tags = fields.List(fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=20),
                       metadata={"description": "Members with any of these tags"})


class SegmentIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    filters = fields.Nested(SegmentFiltersIn, required=True)


class SegmentOut(Schema):
    id = fields.Function(lambda segment: str(segment.id))
    name = fields.String()
    filters = fields.Raw()


class SegmentAnswer(Schema):
    segment = fields.Nested(SegmentOut)


class SegmentListOut(Schema):
    segments = fields.List(fields.Nested(SegmentOut))


class SendToSegmentIn(Schema):
    coupon_id = fields.String(required=True, validate=validate.Length(min=1, max=20))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                           metadata={"description": "next_cursor of the batch before (a segment larger than a batch)"})


class SentToSegmentOut(Schema):
    sent = fields.Integer()
    refused = fields.List(fields.Dict(), metadata={"description": "[{consumer_id, code}]"})
    next_cursor = fields.String(allow_none=True, metadata={"description": "Send again with it for the next batch"})


class TagsIn(Schema):
    tags = fields.List(fields.String(validate=validate.Length(max=40)), required=True, validate=validate.Length(max=20))


class CardPlanOut(Schema):
    id = fields.Function(lambda plan: str(plan.id))
    name = fields.String()
    period = fields.Function(lambda plan: str(plan.period), metadata={"description": "month | quarter | year | permanent"})
    price = MoneyField(metadata={"description": "The list price (renewals)"})
    first_price = MoneyField(metadata={"description": "A member's first card of the shop"})
    discount_bp = fields.Integer()
    free_shipping = fields.Boolean()
    points_multiplier_bp = fields.Integer()
    active = fields.Boolean(metadata={"description": "On sale"})


class CardPlanListOut(Schema):
    plans = fields.List(fields.Nested(CardPlanOut))


class CardPlanAnswer(Schema):
    plan = fields.Nested(CardPlanOut)


class _CardPlanFields(Schema):
    price = fields.Integer(strict=True, metadata={"description": "Minor units"})
    first_price = fields.Integer(strict=True, metadata={"description": "Minor units; at most the price (default: it)"})
    discount_bp = fields.Integer(strict=True)
    free_shipping = fields.Boolean()
    points_multiplier_bp = fields.Integer(strict=True)
    active = fields.Boolean()


class CardPlanIn(_CardPlanFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    period = fields.String(required=True, validate=validate.OneOf(("month", "quarter", "year", "permanent")))
    price = fields.Integer(required=True, strict=True, metadata={"description": "Minor units"})


class CardPlanPatchIn(_CardPlanFields):
    name = fields.String(validate=validate.Length(min=1, max=40))
    period = fields.String(validate=validate.OneOf(("month", "quarter", "year", "permanent")))


class CardCodesIn(Schema):
    count = fields.Integer(required=True, strict=True)
    batch = fields.String(required=True, validate=validate.Length(min=1, max=40))


class CardCodesOut(Schema):
    codes = fields.List(fields.String())


class ActivateIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class HeldCardOut(Schema):
    plan_id = fields.Function(lambda held: str(held[1].id))
    name = fields.Function(lambda held: held[1].name)
    starts_at = fields.Function(lambda held: _iso(held[0].starts_at))
    ends_at = fields.Function(lambda held: _iso(held[0].ends_at), metadata={"description": "null: permanent"})
    discount_bp = fields.Function(lambda held: held[1].discount_bp)
    free_shipping = fields.Function(lambda held: held[1].free_shipping)
    points_multiplier_bp = fields.Function(lambda held: held[1].points_multiplier_bp)


class HeldCardAnswer(Schema):
    card = fields.Nested(HeldCardOut)


class StoredValueOut(Schema):
    principal = MoneyField(metadata={"description": "What the member paid in"})
    bonus = MoneyField(metadata={"description": "What recharge plans added"})
    total = MoneyField()


def dump_wallet(member) -> dict:
    return StoredValueOut().dump({"principal": member.balance, "bonus": member.bonus, "total": member.balance + member.bonus})


class WalletEntryOut(Schema):
    id = fields.Function(lambda entry: str(entry.id))
    kind = fields.String(metadata={"description": "recharge, payment, refund, recharge_refund, adjustment"})
    principal = MoneyField()
    bonus = MoneyField()
    principal_after = MoneyField()
    bonus_after = MoneyField()
    note = fields.String()
    order_number = fields.String(allow_none=True, metadata={"description": "The order it came from or went to"})
    created_at = fields.Function(lambda entry: _iso(entry.created_at))


class WalletStatementOut(Schema):
    wallet = fields.Nested(StoredValueOut)
    entries = fields.List(fields.Nested(WalletEntryOut))
    next_cursor = fields.String(allow_none=True)


class RechargePlanOut(Schema):
    id = fields.Function(lambda plan: str(plan.id))
    pay = MoneyField()
    bonus = MoneyField()
    gets = fields.Function(lambda plan: Money(plan.pay + plan.bonus, current_tenant().currency).to_json(),
                           metadata={"description": "What the balance gets: pay + bonus"})
    label = fields.Function(lambda plan: plan_label(plan))
    active = fields.Boolean()


class RechargePlanListOut(Schema):
    plans = fields.List(fields.Nested(RechargePlanOut))


class RechargePlanAnswer(Schema):
    plan = fields.Nested(RechargePlanOut)


class RechargePlanIn(Schema):
    pay = fields.Integer(required=True, strict=True, metadata={"description": "Minor units"})
    bonus = fields.Integer(load_default=0, strict=True, metadata={"description": "Minor units"})
    active = fields.Boolean(load_default=True)


class RechargePlanPatchIn(Schema):
    active = fields.Boolean(required=True)


class BalancePaidOut(Schema):
    outcome = fields.String(metadata={"description": "paid (or refunding: the order was paid or cancelled meanwhile)"})
    order_id = fields.String()
    wallet = fields.Nested(StoredValueOut)


def dump_entries(schema: type[Schema], entries: list) -> list[dict]:
    """Ledger entries (points or stored value) as `schema` dumps them, each with the number of the
    order it came from or went to (directly, or through the payment that paid it): two queries a page."""
    paid_by = orders_of_payments([entry.source_id for entry in entries if entry.source_kind == "payment"])

    def order_of(entry) -> int | None:
        return entry.source_id if entry.source_kind == "order" else paid_by.get(entry.source_id) \
            if entry.source_kind == "payment" else None

    numbers = numbers_of([order_id for entry in entries if (order_id := order_of(entry))])
    dumped = schema(many=True).dump(entries)
    for row, entry in zip(dumped, entries, strict=True):
        row["order_number"] = numbers.get(order_of(entry))
    return dumped

"""The price simulator (DESIGN.md §4): a cart the merchant builds — lines, a customer and one of
their coupons, or no customer, a member tier, a time — priced by the real checkout pipeline
(`engines.orders.services.quote`) under the live rules and again with a draft promotion applied as
if it were live, every step explained: what it took off or added, who funds it, its share of each
line.

Nothing is written: each pricing runs in a SAVEPOINT that is rolled back whatever happens (the
pipeline only reads when it quotes; the savepoint makes sure of it), and the draft is an unsaved
`Promotion` (`promotions.checked_promotion`) with its budget untouched. A refusal of the pipeline —
a coupon that does not apply, an item not on sale, a way of receiving the order the cart cannot
use — is the answer for that column, not an error of the simulation."""

from __future__ import annotations

import dataclasses
import datetime as dt

from core.consumers import Consumer
from core.db import db, utcnow
from core.errors import APIError
from core.ids import parse_id
from core.tenancy import current_tenant, current_tenant_id
from engines.catalog.services import skus_with_items
from engines.marketing.models import Promotion
from engines.marketing.services import copy_ids_of
from engines.orders.services import Quote, quote

MAX_TIER_TEXT = 40


@dataclasses.dataclass(frozen=True)
class PricedLine:
    name: str
    options: str  # "M / Red", or ""
    unit_price: int
    quantity: int
    subtotal: int
    discount: int
    payable: int
    gift: bool = False  # given by a promotion's tier, all of its price taken off


@dataclasses.dataclass(frozen=True)
class PricedStep:
    """One line of the explanation. `funded_by` is who pays for a discount (amount < 0) or is owed
    a fee (amount > 0): None for what only explains (the items, a fee of nothing). `shares` are
    (line index, amount) of the lines it touched; none for the whole order (a delivery fee)."""

    step: str
    label: str
    amount: int
    funded_by: str | None = None
    shares: tuple[tuple[int, int], ...] = ()
    draft: bool = False  # the draft promotion's own step


@dataclasses.dataclass(frozen=True)
class Priced:
    """A cart priced one way, or the pipeline's refusal (`refusal`, with nothing else)."""

    currency: str
    lines: tuple[PricedLine, ...] = ()
    steps: tuple[PricedStep, ...] = ()
    items_total: int = 0
    discount_total: int = 0
    shipping_fee: int = 0
    total: int = 0
    refusal: str | None = None

    @property
    def funded(self) -> dict[str, int]:
        """What each party gives on this order: discounts, as positive amounts, by funder."""
        given: dict[str, int] = {}
        for step in self.steps:
            if step.funded_by is not None and step.amount < 0:
                given[step.funded_by] = given.get(step.funded_by, 0) - step.amount
        return given


@dataclasses.dataclass(frozen=True)
class DraftEffect:
    """What the draft changes on this cart: the total (negative: cheaper), and each funder's part."""

    total: int
    funded: dict[str, int]


def simulate(lines: list[dict], *, consumer_id: int | None = None, coupon_copy_ids=(), member_tier: str | None = None,
             draft: Promotion | None = None, fulfillment: dict | None = None,
             now: dt.datetime | None = None) -> tuple[Priced, Priced | None]:
    """The cart priced under the live rules, and with `draft` (an unsaved promotion) too — None
    without one. `lines` are checkout's ({"sku_id", "quantity", "choices"}); `fulfillment` is
    checkout's choice ({"type": "express", "address_id": …}); `member_tier` goes to the pipeline
    as member={"tier": …} (no step reads it until the membership engine prices by tier). Refuses
    (422 naming the field) a customer who is not the shop's, coupons without a customer, a draft
    that was saved, a tier of more than 40 characters."""
    now = now or utcnow()
    coupons = _checked(consumer_id, coupon_copy_ids, member_tier, draft)
    asked = {"consumer_id": consumer_id or 0, "lines": lines, "fulfillment_choice": fulfillment, "coupons": coupons,
             "member": {"tier": member_tier} if member_tier else {}, "now": now}
    live = _priced(asked, {}, draft=None)
    if draft is None:
        return live, None
    return live, _priced(asked, {"order_promotions": (draft,)}, draft=draft)


def draft_effect(live: Priced, with_draft: Priced | None) -> DraftEffect | None:
    """The difference the draft makes, when both pricings went through."""
    if with_draft is None or live.refusal or with_draft.refusal:
        return None
    before, after = live.funded, with_draft.funded
    return DraftEffect(total=with_draft.total - live.total,
                       funded={funder: after.get(funder, 0) - before.get(funder, 0)
                               for funder in sorted(before.keys() | after.keys())})


def draft_running(draft: Promotion, now: dt.datetime) -> bool:
    """Whether the draft's window holds `now` (outside it, the pipeline leaves it out)."""
    return draft.starts_at <= now < draft.ends_at


def _checked(consumer_id: int | None, coupon_copy_ids, member_tier: str | None,
             draft: Promotion | None) -> tuple[str, ...]:
    """The coupon copies as checkout takes them; 422 naming what cannot be simulated."""
    errors: dict[str, list[str]] = {}
    if consumer_id is not None and db.session.get(Consumer, (current_tenant_id(), consumer_id)) is None:
        errors["consumer_id"] = ["There is no such customer."]
    coupons: tuple[str, ...] = ()
    try:
        coupons = tuple(str(copy_id) for copy_id in copy_ids_of(coupon_copy_ids))
    except APIError as error:
        errors["coupon_copy_ids"] = error.fields["coupon_ids"]
    if coupons and consumer_id is None:
        errors["coupon_copy_ids"] = ["A coupon is a customer's: choose the customer first."]
    if member_tier is not None and len(member_tier) > MAX_TIER_TEXT:
        errors["member_tier"] = [f"At most {MAX_TIER_TEXT} characters."]
    if draft is not None and (not isinstance(draft, Promotion) or draft.id is not None):
        errors["draft"] = ["A draft is a promotion not saved yet."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return coupons


def _priced(asked: dict, drafts: dict, *, draft: Promotion | None) -> Priced:
    """One run of checkout's pricing in a savepoint that is always rolled back."""
    savepoint = db.session.begin_nested()
    try:
        return _explained(quote(**asked, drafts=drafts), draft)
    except APIError as error:
        return Priced(currency=current_tenant().currency, refusal=_refusal(error))
    finally:
        savepoint.rollback()


def _explained(quoted: Quote, draft: Promotion | None) -> Priced:
    """The quote as plain values: its lines, and each step with its adjustment (when it made one)."""
    by_entry = {id(adjustment.entry): adjustment for adjustment in quoted.adjustments if adjustment.entry is not None}
    drafted = None if draft is None else str(draft.id or 0)  # how the pipeline names the draft (no id yet)
    steps = []
    for entry in quoted.steps:
        adjustment = by_entry.get(id(entry))
        from_draft = drafted is not None and (entry.get("promotion_id") == drafted or (
            adjustment is not None and adjustment.source == f"promotion:{drafted}"))
        if adjustment is None:
            steps.append(PricedStep(step=entry["step"], label=entry["label"], amount=entry["amount"], draft=from_draft))
            continue
        steps.append(PricedStep(
            step=adjustment.step, label=adjustment.label, amount=adjustment.amount, funded_by=adjustment.funded_by,
            shares=tuple(sorted(adjustment.allocations.items())), draft=from_draft))
    lines = tuple(PricedLine(name=line.name, options=" / ".join(str(v) for v in line.options.values()),
                             unit_price=line.unit_price, quantity=line.quantity, subtotal=line.subtotal,
                             discount=line.discount, payable=line.payable, gift=line.gift) for line in quoted.lines)
    return Priced(currency=quoted.currency, lines=lines, steps=tuple(steps), items_total=quoted.items_total,
                  discount_total=quoted.discount_total, shipping_fee=quoted.shipping_fee, total=quoted.total)


def _refusal(error: APIError) -> str:
    """What the pipeline refused, in words: its field messages, and the item it names."""
    message = " ".join(m for messages in error.fields.values() for m in messages) or error.message
    sku_id = parse_id(str(error.extra.get("sku_id", "")))
    if sku_id is None:
        return message
    found = skus_with_items([sku_id]).get(sku_id)
    return f"{found[1].name}: {message}" if found else message

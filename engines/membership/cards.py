"""Paid member cards (付费会员): plans on sale (month, quarter, year or permanent; a first-purchase
price for a member's first card), bought through the normal order and payment flow (an order of
the card, `orders.place_purchase`; once paid the card starts — or a held card is extended — and the
order completes), activated by codes made in batches, their benefits in the pricing (the better of
the card's and the tier's), a refund of the card's order ending it, and a reminder before a card
ends (`member_card.ending.v1`)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from sqlalchemy import select, update

from core.codes import normalise, write_unique
from core.cache import LRU, bump_after_commit, remembered
from core.db import db, utcnow
from core.errors import APIError, register_codes
from core.events import emit
from core.tenancy import current_tenant_id, insert_rows, new_row
from engines.membership import events as _events  # noqa: F401  declares the events emitted here
from engines.membership.models import CardCode, CardPeriod, CardPlan, MemberCard
from engines.membership.tiers import MEMBERSHIP_STAMP
from engines.orders.services import deliver, find_order, lines_of, place_purchase

register_codes({"card_plan_unavailable": (409, "This member card is not on sale."),
                "card_code_not_found": (404, "There is no such activation code."),
                "card_code_used": (409, "This activation code has been used already.")})

CARD_KIND = "member_card"  # the order line's kind
MONTHS = {CardPeriod.MONTH: 1, CardPeriod.QUARTER: 3, CardPeriod.YEAR: 12}
PLAN_FIELDS = ("name", "period", "price", "first_price", "discount_bp", "free_shipping", "points_multiplier_bp",
               "active")
MAX_BATCH = 5_000
_benefits_cache = LRU(4096)
_BATCH_NAME = re.compile(r"[\w .:-]{1,40}")


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check(values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(values.get("name"), str) or not 1 <= len(values["name"].strip()) <= 40:
        errors["name"] = ["A name of 1 to 40 characters."]
    if values.get("period") not in {p.value for p in CardPeriod}:
        errors["period"] = ["month, quarter, year or permanent."]
    if not _whole(values.get("price"), 1, 10**10):
        errors["price"] = ["A price above nothing, in minor units."]
    if not _whole(values.get("first_price"), 1, 10**10):
        errors["first_price"] = ["A price above nothing, in minor units."]
    elif _whole(values.get("price"), 1, 10**10) and values["first_price"] > values["price"]:
        errors["first_price"] = ["The first-purchase price is at most the list price."]
    if not _whole(values.get("discount_bp"), 0, 9000):
        errors["discount_bp"] = ["Basis points from 0 to 9000 (5 % off is 500)."]
    if not _whole(values.get("points_multiplier_bp"), 0, 100_000):
        errors["points_multiplier_bp"] = ["Basis points from 0 to 100000 (×2 is 20000)."]
    for name in ("free_shipping", "active"):
        if not isinstance(values.get(name), bool):
            errors[name] = ["true or false."]
    return errors


def create_plan(**values) -> CardPlan:
    values = {"first_price": values.get("price"), "discount_bp": 0, "free_shipping": False,
              "points_multiplier_bp": 10_000, "active": True, **values}
    if errors := _check(values):
        raise APIError("invalid_input", fields=errors)
    plan = CardPlan(**{name: values[name] for name in PLAN_FIELDS})
    plan.name = plan.name.strip()
    db.session.add(plan)
    db.session.flush()
    bump_after_commit(current_tenant_id(), MEMBERSHIP_STAMP)
    return plan


def update_plan(plan: CardPlan, **changes) -> CardPlan:
    values = {**{name: getattr(plan, name) for name in PLAN_FIELDS}, **changes}
    values["period"] = str(values["period"])
    if errors := _check(values):
        raise APIError("invalid_input", fields=errors)
    for name in PLAN_FIELDS:
        setattr(plan, name, values[name])
    db.session.flush()
    bump_after_commit(current_tenant_id(), MEMBERSHIP_STAMP)
    return plan


def plans_give_benefits() -> bool:
    """Whether any card on sale (or held) gives something at checkout (remembered until a plan
    changes): a shop without such cards pays no query for them."""
    return remembered(_benefits_cache, current_tenant_id(), MEMBERSHIP_STAMP, "card_benefits", lambda: db.session.scalar(
        select(CardPlan.id).where((CardPlan.discount_bp > 0) | CardPlan.free_shipping.is_(True)
                                  | (CardPlan.points_multiplier_bp != 10_000)).limit(1)) is not None)


def find_plan(plan_id: int) -> CardPlan:
    plan = CardPlan.get(plan_id)
    if plan is None:
        raise APIError("not_found", "There is no such member card in this shop.")
    return plan


def plans(*, on_sale_only: bool = False) -> list[CardPlan]:
    statement = select(CardPlan).order_by(CardPlan.price, CardPlan.id)
    return list(db.session.scalars(statement.where(CardPlan.active.is_(True)) if on_sale_only else statement))


def running_card(consumer_id: int, now: dt.datetime | None = None) -> tuple[MemberCard, CardPlan] | None:
    """The member's card while it runs, with its plan; None when they hold none (or it ended)."""
    now = now or utcnow()
    card = db.session.scalars(select(MemberCard).where(MemberCard.consumer_id == consumer_id)).first()
    if card is None or card.starts_at > now or (card.ends_at is not None and card.ends_at <= now):
        return None
    return card, db.session.get(CardPlan, (current_tenant_id(), card.plan_id))


def price_for(plan: CardPlan, consumer_id: int) -> int:
    """The first-purchase price to one who never held a card of the shop, the list price after."""
    held = db.session.scalar(select(MemberCard.id).where(MemberCard.consumer_id == consumer_id))
    return plan.first_price if held is None else plan.price


def buy(plan_id: int, consumer_id: int, now: dt.datetime | None = None):
    """An order of the card awaiting payment (paid as any order: POST /orders/<id>/payments)."""
    plan = find_plan(plan_id)
    if not plan.active:
        raise APIError("card_plan_unavailable")
    return place_purchase(consumer_id=consumer_id, kind=CARD_KIND, ref_id=plan.id, name=f"Member card: {plan.name}",
                          amount=price_for(plan, consumer_id), now=now)


def _added(start: dt.datetime, period: CardPeriod) -> dt.datetime | None:
    if period == CardPeriod.PERMANENT:
        return None
    months = start.month - 1 + MONTHS[period]
    year, month = start.year + months // 12, months % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def grant(consumer_id: int, plan: CardPlan, *, source: str, now: dt.datetime) -> MemberCard:
    """Start the member's card of `plan`, or extend the one they hold by its period (renewal):
    from when the held card ends; a permanent plan makes it permanent."""
    card = db.session.scalars(select(MemberCard).where(MemberCard.consumer_id == consumer_id)
                              .with_for_update()).first()
    if card is None:
        card = MemberCard(consumer_id=consumer_id, plan_id=plan.id, starts_at=now, ends_at=_added(now, plan.period),
                          source=source, created_at=now)
        db.session.add(card)
    else:
        running = card.ends_at is None or card.ends_at > now
        if card.ends_at is None and running:
            pass  # permanent already
        else:
            start = card.ends_at if running else now
            card.ends_at = _added(start, plan.period)
            if not running:
                card.starts_at = now
        card.plan_id, card.source, card.reminded_at = plan.id, source, None
    db.session.flush()
    return card


def on_card_paid(order_id: int, now: dt.datetime | None = None) -> bool:
    """A paid order of a card: the card starts (or is extended) and the order completes."""
    now = now or utcnow()
    lines = [line for line in lines_of([order_id])[order_id] if line.kind == CARD_KIND]
    if not lines:
        return False
    order = find_order(order_id)
    plan = db.session.get(CardPlan, (current_tenant_id(), lines[0].item_id))
    if plan is None:
        return False
    grant(order.consumer_id, plan, source=f"order:{order_id}", now=now)
    deliver(order, actor="system", now=now)
    return True


def on_card_refunded(order_id: int, now: dt.datetime | None = None) -> bool:
    """The card's order was refunded: the card it started ends now."""
    now = now or utcnow()
    ended = db.session.execute(update(MemberCard).where(
        MemberCard.tenant_id == current_tenant_id(), MemberCard.source == f"order:{order_id}")
        .values(ends_at=now).execution_options(synchronize_session=False))
    return ended.rowcount > 0


def make_card_codes(plan: CardPlan, count: int, batch: str) -> list[str]:
    """`count` activation codes of the plan in a batch named `batch`."""
    errors = {}
    if not _whole(count, 1, MAX_BATCH):
        errors["count"] = [f"From 1 to {MAX_BATCH} codes at a time."]
    if not _BATCH_NAME.fullmatch(batch or ""):
        errors["batch"] = ["Name the batch: up to 40 letters, digits, spaces and . : - _"]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return write_unique(count, lambda codes: insert_rows(
        CardCode, [new_row(CardCode, plan_id=plan.id, code=code, batch=batch) for code in codes]))


def activate(text: str, consumer_id: int, now: dt.datetime | None = None) -> MemberCard:
    """A member activates a code: taken once (a conditional UPDATE), the card granted."""
    now = now or utcnow()
    code = normalise(text)
    plan_id = db.session.execute(
        update(CardCode).where(CardCode.tenant_id == current_tenant_id(), CardCode.code == code,
                               CardCode.used_by.is_(None))
        .values(used_by=consumer_id, used_at=now).returning(CardCode.plan_id)
        .execution_options(synchronize_session=False)).scalar()
    if plan_id is None:
        exists = db.session.scalar(select(CardCode.id).where(CardCode.code == code))
        raise APIError("card_code_used" if exists else "card_code_not_found")
    return grant(consumer_id, find_plan(plan_id), source="code", now=now)


def remind_ending(card_id: int, now: dt.datetime) -> bool:
    """member_card.ending.v1 for a card ending within three days, once per term."""
    card = db.session.get(MemberCard, (current_tenant_id(), card_id))
    if card is None or card.reminded_at is not None or card.ends_at is None or card.ends_at <= now:
        return False
    card.reminded_at = now
    plan = db.session.get(CardPlan, (current_tenant_id(), card.plan_id))
    emit("member_card.ending.v1", {"consumer_id": str(card.consumer_id), "plan_id": str(card.plan_id),
                                   "name": plan.name if plan else "", "ends_at": card.ends_at.isoformat()})
    return True

"""Members as people see them: a member's card (tier, growth to the next tier, points available,
frozen and expiring, today's sign-in), the shop's member list with its filters, and the staff's
adjustments of points and growth — each with a reason, audited by the caller."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from core.consumers import Consumer
from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError
from core.paging import newest_first
from core.tenancy import current_tenant_id
from engines.membership.cards import running_card
from engines.membership.ledger import credit, debit, expiring_soon, member_of, member_or_blank
from engines.membership.models import Member, PointsKind
from engines.membership.sign_ins import signed_in_today, streak_of, local_day
from engines.membership.tiers import Tier, add_growth, effective_tier, next_tier, tier_by_id

EXPIRING_WITHIN = dt.timedelta(days=30)
MOST_ADJUSTED = 10_000_000
REASON_MAX = 200


@dataclasses.dataclass(frozen=True)
class Card:
    """What the member card shows."""

    member: Member
    tier: Tier | None
    next_tier: Tier | None
    expiring: int
    expiring_at: dt.datetime | None
    signed_in_today: bool
    streak: int
    card: tuple | None  # (MemberCard, CardPlan) while it runs
    stored_value: bool  # the shop keeps balances

    @property
    def growth_needed(self) -> int | None:
        return None if self.next_tier is None else self.next_tier.threshold - self.member.growth


def card_of(consumer_id: int, now: dt.datetime | None = None, *, blank: bool = False) -> Card:
    """The member card; `blank`: a consumer never seen gets an empty one and nothing is written
    (the consumer API's read), else their member row is made on first sight."""
    now = now or utcnow()
    member = member_or_blank(consumer_id) if blank else member_of(consumer_id)
    expiring, expiring_at = expiring_soon(consumer_id, now, EXPIRING_WITHIN)
    today = signed_in_today(consumer_id, now)
    return Card(member=member, tier=effective_tier(member.tier_id), next_tier=next_tier(member.growth),
                expiring=expiring, expiring_at=expiring_at, signed_in_today=today,
                streak=streak_of(consumer_id, local_day(now)), card=running_card(consumer_id, now),
                stored_value=bool(flow_settings("membership")["stored_value"]) or bool(member.balance or member.bonus))


def set_birthday(consumer_id: int, birthday: dt.date) -> Member:
    """The member's birthday, set once (409 birthday_set afterwards: birthday gifts are yearly)."""
    member = member_of(consumer_id)
    if member.birthday is not None:
        raise APIError("conflict", "Your birthday is set already; ask the shop to change it.")
    if birthday > utcnow().date() or birthday.year < 1900:
        raise APIError("invalid_input", fields={"birthday": ["A date in the past."]})
    member.birthday = birthday
    db.session.flush()
    return member


def find_member(consumer_id: int) -> Member:
    """A consumer of this shop as a member (made if they were not); 404 for anyone else."""
    if db.session.get(Consumer, (current_tenant_id(), consumer_id)) is None:
        raise APIError("not_found", "There is no such customer in this shop.")
    return member_of(consumer_id)


def _checked_adjustment(amount: object, reason: object) -> tuple[int, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0 or abs(amount) > MOST_ADJUSTED:
        errors["amount"] = [f"A whole number, not 0, from -{MOST_ADJUSTED:,} to {MOST_ADJUSTED:,}."]
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > REASON_MAX:
        errors["reason"] = [f"Say why, in 1 to {REASON_MAX} characters."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return amount, text


def adjust_points(consumer_id: int, amount: object, reason: object, *, actor: str) -> Member:
    """Staff add or take points with a reason; taking more than the member has is 409
    points_insufficient (nothing written)."""
    amount, reason = _checked_adjustment(amount, reason)
    find_member(consumer_id)
    if amount > 0:
        credit(consumer_id, amount, PointsKind.ADJUSTMENT, source=("staff", None), note=reason, actor=actor)
    else:
        debit(consumer_id, -amount, PointsKind.ADJUSTMENT, source=("staff", None), note=reason, actor=actor)
    return member_of(consumer_id)


def adjust_growth(consumer_id: int, amount: object, reason: object, *, actor: str) -> Member:
    amount, reason = _checked_adjustment(amount, reason)
    find_member(consumer_id)
    add_growth(consumer_id, amount, "adjustment", source=("staff", None), note=reason, actor=actor)
    return member_of(consumer_id)


def list_members(*, tier_id: int | None = None, before: int | None = None, limit: int = 50) -> tuple[list, int | None]:
    """The shop's members (newest first), of one tier when given."""
    statement = select(Member)
    if tier_id is not None:
        statement = statement.where(Member.tier_id == tier_id)
    return newest_first(statement, Member.id, limit=limit, before=before)


def with_people(members: list[Member]) -> list[dict]:
    """Each member with their consumer and tier, as the staff's lists show them (one query)."""
    people = consumers_of(members)
    return [{"member": member, "consumer": people.get(member.consumer_id), "tier": tier_by_id(member.tier_id)}
            for member in members]


def consumers_of(members: list[Member]) -> dict[int, Consumer]:
    ids = [member.consumer_id for member in members]
    return {consumer.id: consumer for consumer in db.session.scalars(select(Consumer).where(Consumer.id.in_(ids)))} \
        if ids else {}

"""Tiers and growth. Growth is earned (spending, orders, sign-ins, staff) and taken back (refunded
lines) through the growth ledger; a member rises to the highest tier their growth reaches at
once, and goes down only by the shop's rule: never, or when their tier is re-evaluated over the
growth of the last months (`reevaluate`, run by a daily sweep)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import delete, func, select, update

from core.cache import LRU, bump_after_commit, remembered
from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError
from core.events import emit
from core.tenancy import current_tenant_id
from engines.membership import events as _events  # noqa: F401  declares the events emitted here
from engines.membership.ledger import ensure_member, not_below_zero
from engines.membership.models import ExclusiveItem, GrowthEntry, Member, MemberTier, TierChange

MEMBERSHIP_STAMP = "membership"
_tiers_cache = LRU(4096)
NAME_MAX = 40


TIER_FIELDS = ("name", "threshold", "discount_bp", "free_shipping", "points_multiplier_bp", "birthday_points")


class Tier(NamedTuple):
    """A tier as the pricing and the member pages read it (remembered, not a row)."""

    id: int
    name: str
    threshold: int
    discount_bp: int
    free_shipping: bool
    points_multiplier_bp: int
    birthday_points: int


def tiers() -> tuple[Tier, ...]:
    """The shop's tiers, lowest first (remembered until one changes)."""
    return remembered(_tiers_cache, current_tenant_id(), MEMBERSHIP_STAMP, "tiers", _load_tiers)


def _load_tiers() -> tuple[Tier, ...]:
    return tuple(Tier(row.id, *(getattr(row, name) for name in TIER_FIELDS))
                 for row in db.session.scalars(select(MemberTier).order_by(MemberTier.threshold)))


def tier_by_id(tier_id: int | None) -> Tier | None:
    return next((tier for tier in tiers() if tier.id == tier_id), None)


def tier_for(growth: int, among: tuple[Tier, ...] | None = None) -> Tier | None:
    """The highest tier `growth` reaches."""
    return next((tier for tier in reversed(tiers() if among is None else among) if tier.threshold <= growth), None)


def effective_tier(tier_id: int | None) -> Tier | None:
    """A member's tier: theirs, else the tier reached with no growth (a shop's base tier), if any."""
    return tier_by_id(tier_id) or tier_for(0)


def tier_held(consumer_id: int | None) -> Tier | None:
    """The tier that counts for a consumer (see effective_tier); None for a visitor."""
    if not consumer_id:
        return None
    return effective_tier(db.session.scalar(select(Member.tier_id).where(Member.consumer_id == consumer_id)))


def short_of(held: Tier | None, wanted_id: int | None) -> Tier | None:
    """The tier `wanted_id` names when `held` does not reach it; None when it does, or when there
    is no such tier (a deleted tier's privileges are open to everyone)."""
    wanted = tier_by_id(wanted_id)
    if wanted is None or (held is not None and held.threshold >= wanted.threshold):
        return None
    return wanted


def next_tier(growth: int) -> Tier | None:
    return next((tier for tier in tiers() if tier.threshold > growth), None)


def _check(values: dict, tier_id: int | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = str(values.get("name", "")).strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = [f"A name of 1 to {NAME_MAX} characters."]
    threshold = values.get("threshold")
    if not _whole(threshold) or not 0 <= threshold <= 10**12:
        errors["threshold"] = ["The growth that reaches it: a whole number from 0."]
    elif any(tier.threshold == threshold and tier.id != tier_id for tier in _fresh_tiers()):
        errors["threshold"] = ["Another tier starts at this growth."]
    if not _whole(values.get("discount_bp")) or not 0 <= values["discount_bp"] <= 9000:
        errors["discount_bp"] = ["Off every item, in basis points from 0 to 9000 (5 % off is 500)."]
    if not _whole(values.get("points_multiplier_bp")) or not 0 <= values["points_multiplier_bp"] <= 100_000:
        errors["points_multiplier_bp"] = ["In basis points from 0 to 100000 (×1.5 is 15000)."]
    if not _whole(values.get("birthday_points")) or not 0 <= values["birthday_points"] <= 1_000_000:
        errors["birthday_points"] = ["From 0 to 1,000,000."]
    if not isinstance(values.get("free_shipping"), bool):
        errors["free_shipping"] = ["true or false."]
    return errors


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fresh_tiers() -> list[MemberTier]:
    return list(db.session.scalars(select(MemberTier)))


DEFAULTS = {"discount_bp": 0, "free_shipping": False, "points_multiplier_bp": 10_000, "birthday_points": 0}


def create_tier(**values) -> MemberTier:
    """A new tier; 422 invalid_input naming each field wrong (nothing written)."""
    values = {**DEFAULTS, **values}
    if errors := _check(values):
        raise APIError("invalid_input", fields=errors)
    tier = MemberTier(**{name: values[name] for name in TIER_FIELDS})
    tier.name = tier.name.strip()
    db.session.add(tier)
    db.session.flush()
    bump_after_commit(current_tenant_id(), MEMBERSHIP_STAMP)
    return tier


def find_tier(tier_id: int) -> MemberTier:
    tier = MemberTier.get(tier_id)
    if tier is None:
        raise APIError("not_found", "There is no such tier in this shop.")
    return tier


def update_tier(tier: MemberTier, **changes) -> MemberTier:
    """Change a tier (members keep theirs; the next growth or re-evaluation places them anew)."""
    values = {**{name: getattr(tier, name) for name in TIER_FIELDS}, **changes}
    if errors := _check(values, tier.id):
        raise APIError("invalid_input", fields=errors)
    for name in TIER_FIELDS:
        setattr(tier, name, values[name].strip() if name == "name" else values[name])
    db.session.flush()
    bump_after_commit(current_tenant_id(), MEMBERSHIP_STAMP)
    return tier


def delete_tier(tier: MemberTier) -> None:
    """Remove a tier; its members fall to the tier their growth reaches without it, and the items
    exclusive to it are open to everyone."""
    db.session.execute(delete(ExclusiveItem).where(ExclusiveItem.tier_id == tier.id))
    db.session.delete(tier)
    db.session.flush()
    remaining = _load_tiers()
    now = utcnow()
    for member in db.session.scalars(select(Member).where(Member.tier_id == tier.id)):
        _set_tier(member, tier_for(member.growth, remaining), now)
    bump_after_commit(current_tenant_id(), MEMBERSHIP_STAMP)


def add_growth(consumer_id: int, amount: int, kind: str, *, source: tuple[str, int | None] = ("", None),
               note: str = "", actor: str = "", now: dt.datetime | None = None) -> GrowthEntry | None:
    """Growth up (the member rises to the tier it reaches, at once) or down (never below zero;
    the tier stays until the shop's downgrade rule says otherwise)."""
    if amount == 0:
        return None
    now = now or utcnow()
    ensure_member(consumer_id)
    total = db.session.execute(
        update(Member).where(Member.tenant_id == current_tenant_id(), Member.consumer_id == consumer_id)
        .values(growth=not_below_zero(Member.growth + amount))
        .returning(Member.growth).execution_options(synchronize_session=False)).scalar_one()
    entry = GrowthEntry(consumer_id=consumer_id, kind=kind, amount=amount, total_after=total, source_kind=source[0],
                        source_id=source[1], note=note, actor=actor, created_at=now)
    db.session.add(entry)
    db.session.flush()
    if amount > 0:
        member = db.session.scalars(select(Member).where(Member.consumer_id == consumer_id)
                                    .execution_options(populate_existing=True)).one()
        reached = tier_for(standing(consumer_id, total, now))
        current = tier_by_id(member.tier_id)
        if reached is not None and (current is None or reached.threshold > current.threshold):
            _set_tier(member, reached, now)
    db.session.flush()
    return entry


def _set_tier(member: Member, tier: Tier | None, now: dt.datetime) -> None:
    """Move the member to `tier` (None: no tier), keep it in their timeline and say so
    (member.tier_changed.v1)."""
    if member.tier_id == (tier.id if tier else None):
        return
    before = member.tier_id
    member.tier_id, member.tier_since, member.evaluated_at = (tier.id if tier else None), now, now
    was = tier_by_id(before)
    db.session.add(TierChange(consumer_id=member.consumer_id, from_tier=was.name if was else "",
                              to_tier=tier.name if tier else "", at=now))
    emit("member.tier_changed.v1", {"consumer_id": str(member.consumer_id),
                                    "from_tier_id": None if before is None else str(before),
                                    "to_tier_id": None if tier is None else str(tier.id),
                                    "to_tier": tier.name if tier else ""})


def standing(consumer_id: int, total: int, now: dt.datetime) -> int:
    """The growth a tier is judged on: all of it, or — where tiers go down — the last months'."""
    settings = flow_settings("membership")
    if settings["downgrade"] != "period":
        return total
    return growth_since(consumer_id, months_before(now, settings["downgrade_months"]))


def growth_since(consumer_id: int, since: dt.datetime) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(GrowthEntry.amount), 0)).where(
        GrowthEntry.consumer_id == consumer_id, GrowthEntry.created_at >= since)))


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    day = min(moment.day, 28)
    return moment.replace(year=moment.year + year, month=month + 1, day=day)


def reevaluate(member: Member, now: dt.datetime) -> None:
    """The shop re-evaluates tiers: the member's tier becomes the one their growth of the last
    months reaches (up or down), judged again a period later."""
    months = flow_settings("membership")["downgrade_months"]
    _set_tier(member, tier_for(growth_since(member.consumer_id, months_before(now, months))), now)
    member.evaluated_at = now

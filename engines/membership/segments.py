"""Segments: the member list's filters, saved under a name — tiers, growth, points and spend at
least, ordered within the last N days or not for N days, any of some tags — and what they are for:
listing their members, and sending a coupon to everyone in them (marketing's send, in batches of
what it takes at a time). Members' tags are the merchant's words, kept on the member."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from core.db import db, utcnow
from core.errors import APIError
from core.paging import newest_first
from engines.marketing.services import MAX_SEND, find_coupon, send_coupon
from engines.membership.members import find_member
from engines.membership.models import Member, MemberSegment, MemberTier
from engines.membership.tiers import tier_for

NUMBERS = ("growth_at_least", "points_at_least", "spent_at_least", "ordered_within_days", "not_ordered_for_days")
MAX_TAGS, TAG_MAX = 10, 20


def _whole(value: object, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= high


def clean_tags(tags: object) -> list[str]:
    """Tags as kept: trimmed, without commas, each once, at most MAX_TAGS of TAG_MAX characters;
    422 otherwise."""
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(isinstance(tag, str) for tag in tags):
        raise APIError("invalid_input", fields={"tags": [f"Up to {MAX_TAGS} tags."]})
    cleaned = []
    for tag in (tag.strip() for tag in tags):
        if not tag or "," in tag or len(tag) > TAG_MAX:
            raise APIError("invalid_input", fields={"tags": [f"Each tag 1 to {TAG_MAX} characters, without commas."]})
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def set_tags(consumer_id: int, tags: object) -> Member:
    cleaned = clean_tags(tags)
    member = find_member(consumer_id)
    member.tags = ",".join(cleaned)
    db.session.flush()
    return member


def check_filters(filters: object) -> dict:
    """The filters as kept; 422 naming each one wrong."""
    if not isinstance(filters, dict):
        raise APIError("invalid_input", fields={"filters": ["An object of filters."]})
    errors: dict[str, list[str]] = {}
    unknown = set(filters) - {*NUMBERS, "tier_ids", "tags"}
    if unknown:
        errors["filters"] = [f"Unknown filters: {', '.join(sorted(unknown))}."]
    for name in NUMBERS:
        if filters.get(name) is not None and not _whole(filters[name], 10**12):
            errors[name] = ["A whole number from 0."]
    tier_ids = filters.get("tier_ids") or []
    if not isinstance(tier_ids, list) or not all(isinstance(t, str) and t.isdigit() and len(t) < 20 for t in tier_ids):
        errors["tier_ids"] = ["A list of tier ids."]
    elif tier_ids and len(set(db.session.scalars(select(MemberTier.id).where(
            MemberTier.id.in_([int(t) for t in tier_ids]))))) != len(set(tier_ids)):
        errors["tier_ids"] = ["There is no such tier in this shop."]
    try:
        tags = clean_tags(filters.get("tags") or [])
    except APIError as refused:
        errors.update(refused.fields or {})
        tags = []
    if errors:
        raise APIError("invalid_input", fields=errors)
    kept = {name: filters[name] for name in NUMBERS if filters.get(name) is not None}
    if tier_ids:
        kept["tier_ids"] = sorted(set(tier_ids))
    if tags:
        kept["tags"] = tags
    return kept


def members_query(filters: dict, now: dt.datetime | None = None):
    """The select of the members the filters keep."""
    now = now or utcnow()
    statement = select(Member)
    if filters.get("tier_ids"):
        wanted = [int(t) for t in filters["tier_ids"]]
        base = tier_for(0)
        statement = statement.where(or_(Member.tier_id.in_(wanted), Member.tier_id.is_(None))
                                    if base is not None and base.id in wanted else Member.tier_id.in_(wanted))
    for name, column in (("growth_at_least", Member.growth), ("points_at_least", Member.points),
                         ("spent_at_least", Member.spent)):
        if filters.get(name) is not None:
            statement = statement.where(column >= filters[name])
    if filters.get("ordered_within_days") is not None:
        statement = statement.where(Member.last_order_at >= now - dt.timedelta(days=filters["ordered_within_days"]))
    if filters.get("not_ordered_for_days") is not None:
        statement = statement.where(or_(Member.last_order_at.is_(None), Member.last_order_at <
                                        now - dt.timedelta(days=filters["not_ordered_for_days"])))
    if filters.get("tags"):
        padded = "," + Member.tags + ","
        statement = statement.where(or_(*(padded.contains(f",{tag},") for tag in filters["tags"])))
    return statement


def segment_members(filters: dict, *, before: int | None = None, limit: int = 50) -> tuple[list, int | None]:
    return newest_first(members_query(filters), Member.id, limit=limit, before=before)


def create_segment(name: object, filters: object) -> MemberSegment:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
        raise APIError("invalid_input", fields={"name": ["A name of 1 to 60 characters."]})
    segment = MemberSegment(name=name.strip(), filters=check_filters(filters))
    db.session.add(segment)
    db.session.flush()
    return segment


def find_segment(segment_id: int) -> MemberSegment:
    found = MemberSegment.get(segment_id)
    if found is None:
        raise APIError("not_found", "There is no such segment in this shop.")
    return found


def list_segments() -> list[MemberSegment]:
    return list(db.session.scalars(select(MemberSegment).order_by(MemberSegment.name)))


def delete_segment(segment: MemberSegment) -> None:
    db.session.delete(segment)
    db.session.flush()


def send_coupon_to_segment(segment: MemberSegment, coupon_id: int, *, after: int | None = None
                           ) -> tuple[list[int], list[tuple[int, str]], int | None]:
    """A copy of the coupon to the segment's members, a batch of what marketing sends at a time
    (after the member `after`, the cursor the batch before answered): (got one, refused with
    why, the cursor of the next batch or None)."""
    coupon = find_coupon(coupon_id)
    statement = members_query(segment.filters).with_only_columns(Member.id, Member.consumer_id)
    if after is not None:
        statement = statement.where(Member.id > after)
    rows = db.session.execute(statement.order_by(Member.id).limit(MAX_SEND + 1)).all()
    batch = rows[:MAX_SEND]
    issued, refused = send_coupon(coupon, [consumer_id for _, consumer_id in batch])
    return issued, refused, batch[-1][0] if len(rows) > MAX_SEND else None

"""Coupons: creating them, claiming a copy (limits exact under concurrency), the consumer's
wallet, and what a coupon takes off an order. The only write path of the engine.

Other engines use `engines.marketing.services` only."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import bindparam, case, func, select, update

from core.consumers import Consumer
from core.db import db, utcnow
from core.errors import APIError, register_codes
from core.identities import normalize_email
from core.ids import parse_id
from core.money import Money
from core.paging import newest_first
from core.prepared import Later
from core.tenancy import current_tenant, current_tenant_id, execute_later, of_tenant
from engines.catalog.services import categories_of_items, category_tree
from engines.marketing.models import (Coupon, CouponKind, CouponScope, CouponStatus, ConsumerCoupon, HeldStatus)

register_codes({
    "coupon_not_found": (404, "There is no such coupon."),
    "coupon_sold_out": (409, "Every copy of this coupon has been claimed."),
    "coupon_gone_for_today": (409, "Today's copies of this coupon have all been claimed: come back tomorrow."),
    "coupon_not_for_points": (409, "This coupon cannot be bought with points."),
    "coupon_limit_reached": (409, "You hold as many of this coupon as one person may."),
    "coupon_not_claimable": (409, "This coupon cannot be claimed now."),
    "coupon_not_applicable": (409, "This coupon cannot be used on this order."),
    "coupon_taken": (409, "This coupon is already on another order."),
})

MAX_AMOUNT = 10**10
FUNDERS = ("merchant", "platform")
# What a shop's staff may name as paying for a discount: the shop. A discount the platform pays for
# moves its cost onto the platform's books at settlement, so only the platform may make one (its
# console, to come); the back office and the shop's Admin API offer no choice.
SHOP_FUNDED = ("merchant",)
SHOP_FUNDED_ONLY = "A shop's discounts are paid for by the shop; only the platform makes ones it pays for."


@dataclass(frozen=True)
class CouponRules:
    """What `create_coupon` is given (validated there)."""

    name: str
    kind: str
    amount: int = 0
    percent_bp: int = 0
    cap: int | None = None
    minimum: int = 0
    scope: str = "all"
    scope_ids: tuple[int, ...] = ()
    excluded_item_ids: tuple[int, ...] = ()
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    valid_days: int | None = None
    public: bool = True
    new_member_gift: bool = False
    total_limit: int | None = None
    per_consumer_limit: int = 1
    per_day_limit: int | None = None
    points_price: int | None = None  # what a copy costs in points, for the membership engine's points mall
    funded_by: str = "merchant"
    on_special_prices: bool = True  # also takes off lines at a special price (a timed discount, a bundle)
    combines_with_promotions: bool = True  # usable on an order an order promotion applies to


def _check(rules: CouponRules) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not rules.name.strip() or len(rules.name) > 60:
        bad("name", "Give the coupon a name of up to 60 characters.")
    if rules.kind not in {k.value for k in CouponKind}:
        bad("kind", "Choose amount, percent, threshold or free_shipping.")
    if rules.kind in ("amount", "threshold") and not 0 < rules.amount <= MAX_AMOUNT:
        bad("amount", "Give the amount it takes off, more than nothing.")
    if rules.kind == "threshold" and rules.minimum <= rules.amount:
        bad("minimum", "A threshold coupon needs a spend above the amount it takes off.")
    if rules.kind == "percent":
        if not 0 < rules.percent_bp < 10_000:
            bad("percent_bp", "Give the percentage off in basis points, from 1 to 9999 (8.5 % is 850).")
        if rules.cap is not None and not 0 < rules.cap <= MAX_AMOUNT:
            bad("cap", "The cap must be more than nothing.")
    if not 0 <= rules.minimum <= MAX_AMOUNT:
        bad("minimum", "The minimum spend cannot be negative.")
    if rules.scope not in {s.value for s in CouponScope}:
        bad("scope", "Choose all, items or categories.")
    elif rules.scope != "all" and not rules.scope_ids:
        bad("scope_ids", "Choose the items or categories it applies to.")
    if rules.valid_days is None and rules.ends_at is None:
        bad("ends_at", "Give the last day it can be used, or a number of days after it is claimed.")
    if rules.valid_days is not None and not 1 <= rules.valid_days <= 3650:
        bad("valid_days", "From 1 to 3650 days.")
    if rules.starts_at and rules.ends_at and rules.starts_at >= rules.ends_at:
        bad("ends_at", "It must end after it starts.")
    if rules.total_limit is not None and not 1 <= rules.total_limit <= 10**8:
        bad("total_limit", "From 1 to 100,000,000 copies, or no limit.")
    if rules.points_price is not None and not 1 <= rules.points_price <= 10**8:
        bad("points_price", "From 1 to 100,000,000 points, or not for points.")
    if rules.per_day_limit is not None and not 1 <= rules.per_day_limit <= 10**8:
        bad("per_day_limit", "From 1 to 100,000,000 copies a day, or no limit.")
    if not 1 <= rules.per_consumer_limit <= 100:
        bad("per_consumer_limit", "From 1 to 100 per consumer.")
    if rules.funded_by not in FUNDERS:
        bad("funded_by", "The merchant or the platform.")
    return errors


def create_coupon(rules: CouponRules) -> Coupon:
    errors = _check(rules)
    if errors:
        raise APIError("invalid_input", fields=errors)
    coupon = Coupon(name=rules.name.strip(), kind=CouponKind(rules.kind), amount=rules.amount,
                    percent_bp=rules.percent_bp, cap=rules.cap, minimum=rules.minimum, scope=CouponScope(rules.scope),
                    scope_ids=[str(i) for i in rules.scope_ids], excluded_item_ids=[str(i) for i in rules.excluded_item_ids],
                    starts_at=rules.starts_at, ends_at=rules.ends_at, valid_days=rules.valid_days, public=rules.public,
                    new_member_gift=rules.new_member_gift,
                    total_limit=rules.total_limit, per_consumer_limit=rules.per_consumer_limit,
                    per_day_limit=rules.per_day_limit, points_price=rules.points_price, funded_by=rules.funded_by,
                    on_special_prices=rules.on_special_prices, combines_with_promotions=rules.combines_with_promotions)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def set_coupon_status(coupon: Coupon, status: str) -> Coupon:
    coupon.status = CouponStatus(status)
    db.session.flush()
    return coupon


def find_coupon(coupon_id: int) -> Coupon:
    coupon = db.session.get(Coupon, (current_tenant_id(), coupon_id))
    if coupon is None:
        raise APIError("coupon_not_found")
    return coupon


def _local_day(moment: dt.datetime) -> str:
    """The shop's day of `moment`, as the per-day limit counts it: 20261130."""
    return moment.astimezone(zoneinfo.ZoneInfo(current_tenant().timezone)).strftime("%Y%m%d")


def _issuable(today: str):
    """The coupons with a copy left to issue: in all, and today."""
    return ((Coupon.total_limit.is_(None)) | (Coupon.issued_count < Coupon.total_limit)) & (
        Coupon.per_day_limit.is_(None) | Coupon.issued_day.is_(None) | (Coupon.issued_day != today)
        | (Coupon.issued_that_day < Coupon.per_day_limit))


def claimable(now: dt.datetime | None = None) -> list[Coupon]:
    """The claim centre: public coupons that are on, not over and not all claimed (today)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Coupon).where(Coupon.public.is_(True), Coupon.status == CouponStatus.ACTIVE,
                             (Coupon.ends_at.is_(None)) | (Coupon.ends_at > now), _issuable(_local_day(now)))
        .order_by(Coupon.id.desc()).limit(50)))


def _end_of_local_day(moment: dt.datetime, days_later: int) -> dt.datetime:
    """The end of the shop's day `days_later` days after `moment`'s (its midnight, in UTC)."""
    zone = zoneinfo.ZoneInfo(current_tenant().timezone)
    local = moment.astimezone(zone).date() + dt.timedelta(days=days_later + 1)
    return dt.datetime.combine(local, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def issue(coupon: Coupon, consumer_id: int, *, source: str, now: dt.datetime | None = None) -> ConsumerCoupon:
    """Give a consumer a copy. The count is taken by one conditional UPDATE, which also holds the
    coupon's row until the transaction ends, so the per-consumer count read next is exact: N
    concurrent claims of a coupon limited to K (in all, or a day: the shop's day) give exactly
    min(N, K) copies. A refusal raises (the caller's rollback undoes the count)."""
    now = now or utcnow()
    if coupon.status != CouponStatus.ACTIVE or (coupon.ends_at and coupon.ends_at <= now):
        raise APIError("coupon_not_claimable")
    refusal, today = None, _local_day(now)
    with db.session.begin_nested() as counted:  # a refusal leaves the count as it was
        taken = db.session.execute(
            update(Coupon).where(Coupon.tenant_id == coupon.tenant_id, Coupon.id == coupon.id,
                                 Coupon.status == CouponStatus.ACTIVE, _issuable(today))
            .values(issued_count=Coupon.issued_count + 1, issued_day=today,
                    issued_that_day=case((Coupon.issued_day == today, Coupon.issued_that_day + 1), else_=1))
            .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            refusal = ("coupon_sold_out" if coupon.total_limit is not None and db.session.scalar(
                select(Coupon.issued_count).where(Coupon.tenant_id == coupon.tenant_id, Coupon.id == coupon.id))
                >= coupon.total_limit else "coupon_gone_for_today")
        elif db.session.scalar(select(func.count()).select_from(ConsumerCoupon).where(
                ConsumerCoupon.coupon_id == coupon.id,
                ConsumerCoupon.consumer_id == consumer_id)) >= coupon.per_consumer_limit:
            refusal = "coupon_limit_reached"
        if refusal:
            counted.rollback()
    if refusal:
        raise APIError(refusal)
    if coupon.valid_days is not None:  # counted from the claim, to the end of the shop's day
        valid_from, valid_until = now, _end_of_local_day(now, coupon.valid_days)
    else:
        valid_from, valid_until = max(coupon.starts_at or now, now), coupon.ends_at
    copy = ConsumerCoupon(coupon_id=coupon.id, consumer_id=consumer_id, source=source, claimed_at=now,
                          valid_from=valid_from, valid_until=valid_until)
    db.session.add(copy)
    db.session.flush()
    return copy


def claim(coupon_id: int, consumer_id: int, now: dt.datetime | None = None) -> ConsumerCoupon:
    """A consumer takes a copy of a public coupon (the claim centre)."""
    coupon = find_coupon(coupon_id)
    if not coupon.public:
        raise APIError("coupon_not_found")
    return issue(coupon, consumer_id, source="claim", now=now)


# -- bought with points: the membership engine's hook ------------------------------------------------

# How a consumer pays points, registered by the membership engine: spend(consumer_id, points,
# reason) takes them in the caller's transaction or raises APIError (409) when they have too few.
_POINTS: list[Callable[[int, int, str], None]] = []


def points_wallet(spend: Callable[[int, int, str], None]) -> Callable[[int, int, str], None]:
    """Register how points are spent (one engine keeps points: the last registered serves)."""
    _POINTS[:] = [spend]
    return spend


def buy_with_points(coupon_id: int, consumer_id: int, now: dt.datetime | None = None) -> ConsumerCoupon:
    """A consumer buys a copy of a coupon priced in points: the copy is issued under the same
    limits as a claim and the points spent in the same transaction, so a refusal of either leaves
    neither. 409 coupon_not_for_points when the coupon has no points price or nothing keeps points
    (no membership engine yet)."""
    coupon = find_coupon(coupon_id)
    if not coupon.points_price or not _POINTS:
        raise APIError("coupon_not_for_points")
    copy = issue(coupon, consumer_id, source="points", now=now)
    _POINTS[0](consumer_id, coupon.points_price, f"coupon:{coupon.id}")
    return copy


def wallet(consumer_id: int, status: str, now: dt.datetime | None = None) -> list[tuple[ConsumerCoupon, Coupon]]:
    """A consumer's copies: `available` (usable now or later), `used` (or on an unpaid order),
    `expired` (never used, past their time)."""
    now = now or utcnow()
    statement = select(ConsumerCoupon, Coupon).join(Coupon, Coupon.id == ConsumerCoupon.coupon_id).where(
        ConsumerCoupon.consumer_id == consumer_id)
    if status == "available":
        statement = statement.where(ConsumerCoupon.status == HeldStatus.AVAILABLE, ConsumerCoupon.valid_until > now)
    elif status == "used":
        statement = statement.where(ConsumerCoupon.status.in_([HeldStatus.USED, HeldStatus.HELD]))
    elif status == "expired":
        statement = statement.where(ConsumerCoupon.status == HeldStatus.AVAILABLE, ConsumerCoupon.valid_until <= now)
    else:
        raise APIError("invalid_input", fields={"status": ["Use available, used or expired."]})
    return [tuple(row) for row in db.session.execute(statement.order_by(ConsumerCoupon.valid_until).limit(200))]


# -- what a coupon takes off -------------------------------------------------------------------

def coupons_of(consumer_id: int, *, limit: int = 30) -> list[tuple[ConsumerCoupon, Coupon]]:
    """The consumer's coupon copies, the newest claimed first, with their coupons (a member's
    timeline in the back office)."""
    return [tuple(row) for row in db.session.execute(
        select(ConsumerCoupon, Coupon).join(Coupon, (Coupon.tenant_id == ConsumerCoupon.tenant_id)
                                            & (Coupon.id == ConsumerCoupon.coupon_id))
        .where(ConsumerCoupon.consumer_id == consumer_id).order_by(ConsumerCoupon.id.desc()).limit(limit))]


def eligible_indexes(coupon: Coupon, lines: list, categories: dict[int, set[int]]) -> list[int]:
    """The lines (indexes) a coupon applies to: by scope, less the excluded items."""
    excluded = {int(i) for i in coupon.excluded_item_ids}
    wanted = {int(i) for i in coupon.scope_ids}
    chosen = []
    for index, line in enumerate(lines):
        if line.item_id in excluded or line.payable <= 0:
            continue
        if coupon.scope == CouponScope.ITEMS and line.item_id not in wanted:
            continue
        if coupon.scope == CouponScope.CATEGORIES and not categories.get(line.item_id, set()) & wanted:
            continue
        chosen.append(index)
    return chosen


SPECIAL_PRICE_STEPS = ("item_promotions", "bundles")  # the item class: lines they price are at a special price


def special_indexes(quote) -> frozenset[int]:
    """The lines (indexes) at a special price: a timed discount or a bundle took something off."""
    return frozenset(i for a in quote.adjustments if a.step in SPECIAL_PRICE_STEPS for i in a.allocations)


def covered(coupon: Coupon, quote, categories: dict[int, set[int]]) -> list[int]:
    """The lines (indexes) a coupon takes off on a quote: `eligible_indexes`, less the lines at a
    special price unless the coupon says it applies to them."""
    indexes = eligible_indexes(coupon, quote.lines, categories)
    if coupon.on_special_prices:
        return indexes
    special = special_indexes(quote)
    return [i for i in indexes if i not in special]


def not_combining(coupon: Coupon, quote) -> str | None:
    """Why a coupon cannot join the order promotions on a quote (it says it does not combine with
    them, or one of them says it does not combine with coupons), or None."""
    applied = [entry for entry in quote.steps if entry["step"] == "order_promotions"]
    if applied and not coupon.combines_with_promotions:
        return "This coupon does not combine with the promotions on this order."
    if any(not entry.get("combines_with_coupons", True) for entry in applied):
        return "A promotion on this order does not combine with coupons."
    return None


def discount_of(coupon: Coupon, eligible_total: int, shipping_fee: int) -> int:
    """What the coupon takes off lines worth `eligible_total` (or the delivery fee): never more
    than they cost; nothing below the coupon's minimum spend."""
    if eligible_total <= 0 or eligible_total < coupon.minimum:
        return 0
    if coupon.kind in (CouponKind.AMOUNT, CouponKind.THRESHOLD):
        return min(coupon.amount, eligible_total)
    if coupon.kind == CouponKind.PERCENT:
        off = eligible_total * coupon.percent_bp // 10_000
        return min(off, coupon.cap) if coupon.cap is not None else off
    return shipping_fee  # free shipping


_copies, _coupons = ConsumerCoupon.__table__, Coupon.__table__
COUPON_FACTS = ("id", "name", "kind", "amount", "percent_bp", "cap", "minimum", "scope", "scope_ids",
                "excluded_item_ids", "funded_by", "on_special_prices", "combines_with_promotions")
_USABLE = (select(_copies.c.id.label("copy_id"), *(_coupons.c[name] for name in COUPON_FACTS))
           .join_from(_copies, _coupons, (_coupons.c.tenant_id == _copies.c.tenant_id)
                      & (_coupons.c.id == _copies.c.coupon_id))
           .where(of_tenant(_copies), _copies.c.id == bindparam("copy_id"),
                  _copies.c.consumer_id == bindparam("consumer_id"), _copies.c.status == HeldStatus.AVAILABLE,
                  _copies.c.valid_from <= bindparam("now"), _copies.c.valid_until > bindparam("now")))


def usable_copy(consumer_id: int, copy_id: int, now: dt.datetime) -> Later:
    """The consumer's copy if they may use it now, as a row with `copy_id` and the coupon's facts
    the price steps read (COUPON_FACTS: it answers as a Coupon does to them), or None, in the
    `rows()` of what it returns. One prepared query on checkout's path, sent with the quote's
    first statement (`execute_later`)."""
    return execute_later(_USABLE, {"copy_id": copy_id, "consumer_id": consumer_id, "now": now})


def categories_for(lines: list) -> dict[int, set[int]]:
    return categories_of_items(sorted({line.item_id for line in lines}))


def label_of(coupon: Coupon, currency: str) -> str:
    if coupon.kind == CouponKind.PERCENT:
        return f"{coupon.name} ({coupon.percent_bp / 100:g}% off)"
    if coupon.kind == CouponKind.FREE_SHIPPING:
        return f"{coupon.name} (free delivery)"
    return f"{coupon.name} ({Money(coupon.amount, currency).format()} off)"


@dataclass(frozen=True)
class CouponOffer:
    """One of the consumer's coupons as checkout offers it for an order: what it would take off,
    or why it cannot be used."""

    copy: ConsumerCoupon
    coupon: Coupon
    discount: int
    reason: str | None


def offers_for(priced, consumer_id: int, now: dt.datetime | None = None) -> list[CouponOffer]:
    """The consumer's usable coupons against an order priced without one (`priced`, a quote):
    each with what it would take off; the best first."""
    now = now or utcnow()
    copies = [row for row in wallet(consumer_id, "available", now) if row[0].valid_from <= now]
    if not copies:
        return []
    categories = categories_for(priced.lines)
    offers = []
    for copy, coupon in copies:
        refusal = not_combining(coupon, priced)
        if refusal:
            offers.append(CouponOffer(copy, coupon, 0, refusal))
            continue
        eligible_total = sum(priced.lines[i].payable for i in covered(coupon, priced, categories))
        amount = discount_of(coupon, eligible_total, priced.shipping_fee)
        reason = None
        if amount <= 0:
            reason = ("There is no delivery fee to waive." if coupon.kind == CouponKind.FREE_SHIPPING
                      and eligible_total >= coupon.minimum and eligible_total > 0
                      else "None of these items can be bought with it." if eligible_total <= 0
                      else f"Spend {Money(coupon.minimum - eligible_total, priced.currency).format()} more to use it.")
        offers.append(CouponOffer(copy, coupon, amount, reason))
    return sorted(offers, key=lambda offer: (-offer.discount, offer.copy.valid_until))


def copy_ids_of(values) -> list[int]:
    """The consumer coupon ids a checkout names ("coupon_ids"); 422 on one that is not an id."""
    ids = []
    for value in values:
        parsed = parse_id(str(value))
        if parsed is None:
            raise APIError("invalid_input", fields={"coupon_ids": ["Not a coupon id."]})
        ids.append(parsed)
    if len(ids) > 1:
        raise APIError("invalid_input", fields={"coupon_ids": ["One coupon per order."]})
    return ids


# -- the back office and the Admin API ---------------------------------------------------------

EDITABLE = ("name", "status", "total_limit", "per_consumer_limit", "ends_at", "public")
MAX_SEND = 500  # consumers one send may name


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def update_coupon(coupon: Coupon, **changes) -> Coupon:
    """Change what may change once copies are out: `name`, `status` (active and paused either
    way, either to ended; an ended coupon stays ended), `total_limit` (None: no limit; never
    below the copies issued — a conditional UPDATE, so a claim racing the change cannot slip
    past it), `per_consumer_limit`, `ends_at` (claims stop then; copies already held keep their
    validity) and `public`. Refuses (422 naming each field) anything else and anything wrong,
    and then changes nothing."""
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in sorted(changes.keys() - set(EDITABLE)):
        bad(field, "This cannot be changed once a coupon is made.")
    if "name" in changes and (not isinstance(changes["name"], str) or not changes["name"].strip()
                              or len(changes["name"].strip()) > 60):
        bad("name", "Give the coupon a name of up to 60 characters.")
    if "status" in changes:
        if changes["status"] not in {s.value for s in CouponStatus}:
            bad("status", "Choose active, paused or ended.")
        elif coupon.status == CouponStatus.ENDED and changes["status"] != CouponStatus.ENDED.value:
            bad("status", "An ended coupon stays ended: make a new one.")
    limit = changes.get("total_limit")
    if "total_limit" in changes and limit is not None and not (_whole(limit) and 1 <= limit <= 10**8):
        bad("total_limit", "From 1 to 100,000,000 copies, or no limit.")
    if "per_consumer_limit" in changes and not (_whole(changes["per_consumer_limit"])
                                                and 1 <= changes["per_consumer_limit"] <= 100):
        bad("per_consumer_limit", "From 1 to 100 per consumer.")
    if "ends_at" in changes:
        ends_at = changes["ends_at"]
        if ends_at is None:
            if coupon.valid_days is None:
                bad("ends_at", "Give the last day it can be used, or a number of days after it is claimed.")
        elif not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
            bad("ends_at", "A time with its offset from UTC.")
        elif coupon.starts_at and ends_at <= coupon.starts_at:
            bad("ends_at", "It must end after it starts.")
    if "public" in changes and not isinstance(changes["public"], bool):
        bad("public", "True or false.")
    if not errors and "total_limit" in changes and limit is not None:
        taken = db.session.execute(
            update(Coupon).where(Coupon.tenant_id == coupon.tenant_id, Coupon.id == coupon.id,
                                 Coupon.issued_count <= limit)
            .values(total_limit=limit).execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            issued = db.session.scalar(select(Coupon.issued_count).where(Coupon.id == coupon.id))
            bad("total_limit", f"{issued} copies are out already: the limit cannot be lower.")
    if errors:
        raise APIError("invalid_input", fields=errors)
    for field in EDITABLE:
        if field in changes:
            value = changes[field]
            if field == "name":
                value = value.strip()
            elif field == "status":
                value = CouponStatus(value)
            elif field == "ends_at" and value is not None:
                value = value.astimezone(dt.UTC)
            setattr(coupon, field, value)
    db.session.flush()
    return coupon


def newest_by_status(model, *, status: str | None = None, before: int | None = None, limit: int = 50):
    """A marketing tool's rows (coupons, promotions), newest first, a page at a time
    (core.paging); `status` narrows them."""
    statement = select(model)
    if status is not None:
        statement = statement.where(model.status == CouponStatus(status))
    return newest_first(statement, model.id, limit=limit, before=before)


def list_coupons(*, status: str | None = None, before: int | None = None,
                 limit: int = 50) -> tuple[list[Coupon], int | None]:
    return newest_by_status(Coupon, status=status, before=before, limit=limit)


def scope_errors(scope: str, scope_ids, excluded_item_ids) -> dict[str, list[str]]:
    """Field errors for the items or categories a coupon would name that are not the shop's."""
    errors: dict[str, list[str]] = {}
    wanted_items = [int(i) for i in excluded_item_ids]
    if scope == CouponScope.ITEMS.value:
        wanted_items += [int(i) for i in scope_ids]
    known_items = set(categories_of_items(sorted(set(wanted_items))))
    if scope == CouponScope.ITEMS.value and not {int(i) for i in scope_ids} <= known_items:
        errors["scope_ids"] = ["There is no such item."]
    if scope == CouponScope.CATEGORIES.value:
        known = {int(c["id"]) for top in category_tree() for c in (top, *top["children"])}
        if not {int(i) for i in scope_ids} <= known:
            errors["scope_ids"] = ["There is no such category."]
    if not {int(i) for i in excluded_item_ids} <= known_items:
        errors["excluded_item_ids"] = ["There is no such item."]
    return errors


def consumers_by_login(logins: list[str]) -> dict[str, int]:
    """The shop's consumers named by phone number or email, as {what was typed: consumer id};
    what names no consumer is left out."""
    by_email, by_phone = {}, {}
    for login in logins:
        if "@" in login:
            try:
                by_email[normalize_email(login)] = login
            except APIError:
                continue
        else:
            by_phone[re.sub(r"[\s()-]", "", login)] = login
    found: dict[str, int] = {}
    if by_email:
        for consumer_id, email in db.session.execute(select(Consumer.id, Consumer.email)
                                                     .where(Consumer.email.in_(list(by_email)))):
            found[by_email[email]] = consumer_id
    if by_phone:
        for consumer_id, phone in db.session.execute(select(Consumer.id, Consumer.phone)
                                                     .where(Consumer.phone.in_(list(by_phone)))):
            found[by_phone[phone]] = consumer_id
    return found


def send_coupon(coupon: Coupon, consumer_ids: list[int], *,
                now: dt.datetime | None = None) -> tuple[list[int], list[tuple[int, str]]]:
    """Give each consumer named a copy (`issue`, source "sent"; a private coupon too): the
    consumers who got one, and those refused with the code why — `not_found` (not a consumer of
    the shop), `coupon_sold_out`, `coupon_limit_reached`. Refuses the whole send (409
    coupon_not_claimable, nothing sent) when the coupon is paused, ended or over, and more than
    MAX_SEND consumers (422)."""
    now = now or utcnow()
    if len(consumer_ids) > MAX_SEND:
        raise APIError("invalid_input", fields={"consumer_ids": [f"Up to {MAX_SEND} consumers at a time."]})
    if coupon.status != CouponStatus.ACTIVE or (coupon.ends_at and coupon.ends_at <= now):
        raise APIError("coupon_not_claimable", "Only an active coupon that is not over can be sent.")
    known = set(db.session.scalars(select(Consumer.id).where(Consumer.id.in_(set(consumer_ids))))) \
        if consumer_ids else set()
    issued: list[int] = []
    refused: list[tuple[int, str]] = []
    for consumer_id in consumer_ids:
        if consumer_id not in known:
            refused.append((consumer_id, "not_found"))
            continue
        try:
            issue(coupon, consumer_id, source="sent", now=now)
        except APIError as error:
            refused.append((consumer_id, error.code))
        else:
            issued.append(consumer_id)
    db.session.refresh(coupon)  # issue counts by UPDATE: the row's counts, not the session's
    return issued, refused

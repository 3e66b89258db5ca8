"""The points ledger: every movement of a member's available points is an entry with its reason,
its source, a signed amount and the balance after it. A credit is a batch that expires by the
shop's rule; debits take from the batches that expire first. Each movement first moves the
member's row with a conditional UPDATE (points never below zero), which also makes two movements
of one member's points wait for each other — so the balance, the sum of the entries and the sum
of the batches' unspent points always agree, also under concurrent spending."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.ids import new_id
from core.tenancy import current_tenant, current_tenant_id
from engines.membership.models import Member, PointsEntry, PointsKind

register_codes({
    "points_insufficient": (409, "You do not have that many points available."),
    "points_not_accepted": (409, "This shop does not take points at checkout."),
})


def ensure_member(consumer_id: int) -> None:
    """The consumer's member row exists (made once: two requests at once make one)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Member.__table__)
    db.session.execute(insert.values(tenant_id=current_tenant_id(), id=new_id(), consumer_id=consumer_id,
                                     growth=0, points=0, points_frozen=0, spent=0, balance=0, bonus=0, tags="",
                                     created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["tenant_id", "consumer_id"]))


def not_below_zero(expression):
    """max(expression, 0) in SQL, as the dialect spells it."""
    return (func.max if db.session.get_bind().dialect.name == "sqlite" else func.greatest)(expression, 0)


def member_or_blank(consumer_id: int) -> Member:
    """The consumer's member row as it is, or — for one never seen — a blank one that is not
    written: the consumer API's reads (GET /me/member, /me/wallet) write nothing (on SQLite a GET
    reads without the write lock, and taking it midway may be refused)."""
    found = db.session.scalars(select(Member).where(Member.consumer_id == consumer_id)
                               .execution_options(populate_existing=True)).first()
    return found if found is not None else Member(
        consumer_id=consumer_id, tier_id=None, growth=0, points=0, points_frozen=0, spent=0, balance=0, bonus=0,
        birthday=None, tags="", created_at=utcnow())


def member_of(consumer_id: int) -> Member:
    """The consumer's member row, made if it was not (read fresh: balances move)."""
    ensure_member(consumer_id)
    return db.session.scalars(select(Member).where(Member.consumer_id == consumer_id)
                              .execution_options(populate_existing=True)).one()


def expiry_for(now: dt.datetime) -> dt.datetime | None:
    """When points earned at `now` stop counting, by the shop's rule (its local calendar)."""
    settings = flow_settings("membership")
    rule = settings["points_expiry"]
    if rule == "never":
        return None
    zone = zoneinfo.ZoneInfo(current_tenant().timezone)
    local = now.astimezone(zone)
    if rule == "year_end":
        last = dt.datetime(local.year + 1, 12, 31, 23, 59, 59, tzinfo=zone)
    else:
        day = (local + dt.timedelta(days=settings["points_expiry_days"])).date()
        last = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    return last.astimezone(dt.UTC)


def _moved(consumer_id: int, change: int, *, at_least: int = 0) -> int | None:
    """points += change where points + change >= at_least; the balance after, or None."""
    ensure_member(consumer_id)
    return db.session.execute(
        update(Member).where(Member.tenant_id == current_tenant_id(), Member.consumer_id == consumer_id,
                             Member.points + change >= at_least)
        .values(points=Member.points + change).returning(Member.points)
        .execution_options(synchronize_session=False)).scalar()


def credit(consumer_id: int, amount: int, kind: PointsKind, *, source: tuple[str, int | None] = ("", None),
           note: str = "", actor: str = "", money: int = 0, now: dt.datetime | None = None) -> PointsEntry | None:
    """Add points (a batch expiring by the shop's rule); None for nothing."""
    if amount <= 0:
        return None
    now = now or utcnow()
    balance = _moved(consumer_id, amount)
    entry = PointsEntry(consumer_id=consumer_id, kind=kind, amount=amount, balance_after=balance, remaining=amount,
                        expires_at=expiry_for(now), source_kind=source[0], source_id=source[1], money=money,
                        note=note, actor=actor, created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def debit(consumer_id: int, amount: int, kind: PointsKind, *, source: tuple[str, int | None] = ("", None),
          note: str = "", actor: str = "", money: int = 0, now: dt.datetime | None = None,
          up_to: bool = False) -> PointsEntry | None:
    """Take points, from the batches that expire first: 409 points_insufficient when the member
    has fewer, or (`up_to`: taking back what a refunded order earned) as many as they have.
    None when nothing was taken."""
    if amount <= 0:
        return None
    now = now or utcnow()
    balance = _moved(consumer_id, -amount)
    if balance is None:
        if not up_to:
            raise APIError("points_insufficient")
        held = _moved(consumer_id, 0)  # the row, locked: what is there now stays until commit
        amount = min(amount, held)
        if amount <= 0:
            return None
        balance = _moved(consumer_id, -amount)
    _take_from_batches(consumer_id, amount)
    entry = PointsEntry(consumer_id=consumer_id, kind=kind, amount=-amount, balance_after=balance, remaining=0,
                        source_kind=source[0], source_id=source[1], money=money, note=note, actor=actor,
                        created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def _take_from_batches(consumer_id: int, amount: int) -> None:
    """Spend `amount` of the member's batches, those expiring first first (never-expiring last)."""
    batches = db.session.execute(
        select(PointsEntry.id, PointsEntry.remaining).where(PointsEntry.consumer_id == consumer_id,
                                                            PointsEntry.remaining > 0)
        .order_by(PointsEntry.expires_at.is_(None), PointsEntry.expires_at, PointsEntry.id)).all()
    left = amount
    for batch_id, remaining in batches:
        taken = min(left, remaining)
        db.session.execute(update(PointsEntry).where(PointsEntry.tenant_id == current_tenant_id(),
                                                     PointsEntry.id == batch_id)
                           .values(remaining=PointsEntry.remaining - taken).execution_options(synchronize_session=False))
        left -= taken
        if not left:
            return
    raise AssertionError(f"member {consumer_id}'s batches hold less than their balance")  # the invariant broke


def expire_points(consumer_id: int, now: dt.datetime) -> int:
    """Debit what is left of the member's batches expired by `now` (they go first, so the debit
    empties exactly them); the points expired."""
    _moved(consumer_id, 0)  # the member's row first, as every movement takes it: no batch moves meanwhile
    due = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.remaining), 0)).where(
        PointsEntry.consumer_id == consumer_id, PointsEntry.remaining > 0, PointsEntry.expires_at <= now))
    if due:
        debit(consumer_id, int(due), PointsKind.EXPIRED, note="Expired", now=now)
    return int(due)


def entries_of(consumer_id: int, *, before: int | None = None, limit: int = 20) -> list[PointsEntry]:
    """The member's entries, newest first, `limit` of them after the id `before` (keyset paging)."""
    query = select(PointsEntry).where(PointsEntry.consumer_id == consumer_id)
    if before is not None:
        query = query.where(PointsEntry.id < before)
    return list(db.session.scalars(query.order_by(PointsEntry.id.desc()).limit(limit)))


def expiring_soon(consumer_id: int, now: dt.datetime, within: dt.timedelta) -> tuple[int, dt.datetime | None]:
    """How many of the member's points expire within `within`, and the first moment some do."""
    amount, first = db.session.execute(
        select(func.coalesce(func.sum(PointsEntry.remaining), 0), func.min(PointsEntry.expires_at)).where(
            PointsEntry.consumer_id == consumer_id, PointsEntry.remaining > 0, PointsEntry.expires_at > now,
            PointsEntry.expires_at <= now + within)).one()
    return int(amount), first

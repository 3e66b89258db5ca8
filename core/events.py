"""Domain events through a transactional outbox (DESIGN.md §4).

`emit("order.completed.v1", {...})` writes an outbox row in the caller's transaction. After
commit a delivery job runs every handler registered for the name, each in its own transaction
that also records (event id, handler), so a redelivered event has no second effect. A periodic
sweep re-delivers rows that were committed but never delivered (a lost job, a crash)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Callable

from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.jobs import enqueue, job, periodic
from core.tenancy import TenantModel, insert_rows, new_row, platform_scope

log = logging.getLogger(__name__)

EVENT_NAME = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[0-9]+$")
REDELIVER_AFTER = dt.timedelta(minutes=2)
HANDLERS: dict[str, dict[str, Callable[[dict, "OutboxEvent"], None]]] = {}


class OutboxEvent(TenantModel):
    __tablename__ = "outbox_events"
    # Only undelivered rows are indexed: the redelivery sweep reads them across tenants.
    __table_args__ = (Index("ix_outbox_events_undelivered", "tenant_id", "created_at",
                            postgresql_where=text("delivered_at IS NULL"), sqlite_where=text("delivered_at IS NULL")),)

    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)


class HandledEvent(TenantModel):
    """Proof that a handler has run for an event: its unique key makes handlers run once."""

    __tablename__ = "handled_events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id", "handler"),)

    event_id: Mapped[int] = mapped_column(BigInteger)
    handler: Mapped[str] = mapped_column(String(120))
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def on(event_name: str, *, handler: str | None = None):
    """Register a handler: `@on("order.paid.v1")`. The handler's name (default: its module and
    function) is its identity in the dedupe table, so keep it stable."""
    if not EVENT_NAME.match(event_name):
        raise ValueError(f"event names look like 'order.paid.v1', got {event_name!r}")

    def register(func):
        name = handler or f"{func.__module__}.{func.__qualname__}"
        HANDLERS.setdefault(event_name, {})[name] = func
        return func

    return register


def emit(name: str, payload: dict) -> int:
    """Record an event in the current transaction (one prepared INSERT); it is delivered after
    commit. Returns the event's id."""
    if not EVENT_NAME.match(name):
        raise ValueError(f"event names look like 'order.paid.v1', got {name!r}")
    handled = bool(HANDLERS.get(name))
    # Nothing listens yet: the row is the record (tomorrow's public webhooks read it), and there
    # is nothing to hand over.
    row = new_row(OutboxEvent, name=name, payload=payload, delivered_at=None if handled else utcnow())
    insert_rows(OutboxEvent, [row])
    if handled:
        enqueue("events.deliver", row.id)
    return row.id


@job("events.deliver")
def deliver(event_id: int) -> int:
    """Run the handlers of one event that have not run yet; returns how many ran now."""
    db.session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
                       .values(attempts=OutboxEvent.attempts + 1).execution_options(synchronize_session=False))
    db.session.commit()
    event = OutboxEvent.get(event_id)
    if event is None or event.delivered_at is not None:
        return 0
    ran = 0
    for handler_name, func in HANDLERS.get(event.name, {}).items():
        done = db.session.scalar(select(HandledEvent.id).where(
            HandledEvent.event_id == event_id, HandledEvent.handler == handler_name))
        if done:
            continue
        try:
            db.session.add(HandledEvent(event_id=event_id, handler=handler_name))
            db.session.flush()
            func(dict(event.payload), event)
            db.session.commit()
            ran += 1
        except IntegrityError:
            db.session.rollback()  # another delivery ran this handler first
        except Exception:
            db.session.rollback()
            log.exception("handler %s failed for event %s", handler_name, event_id)
            raise
    event.delivered_at = event.delivered_at or utcnow()
    return ran


@periodic("events.redeliver", seconds=60)
def redeliver(now: dt.datetime | None = None) -> int:
    """Hand over again the events committed but not delivered after a while."""
    now = now or utcnow()
    with platform_scope():
        rows = db.session.execute(
            select(OutboxEvent.tenant_id, OutboxEvent.id)
            .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.created_at < now - REDELIVER_AFTER)
            .order_by(OutboxEvent.created_at).limit(500)).all()
        for tenant_id, event_id in rows:
            enqueue("events.deliver", event_id, tenant_id=tenant_id)
    return len(rows)

"""Automations (a trigger → actions), what each fired for whom (`AutomationRun`, the log) and the
member's inbox (`InboxMessage`, where a message action lands)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, str_enum, utcnow
from core.tenancy import TenantModel, tenant_fk


class Trigger(enum.StrEnum):
    REGISTRATION = "registration"  # a consumer registered
    FIRST_ORDER = "first_order"  # their first order was paid
    BIRTHDAY = "birthday"  # their birthday, in the shop's timezone
    TIER_CHANGE = "tier_change"  # they rose to (or fell to) a tier (`tier_id`: that tier only)
    DORMANT = "dormant"  # `days` without an order since their last one
    POINTS_EXPIRING = "points_expiring"  # some of their points expire within a week
    CARD_ENDING = "card_ending"  # their paid member card ends within three days


class AutomationStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Automation(TenantModel):
    """When `trigger` happens to a member, do the actions: a coupon copy, points, an inbox
    message. Not in quiet hours (what falls in them waits until they end), and at most
    `cap_count` times per member in `cap_days` days."""

    __tablename__ = "automations"

    name: Mapped[str] = mapped_column(String(60))
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger))
    days: Mapped[int | None] = mapped_column(Integer)  # dormant: days without an order
    tier_id: Mapped[int | None] = mapped_column(BigInteger)  # tier_change: only to this tier
    coupon_id: Mapped[int | None] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(Integer, default=0)
    message_title: Mapped[str] = mapped_column(String(60), default="")
    message_body: Mapped[str] = mapped_column(String(500), default="")
    quiet_start: Mapped[int | None] = mapped_column(Integer)  # hour 0-23, shop's time; none: no quiet hours
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    cap_count: Mapped[int] = mapped_column(Integer, default=1)
    cap_days: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[AutomationStatus] = mapped_column(str_enum(AutomationStatus), default=AutomationStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunStatus(enum.StrEnum):
    WAITING = "waiting"  # due later (quiet hours)
    DONE = "done"
    SKIPPED = "skipped"  # the frequency cap, a paused automation, a coupon all given out … (`reason`)


class AutomationRun(TenantModel):
    """One firing of an automation for a member: once per (automation, member, occasion) — the
    occasion names what happened (an event's id, a birthday's year, the last order dormancy is
    counted from), so a redelivered event or a sweep run twice fires nothing more."""

    __tablename__ = "automation_runs"
    __table_args__ = (UniqueConstraint("tenant_id", "automation_id", "consumer_id", "occasion"),
                      tenant_fk(["automation_id"], "automations"), tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_automation_runs_due", "status", "due_at"),
                      Index("ix_automation_runs_member", "tenant_id", "consumer_id", "automation_id", "done_at"))

    automation_id: Mapped[int] = mapped_column(BigInteger)
    consumer_id: Mapped[int] = mapped_column(BigInteger)
    occasion: Mapped[str] = mapped_column(String(60))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), default=RunStatus.WAITING)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(200), default="")  # what it gave, or why it was skipped
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxMessage(TenantModel):
    """A message in a member's inbox (from an automation, or the shop)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"),
                      Index("ix_inbox_messages_member", "tenant_id", "consumer_id", "id"))

    consumer_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(40), default="")  # automation:<id>
    read: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

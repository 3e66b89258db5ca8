"""Automations: a trigger (registration, first order, birthday, a tier reached, N days without an
order, points about to expire) → actions (a coupon copy, points, a message in the member's inbox).
What happens to a member becomes a run, once per (automation, member, occasion); a run due in the
automation's quiet hours waits until they end; a member fired at more than the frequency cap
allows is skipped — each run logged with what it gave or why it did not. Runs are performed by a
sweep (and at once when due), with the clock injected."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.errors import APIError
from core.ids import new_id
from core.paging import newest_first
from core.tenancy import current_tenant, current_tenant_id
from engines.marketing.services import find_coupon, issue
from engines.membership.automation_models import (Automation, AutomationRun, AutomationStatus, InboxMessage,
                                                  RunStatus, Trigger)
from engines.membership.ledger import credit
from engines.membership.models import MemberTier, PointsKind

FIELDS = ("name", "trigger", "days", "tier_id", "coupon_id", "points", "message_title", "message_body",
          "quiet_start", "quiet_end", "cap_count", "cap_days", "status")
DEFAULTS = {"days": None, "tier_id": None, "coupon_id": None, "points": 0, "message_title": "", "message_body": "",
            "quiet_start": None, "quiet_end": None, "cap_count": 1, "cap_days": 30, "status": "active"}


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check(values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(values.get("name"), str) or not 1 <= len(values["name"].strip()) <= 60:
        errors["name"] = ["A name of 1 to 60 characters."]
    if values.get("trigger") not in {t.value for t in Trigger}:
        errors["trigger"] = [f"One of {', '.join(t.value for t in Trigger)}."]
    if values.get("trigger") == Trigger.DORMANT and not _whole(values.get("days"), 1, 365):
        errors["days"] = ["Days without an order: 1 to 365."]
    if values.get("tier_id") is not None and (values.get("trigger") != Trigger.TIER_CHANGE or
                                              MemberTier.get(values["tier_id"]) is None):
        errors["tier_id"] = ["A tier of this shop, for a tier_change trigger only."]
    if values.get("coupon_id") is not None:
        try:
            find_coupon(values["coupon_id"])
        except APIError:
            errors["coupon_id"] = ["There is no such coupon in this shop."]
    if not _whole(values.get("points"), 0, 1_000_000):
        errors["points"] = ["From 0 to 1,000,000."]
    if not isinstance(values.get("message_title"), str) or len(values["message_title"]) > 60:
        errors["message_title"] = ["Up to 60 characters."]
    if not isinstance(values.get("message_body"), str) or len(values["message_body"]) > 500:
        errors["message_body"] = ["Up to 500 characters."]
    elif values.get("message_body") and not values.get("message_title", "").strip():
        errors["message_title"] = ["A message needs a title."]
    if not (values.get("coupon_id") or values.get("points") or (values.get("message_title") or "").strip()):
        errors.setdefault("points", []).append("Give something: a coupon, points or a message.")
    quiet = (values.get("quiet_start"), values.get("quiet_end"))
    if quiet != (None, None) and not (all(_whole(hour, 0, 23) for hour in quiet) and quiet[0] != quiet[1]):
        errors["quiet_start"] = ["Quiet hours are two different hours from 0 to 23, or none."]
    if not _whole(values.get("cap_count"), 1, 100):
        errors["cap_count"] = ["From 1 to 100 times."]
    if not _whole(values.get("cap_days"), 1, 365):
        errors["cap_days"] = ["From 1 to 365 days."]
    if values.get("status") not in {s.value for s in AutomationStatus}:
        errors["status"] = ["active or paused."]
    return errors


def create_automation(**values) -> Automation:
    """A new automation; 422 invalid_input naming each field wrong (nothing written)."""
    values = {**DEFAULTS, **values}
    if errors := _check(values):
        raise APIError("invalid_input", fields=errors)
    automation = Automation(**{name: values[name] for name in FIELDS})
    automation.name = automation.name.strip()
    db.session.add(automation)
    db.session.flush()
    return automation


def update_automation(automation: Automation, **changes) -> Automation:
    values = {**{name: getattr(automation, name) for name in FIELDS}, **changes}
    values["trigger"], values["status"] = str(values["trigger"]), str(values["status"])
    if errors := _check(values):
        raise APIError("invalid_input", fields=errors)
    for name in FIELDS:
        setattr(automation, name, values[name])
    db.session.flush()
    return automation


def find_automation(automation_id: int) -> Automation:
    found = Automation.get(automation_id)
    if found is None:
        raise APIError("not_found", "There is no such automation in this shop.")
    return found


def list_automations() -> list[Automation]:
    return list(db.session.scalars(select(Automation).order_by(Automation.id.desc())))


def runs_of(automation_id: int, *, before: int | None = None, limit: int = 50) -> tuple[list, int | None]:
    return newest_first(select(AutomationRun).where(AutomationRun.automation_id == automation_id), AutomationRun.id,
                        limit=limit, before=before)


def after_quiet_hours(automation: Automation, now: dt.datetime) -> dt.datetime:
    """`now`, or the end of the automation's quiet hours when `now` falls in them (shop's time;
    22 to 8 spans midnight)."""
    if automation.quiet_start is None or automation.quiet_end is None:
        return now
    zone = zoneinfo.ZoneInfo(current_tenant().timezone)
    local = now.astimezone(zone)
    start, end = automation.quiet_start, automation.quiet_end
    quiet = start <= local.hour < end if start < end else (local.hour >= start or local.hour < end)
    if not quiet:
        return now
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += dt.timedelta(days=1)
    return ends.astimezone(dt.UTC)


def fire(trigger: Trigger, consumer_id: int, occasion: str, now: dt.datetime | None = None, *,
         tier_id: int | None = None) -> int:
    """What happened to a member, for each active automation of the trigger: a run (once per
    occasion), performed at once unless it waits for quiet hours. Returns the runs made."""
    now = now or utcnow()
    automations = db.session.scalars(select(Automation).where(Automation.trigger == trigger,
                                                              Automation.status == AutomationStatus.ACTIVE))
    made = 0
    for automation in automations:
        if automation.tier_id is not None and automation.tier_id != tier_id:
            continue
        run_id = _new_run(automation, consumer_id, occasion, after_quiet_hours(automation, now), now)
        if run_id is not None:
            made += 1
            run = db.session.get(AutomationRun, (current_tenant_id(), run_id))
            if run.due_at <= now:
                perform(run, now)
    return made


def _new_run(automation: Automation, consumer_id: int, occasion: str, due_at: dt.datetime,
             now: dt.datetime) -> int | None:
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(AutomationRun.__table__)
    return db.session.execute(insert.values(
        tenant_id=current_tenant_id(), id=new_id(), automation_id=automation.id, consumer_id=consumer_id,
        occasion=occasion[:60], status=RunStatus.WAITING, due_at=due_at, outcome="", created_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id", "automation_id", "consumer_id", "occasion"])
        .returning(AutomationRun.__table__.c.id)).scalar()


def perform(run: AutomationRun, now: dt.datetime) -> RunStatus:
    """Do a waiting run's actions (or skip it, saying why): once — the run is claimed first."""
    automation = db.session.get(Automation, (current_tenant_id(), run.automation_id))
    if run.status != RunStatus.WAITING:
        return run.status
    if automation is None or automation.status != AutomationStatus.ACTIVE:
        return _close(run, RunStatus.SKIPPED, "The automation is paused.", now)
    fired = db.session.scalar(select(func.count()).select_from(AutomationRun).where(
        AutomationRun.automation_id == automation.id, AutomationRun.consumer_id == run.consumer_id,
        AutomationRun.status == RunStatus.DONE, AutomationRun.done_at > now - dt.timedelta(days=automation.cap_days)))
    if fired >= automation.cap_count:
        return _close(run, RunStatus.SKIPPED,
                      f"Frequency cap: {fired} in the last {automation.cap_days} days.", now)
    given = []
    if automation.coupon_id is not None:
        try:
            with db.session.begin_nested():
                issue(find_coupon(automation.coupon_id), run.consumer_id, source="automation", now=now)
            given.append("a coupon")
        except APIError as refused:
            given.append(f"no coupon ({refused.code})")
    if automation.points:
        credit(run.consumer_id, automation.points, PointsKind.REWARD, source=("automation", automation.id),
               note=automation.name, now=now)
        given.append(f"{automation.points} points")
    if automation.message_title.strip():
        db.session.add(InboxMessage(consumer_id=run.consumer_id, title=automation.message_title,
                                    body=automation.message_body, source=f"automation:{automation.id}", created_at=now))
        given.append("a message")
    return _close(run, RunStatus.DONE, "Gave " + ", ".join(given) + ".", now)


def _close(run: AutomationRun, status: RunStatus, outcome: str, now: dt.datetime) -> RunStatus:
    run.status, run.outcome, run.done_at = status, outcome[:200], now
    db.session.flush()
    return status


BOOKING_REMINDER = "booking:"  # the source of a booking's reminder: booking:<id>


def post_booking_reminder(consumer_id: int, booking_id: int, name: str, starts_at: dt.datetime,
                          now: dt.datetime | None = None) -> bool:
    """A booking about to start, in its consumer's inbox once (a redelivered event finds it
    there): titled with what is booked, its body the start as the shop's clock says it — words
    the inbox adds in the reader's language (`kind` booking_reminder)."""
    source = f"{BOOKING_REMINDER}{booking_id}"
    if db.session.scalar(select(InboxMessage.id).where(InboxMessage.consumer_id == consumer_id,
                                                       InboxMessage.source == source)) is not None:
        return False
    where = zoneinfo.ZoneInfo(current_tenant().timezone)
    db.session.add(InboxMessage(consumer_id=consumer_id, title=name[:60], source=source,
                                body=f"{starts_at.astimezone(where):%Y-%m-%d %H:%M}", created_at=now or utcnow()))
    return True


def inbox_of(consumer_id: int, *, before: int | None = None, limit: int = 20) -> tuple[list, int | None]:
    return newest_first(select(InboxMessage).where(InboxMessage.consumer_id == consumer_id), InboxMessage.id,
                        limit=limit, before=before)


def unread_count(consumer_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(InboxMessage).where(
        InboxMessage.consumer_id == consumer_id, InboxMessage.read.is_(False)))


def mark_read(consumer_id: int, message_id: int) -> InboxMessage:
    message = InboxMessage.get(message_id)
    if message is None or message.consumer_id != consumer_id:
        raise APIError("not_found", "There is no such message.")
    message.read = True
    db.session.flush()
    return message

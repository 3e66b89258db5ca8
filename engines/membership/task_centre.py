"""The task centre: what a member can do for points — sign in today (the daily sign-in, its points
given as it is done), complete their profile (their birthday) and place a first paid order, each
of those two claimed once for the points the shop sets (0: the task is not offered). A claim is
checked against what the member has done and written once (a unique row: two claims at once give
the points once)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.ids import new_id
from core.tenancy import current_tenant_id
from engines.membership.ledger import credit
from engines.membership.models import Member, PointsKind, TaskClaim
from engines.membership.sign_ins import signed_in_today
from engines.orders.services import paid_orders_count

register_codes({"task_not_done": (409, "Do the task first, then collect its points."),
                "task_claimed": (409, "You have collected this task's points already.")})

ONCE = {"profile": ("task_profile_points", "Completed the profile"),  # task → (its setting, the ledger's note)
        "first_order": ("task_first_order_points", "Placed a first order")}


class Task(NamedTuple):
    key: str
    points: int
    done: bool  # the member did what it asks
    claimed: bool  # its points were collected (the sign-in's: today's were given)
    daily: bool


def tasks_of(consumer_id: int, now: dt.datetime | None = None) -> list[Task]:
    """The tasks the shop offers, with where the member stands on each."""
    settings = flow_settings("membership")
    found = []
    if settings["sign_in_points"]:
        today = signed_in_today(consumer_id, now)
        found.append(Task("sign_in", settings["sign_in_points"], today, today, True))
    claimed = set(db.session.scalars(select(TaskClaim.task).where(TaskClaim.consumer_id == consumer_id)))
    for key, (setting, _note) in ONCE.items():
        if settings[setting]:
            found.append(Task(key, settings[setting], key in claimed or _done(key, consumer_id), key in claimed,
                              False))
    return found


def _done(key: str, consumer_id: int) -> bool:
    if key == "profile":  # read only: the task list is a GET
        return db.session.scalar(select(Member.birthday).where(Member.consumer_id == consumer_id)) is not None
    return paid_orders_count(consumer_id) > 0


def claim(consumer_id: int, key: str, now: dt.datetime | None = None) -> int:
    """Collect a done task's points, once; the points given."""
    if key not in ONCE or not flow_settings("membership")[ONCE[key][0]]:
        raise APIError("not_found", "There is no such task.")
    if not _done(key, consumer_id):
        raise APIError("task_not_done")
    now = now or utcnow()
    points = flow_settings("membership")[ONCE[key][0]]
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(TaskClaim.__table__)
    claim_id = new_id()
    written = db.session.execute(insert.values(
        tenant_id=current_tenant_id(), id=claim_id, consumer_id=consumer_id, task=key, points=points, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id", "consumer_id", "task"])
        .returning(TaskClaim.__table__.c.id))
    if written.first() is None:
        raise APIError("task_claimed")
    credit(consumer_id, points, PointsKind.TASK, source=("task", claim_id), note=ONCE[key][1], now=now)
    return points

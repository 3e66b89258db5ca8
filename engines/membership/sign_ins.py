"""The daily sign-in: once a day in the shop's timezone, points and growth as the shop sets them,
and a bonus every `streak_days` days in a row."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.ids import new_id
from core.tenancy import current_tenant, current_tenant_id
from engines.membership.ledger import credit
from engines.membership.models import PointsKind, SignIn
from engines.membership.tiers import add_growth

register_codes({"already_signed_in": (409, "You have signed in today already: come back tomorrow.")})


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(current_tenant().timezone)).date()


def streak_of(consumer_id: int, today: dt.date) -> int:
    """Days in a row signed in up to yesterday (or today, when signed in today)."""
    last = db.session.scalars(select(SignIn).where(SignIn.consumer_id == consumer_id)
                              .order_by(SignIn.day.desc()).limit(1)).first()
    if last is None or last.day < today - dt.timedelta(days=1):
        return 0
    return last.streak


def sign_in(consumer_id: int, now: dt.datetime | None = None) -> SignIn:
    """Today's sign-in, with what it gave; 409 already_signed_in the second time a day (two at
    once: one of them)."""
    now = now or utcnow()
    today = local_day(now)
    settings = flow_settings("membership")
    streak = streak_of(consumer_id, today) + 1
    bonus = settings["streak_points"] if streak % settings["streak_days"] == 0 else 0
    points = settings["sign_in_points"] + bonus
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(SignIn.__table__)
    sign_in_id = new_id()
    written = db.session.execute(insert.values(
        tenant_id=current_tenant_id(), id=sign_in_id, consumer_id=consumer_id, day=today, streak=streak, points=points,
        created_at=now).on_conflict_do_nothing(index_elements=["tenant_id", "consumer_id", "day"])
        .returning(SignIn.__table__.c.id))
    if written.first() is None:
        raise APIError("already_signed_in")
    note = f"Signed in, day {streak} in a row" + (" (streak bonus)" if bonus else "")
    credit(consumer_id, points, PointsKind.SIGN_IN, source=("sign_in", sign_in_id), note=note, now=now)
    add_growth(consumer_id, settings["sign_in_growth"], "sign_in", source=("sign_in", sign_in_id), now=now)
    return db.session.get(SignIn, (current_tenant_id(), sign_in_id))


def signed_in_today(consumer_id: int, now: dt.datetime | None = None) -> bool:
    today = local_day(now or utcnow())
    return db.session.scalar(select(SignIn.id).where(SignIn.consumer_id == consumer_id, SignIn.day == today)) is not None

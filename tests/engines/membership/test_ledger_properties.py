"""Properties of the points ledger over random sequences of movements — earning (batches that
expire at random times), spending (refused when too few), taking back as much as there is,
expiring as the clock moves: the balance is always the sum of the entries and the sum of the
batches' unspent points, never negative, each entry's balance_after is the running sum, and a
refused movement changes nothing.

Each example runs in a savepoint of the test's transaction, rolled back at its end."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import db
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.membership.ledger import credit, debit, expire_points, member_of
from engines.membership.models import PointsEntry, PointsKind

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PROPERTIES = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

moves = st.lists(st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500), st.sampled_from([None, 1, 5, 30, 400])),
    st.tuples(st.just("spend"), st.integers(1, 800), st.none()),
    st.tuples(st.just("take_back"), st.integers(1, 800), st.none()),
    st.tuples(st.just("wait"), st.integers(1, 60), st.none()),
), min_size=1, max_size=20)


def _expiring(days: int | None, now: dt.datetime):
    """A credit whose batch expires `days` after `now` (None: never), whatever the shop's rule."""
    return lambda _now: None if days is None else now + dt.timedelta(days=days)


@PROPERTIES
@given(sequence=moves)
def test_the_balance_is_always_the_sum_of_entries_and_of_batches(tenant_a, create_consumer, db_session, monkeypatch,
                                                                   sequence):
    import engines.membership.ledger as ledger

    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        savepoint = db.session.begin_nested()
        now, expected = START, 0
        for move, amount, days in sequence:
            if move == "earn":
                monkeypatch.setattr(ledger, "expiry_for", _expiring(days, now))
                credit(consumer.id, amount, PointsKind.ADJUSTMENT, now=now)
                expected += amount
            elif move == "spend":
                try:
                    debit(consumer.id, amount, PointsKind.SPENT, now=now)
                    expected -= amount
                except APIError as refused:
                    assert refused.code == "points_insufficient" and amount > expected
            elif move == "take_back":
                taken = debit(consumer.id, amount, PointsKind.REVERSED, now=now, up_to=True)
                got = -taken.amount if taken else 0
                assert got == min(amount, expected)
                expected -= got
            else:
                now += dt.timedelta(days=amount)
                expected -= expire_points(consumer.id, now)
            member = member_of(consumer.id)
            total, unspent = db.session.execute(select(
                func.coalesce(func.sum(PointsEntry.amount), 0), func.coalesce(func.sum(PointsEntry.remaining), 0))
                .where(PointsEntry.consumer_id == consumer.id)).one()
            assert member.points == expected == total == unspent >= 0
            expired = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.remaining), 0)).where(
                PointsEntry.consumer_id == consumer.id, PointsEntry.expires_at <= now))
            assert expired == 0 or move != "wait"  # a sweep leaves nothing expired behind
        running = 0
        for entry in db.session.scalars(select(PointsEntry).where(PointsEntry.consumer_id == consumer.id)
                                        .order_by(PointsEntry.created_at, PointsEntry.id)):
            running += entry.amount
            assert entry.balance_after == running
        savepoint.rollback()

"""The outbox: events written with the caller's transaction, delivered after commit, each handler
run once per event however often it is delivered, and swept up when a delivery was lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import utcnow
from core.events import REDELIVER_AFTER, HandledEvent, OutboxEvent, deliver, emit, on, redeliver
from core.jobs import enqueue
from core.tenancy import current_tenant, tenant_scope

FAILURES = {"left": 0}


@on("test.thing_happened.v1", handler="tests.record_thing")
def _record(payload, event):
    from core import audit

    audit.record("test.handled", tenant_id=current_tenant().id, target=payload["name"], details={"event": str(event.id)})


@on("test.thing_happened.v1", handler="tests.flaky")
def _flaky(payload, event):
    from core import audit

    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("downstream is down")
    audit.record("test.flaky", tenant_id=current_tenant().id, target=payload["name"])


def _count(db_session, action, tenant=None):
    statement = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if tenant is not None:
        statement = statement.where(AuditEntry.tenant_id == tenant.id)
    return db_session.scalar(statement)


def test_event_names_are_versioned():
    with pytest.raises(ValueError):
        on("order.paid")(lambda p, e: None)
    with pytest.raises(ValueError):
        emit("OrderPaid", {})


def test_emit_needs_a_tenant(db_session):
    from core.tenancy import NoTenantError

    with pytest.raises(NoTenantError):
        emit("test.thing_happened.v1", {"name": "x"})


def test_handlers_run_after_commit_with_the_tenant_in_context(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "cake"})
        app.extensions["tessera_jobs"].drain()
        assert _count(db_session, "test.handled") == 0  # nothing before commit
        db_session.commit()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.handled", tenant_a) == 1
    with tenant_scope(tenant_a):
        assert OutboxEvent.get(event_id).delivered_at is not None


def test_a_rolled_back_event_is_never_delivered(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        savepoint = db_session.begin_nested()
        emit("test.thing_happened.v1", {"name": "ghost"})
        savepoint.rollback()
        db_session.rollback()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.handled") == 0


def test_redelivery_has_no_second_effect(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "twice"})
        db_session.commit()
    app.extensions["tessera_jobs"].drain()
    with tenant_scope(tenant_a):
        db_session.execute(OutboxEvent.__table__.update().values(delivered_at=None))  # as if the ack was lost
        assert deliver(event_id) == 0
        db_session.commit()
        assert db_session.scalar(select(func.count()).select_from(HandledEvent)) == 2
    assert _count(db_session, "test.handled") == 1


def test_a_failing_handler_is_retried_without_repeating_the_others(app, db_session, tenant_a):
    FAILURES["left"] = 1
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "retry"})
        db_session.commit()
    app.extensions["tessera_jobs"].drain()  # the flaky handler fails; the error is logged, not raised
    with tenant_scope(tenant_a):
        row = OutboxEvent.get(event_id)
        assert row.delivered_at is None
        assert deliver(event_id) == 1
        db_session.commit()
    assert (_count(db_session, "test.handled"), _count(db_session, "test.flaky")) == (1, 1)


def test_the_sweep_redelivers_only_old_undelivered_events_across_tenants(app, db_session, tenant_a, tenant_b):
    FAILURES["left"] = 2
    for tenant in (tenant_a, tenant_b):
        with tenant_scope(tenant):
            emit("test.thing_happened.v1", {"name": tenant.slug})
            db_session.commit()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.flaky") == 0
    assert redeliver(now=utcnow()) == 0  # too recent to be called lost
    later = utcnow() + REDELIVER_AFTER + dt.timedelta(seconds=1)
    assert redeliver(now=later) == 2
    db_session.commit()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.flaky", tenant_a) == 1
    assert _count(db_session, "test.flaky", tenant_b) == 1
    assert redeliver(now=later) == 0


def test_an_event_of_a_deleted_tenant_is_skipped(app, db_session):
    from core.jobs import run_job

    assert run_job("events.deliver", [123], 999_999) is None


def test_enqueue_refuses_unknown_jobs(db_session):
    with pytest.raises(KeyError):
        enqueue("no.such.job")

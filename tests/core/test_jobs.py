"""Jobs: handed over after commit, dropped on rollback, run as their tenant; delayed and periodic
jobs on the in-process scheduler; rq with a real Redis and an in-process worker."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.jobs import HANDOVER_KEY, JOBS, PERIODIC, enqueue, enqueue_due_periodic, job
from core.tenancy import current_tenant, tenant_scope
from tests.conftest import REDIS_URL, dispose_app, make_app
from tests.core import test_events as _test_events  # noqa: F401  its events and handlers, before any app is made

SEEN: list[tuple] = []


@job("tests.remember")
def remember(value):
    tenant = current_tenant()
    SEEN.append((value, tenant.slug if tenant else None))
    from core import audit

    audit.record("test.job", tenant_id=tenant.id if tenant else None, target=str(value))


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


def test_a_job_waits_for_commit_and_runs_as_its_tenant(app, db_session, tenant_a):
    runner = app.extensions["tessera_jobs"]
    with tenant_scope(tenant_a):
        enqueue("tests.remember", "cake")
    runner.drain()
    assert SEEN == []
    db_session.commit()
    runner.drain()
    assert SEEN == [("cake", tenant_a.slug)]


def test_a_rollback_drops_the_job(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        enqueue("tests.remember", "never")
    db_session.rollback()
    app.extensions["tessera_jobs"].drain()
    assert SEEN == []


def test_a_request_runs_its_jobs_when_it_ends(app, db_session, client, tenant_a, create_staff, sign_in):
    """The media upload enqueues its thumbnail job: the request's end runs it."""
    import io

    from PIL import Image

    owner = create_staff(tenant_a, "owner")
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")
    import re

    token = re.search(r'data-csrf="([^"]+)"', client.get("/merchant/designer/").get_data(as_text=True)).group(1)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, format="PNG")
    response = client.post("/merchant/designer/api/media", data={"file": (io.BytesIO(buffer.getvalue()), "a.png")},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 201
    from core.media import Media

    with tenant_scope(tenant_a):
        assert Media.get(int(response.json["media"]["id"])).thumbnail_key.endswith(".thumb.webp")


def test_delayed_jobs_wait_on_the_scheduler_until_due(app, db_session, tenant_a):
    runner = app.extensions["tessera_jobs"]
    with tenant_scope(tenant_a):
        call = enqueue("tests.remember", "later", delay=dt.timedelta(minutes=30))
        db_session.commit()
    runner.drain()
    assert SEEN == []
    assert runner.scheduler.run_due(utcnow()) == 0
    assert runner.scheduler.run_due(call.run_at + dt.timedelta(seconds=1)) == 1
    assert SEEN == [("later", tenant_a.slug)]


def test_periodic_jobs_reschedule_themselves(app, db_session, monkeypatch):
    runner = app.extensions["tessera_jobs"]
    monkeypatch.setitem(PERIODIC, "tests.remember", 60)
    from core.jobs import JobCall

    start = utcnow()
    monkeypatch.setitem(JOBS, "tests.tick", lambda: SEEN.append(("tick", None)))
    monkeypatch.setitem(PERIODIC, "tests.tick", 60)
    runner.scheduler.add(JobCall("tests.tick", (), None, start))
    assert runner.scheduler.run_due(start + dt.timedelta(seconds=1)) == 1
    assert runner.scheduler.run_due(start + dt.timedelta(seconds=2)) == 0
    assert runner.scheduler.run_due(utcnow() + dt.timedelta(seconds=61)) == 1
    assert SEEN == [("tick", None), ("tick", None)]


# -- rq on a real Redis ------------------------------------------------------------------------

@pytest.fixture
def rq_app(live_database, tmp_path):
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    connection.flushdb()
    application = make_app(live_database, tmp_path, REDIS_URL=REDIS_URL, RATELIMIT_STORAGE_URI="memory://")
    yield application
    connection.flushdb()
    connection.close()
    dispose_app(application)


def _tenant(application, slug):
    from tenants.services import create_tenant

    with application.app_context():
        tenant = create_tenant(slug=slug, name=slug)
        db.session.commit()
        return tenant


def _work(application):
    """What `tessera worker` does: relay what was handed over onto rq's queue, run the queue."""
    from core.worker import AppSimpleWorker

    runner = application.extensions["tessera_jobs"]
    while runner.relay():
        pass
    AppSimpleWorker([runner.queue], connection=runner.connection, app=application).work(burst=True)


def _audits(application, action):
    with application.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


@pytest.mark.live
def test_rq_runs_jobs_after_commit_as_their_tenant(rq_app):
    tenant = _tenant(rq_app, "rq-shop")
    runner = rq_app.extensions["tessera_jobs"]
    assert runner.mode == "rq"
    with rq_app.app_context(), tenant_scope(tenant):
        enqueue("tests.remember", "queued")
        assert runner.connection.llen(HANDOVER_KEY) == 0
        db.session.commit()
    assert runner.connection.llen(HANDOVER_KEY) == 1 and runner.queue.count == 0  # handed over in one command
    assert runner.relay() == 1
    assert runner.connection.llen(HANDOVER_KEY) == 0 and runner.queue.count == 1
    _work(rq_app)
    assert SEEN == [("queued", "rq-shop")]


@pytest.mark.live
def test_two_relays_at_once_move_each_handed_over_job_once(rq_app):
    """Several `tessera worker`s relay the same list: every job reaches rq's queue exactly once."""
    import threading

    from core.jobs import JobCall

    runner = rq_app.extensions["tessera_jobs"]
    for start in range(0, 600, 100):
        runner.submit(*(JobCall("tests.remember", (k,), None) for k in range(start, start + 100)))
    moved, go = [], threading.Barrier(3)

    def relay():
        go.wait()
        while count := runner.relay(limit=7):
            moved.append(count)

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(moved) == 600 and runner.queue.count == 600
    assert sorted(job.args[1][0] for job in runner.queue.get_jobs(0, 600)) == list(range(600))


def test_a_job_takes_plain_values_only(app, db_session, tenant_a):
    """Its arguments travel as JSON to rq: an object is refused when it is asked for, in every mode."""
    with tenant_scope(tenant_a), pytest.raises(TypeError, match="plain values"):
        enqueue("tests.remember", tenant_a)
    with tenant_scope(tenant_a), pytest.raises(TypeError, match="plain values"):
        enqueue("tests.remember", dt.datetime(2026, 1, 1))


@pytest.mark.live
def test_rq_event_delivery_is_idempotent(rq_app):
    from core.events import emit

    tenant = _tenant(rq_app, "rq-events")
    with rq_app.app_context(), tenant_scope(tenant):
        event_id = emit("test.thing_happened.v1", {"name": "rq"})
        db.session.commit()
        enqueue("events.deliver", event_id)  # a duplicate delivery, as after a lost acknowledgement
        db.session.commit()
    _work(rq_app)
    assert _audits(rq_app, "test.handled") == 1


@pytest.mark.live
def test_rq_delayed_jobs_go_to_the_scheduled_registry(rq_app):
    from rq.registry import ScheduledJobRegistry

    tenant = _tenant(rq_app, "rq-later")
    runner = rq_app.extensions["tessera_jobs"]
    with rq_app.app_context(), tenant_scope(tenant):
        enqueue("tests.remember", "later", delay=dt.timedelta(minutes=5))
        db.session.commit()
    assert runner.relay() == 1
    assert runner.queue.count == 0
    assert len(ScheduledJobRegistry(queue=runner.queue)) == 1


@pytest.mark.live
def test_periodic_jobs_are_enqueued_once_per_interval(rq_app):
    runner = rq_app.extensions["tessera_jobs"]
    first = enqueue_due_periodic(runner)
    assert "events.redeliver" in first
    assert enqueue_due_periodic(runner) == []
    assert runner.queue.count == len(first)


@pytest.mark.live
def test_tessera_worker_burst_processes_the_queue(rq_app, live_database, tmp_path):
    import os
    import subprocess
    import sys

    from core.events import OutboxEvent, emit

    tenant = _tenant(rq_app, "rq-worker")
    with rq_app.app_context(), tenant_scope(tenant):
        # an event with a real handler (which finds no payment to refund and says so)
        event_id = emit("after_sale.refund_due.v1", {"after_sale_id": "1", "order_id": "1", "consumer_id": "1",
                                                      "amount": {"amount": 0, "currency": "CNY"}})
        db.session.commit()
    env = {**os.environ, "REDIS_URL": REDIS_URL, "TESSERA_DATABASE_URL": live_database,
           "TESSERA_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "from cli import main; main()", "worker", "--burst"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    with rq_app.app_context(), tenant_scope(tenant):
        assert db.session.get(OutboxEvent, (tenant.id, event_id)).delivered_at is not None, result.stderr[-3000:]


def test_a_rolled_back_savepoint_drops_only_its_own_jobs_and_bumps(app, db_session, tenant_a):
    """An add_unique conflict (a savepoint rolled back) must not lose what came before it."""
    from core.cache import bump_after_commit, stamps
    from core.db import add_unique
    from core.errors import APIError
    from engines.catalog.models import Category

    runner = app.extensions["tessera_jobs"]
    before = stamps().all(tenant_a.id).get("catalog", 0)
    with tenant_scope(tenant_a):
        db_session.add(Category(name="Tea"))
        db_session.flush()
        enqueue("tests.remember", "kept")
        bump_after_commit(tenant_a.id, "catalog")
        with pytest.raises(APIError):
            with db_session.begin_nested():
                enqueue("tests.remember", "rolled back")
                bump_after_commit(tenant_a.id, "articles")
                raise APIError("conflict")
        with pytest.raises(APIError):
            add_unique(Category(tenant_id=tenant_a.id, name="Tea", id=db_session.scalar(select(Category.id))),
                       APIError("already_exists"))
    db_session.commit()
    runner.drain()
    assert SEEN == [("kept", tenant_a.slug)]
    assert stamps().all(tenant_a.id).get("catalog", 0) == before + 1
    assert stamps().all(tenant_a.id).get("articles", 0) == 0

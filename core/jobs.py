"""Background jobs (DESIGN.md §4, §5).

Jobs are registered by name, take ids (never ORM objects), are idempotent, and are handed over
only after the transaction that asked for them commits. Two runners:

- rq (when REDIS_URL is set): after commit the calls go, as JSON, onto a Redis list in one
  command (`HANDOVER_KEY`); `tessera worker`'s relay moves them onto rq's queue (delayed ones onto
  rq's schedule) and runs them with the app context. A committing request thus pays one round trip
  and none of rq's bookkeeping (DESIGN.md §4: "after commit a relay hands it to rq").
- inline (the embedded default): after commit the job waits in the app context and runs at the
  end of the request or command that asked for it; delayed and periodic jobs run on an
  in-process scheduler thread started by `tessera run`.

Either way a job runs with its tenant in context and commits its own transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import json
import logging
import threading
from typing import Any, Callable

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.db import db, defer_until_commit, take_deferred, utcnow
from core.tenancy import Tenant, current_tenant, platform_scope, tenant_scope

log = logging.getLogger(__name__)

JOBS: dict[str, Callable] = {}
PERIODIC: dict[str, int] = {}  # job name -> interval in seconds


def job(name: str):
    """Register a function as a job under a stable name."""

    def register(func: Callable) -> Callable:
        if name in JOBS and JOBS[name] is not func:
            raise ValueError(f"job {name!r} is already registered")
        JOBS[name] = func
        return func

    return register


def periodic(name: str, *, seconds: int):
    """Register a sweeper that runs every `seconds` (it takes no arguments but `now`)."""

    def register(func: Callable) -> Callable:
        job(name)(func)
        PERIODIC[name] = seconds
        return func

    return register


@dataclasses.dataclass(frozen=True)
class JobCall:
    name: str
    args: tuple
    tenant_id: int | None
    run_at: dt.datetime | None = None


_PLAIN_ARGS = (int, str, float, bool, type(None), list, dict)


def enqueue(name: str, *args: Any, delay: dt.timedelta | None = None, at: dt.datetime | None = None,
            tenant_id: int | None = None) -> JobCall:
    """Ask for a job once the current transaction commits (dropped if it rolls back). The job
    runs as the current tenant unless `tenant_id` says otherwise. Its arguments are ids and plain
    values (they travel as JSON): anything else is a TypeError here, in every mode."""
    if name not in JOBS:
        raise KeyError(f"no job named {name!r}")
    if not all(isinstance(arg, _PLAIN_ARGS) for arg in args):
        raise TypeError(f"job {name!r} takes ids and plain values, got {[type(arg).__name__ for arg in args]}")
    if tenant_id is None and current_tenant() is not None:
        tenant_id = current_tenant().id
    run_at = at or (utcnow() + delay if delay else None)
    call = JobCall(name, tuple(args), tenant_id, run_at)
    defer_until_commit("job", call)
    return call


@event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    calls = take_deferred(session, "job")
    if calls:
        try:
            current_app.extensions["tessera_jobs"].submit(*calls)
        except Exception:  # Redis away: the commit stands; sweeps are the guarantee (outbox, refunds)
            log.exception("jobs %s could not be handed over after commit", ", ".join(call.name for call in calls))


def run_job(name: str, args: tuple | list, tenant_id: int | None) -> Any:
    """Run one job in the current app context: as its tenant, in its own transaction. This is
    the function rq workers call."""
    func = JOBS[name]
    try:
        if tenant_id is None:
            result = func(*args)
        else:
            tenant = db.session.get(Tenant, tenant_id)
            if tenant is None:
                log.warning("job %s skipped: tenant %s no longer exists", name, tenant_id)
                return None
            with tenant_scope(tenant):
                result = func(*args)
                db.session.commit()
                return result
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


class InlineRunner:
    """The embedded default: jobs run in this process, after the request or command that asked."""

    mode = "inline"

    def __init__(self, app: Flask):
        self.app = app
        self.scheduler = InProcessScheduler(app)

    def submit(self, *calls: JobCall) -> None:
        for call in calls:
            if call.run_at and call.run_at > utcnow():
                self.scheduler.add(call)
            elif has_app_context():
                g.setdefault("tessera_pending_jobs", []).append(call)
            else:
                self.scheduler.add(call)

    def drain(self) -> None:
        """Run what the current app context asked for, including what those jobs ask for."""
        pending = g.get("tessera_pending_jobs")
        while pending:
            call = pending.pop(0)
            try:
                run_job(call.name, call.args, call.tenant_id)
            except Exception:
                # The outbox sweep re-delivers events; a failed job is logged, never raised into
                # the request that already succeeded.
                log.exception("inline job %s failed", call.name)


HANDOVER_KEY = "tessera:handover"


def _encoded(call: JobCall) -> str:
    return json.dumps([call.name, call.args, call.tenant_id, call.run_at.isoformat() if call.run_at else None])


def _decoded(item: bytes) -> JobCall:
    name, args, tenant_id, run_at = json.loads(item)
    return JobCall(name, tuple(args), tenant_id, dt.datetime.fromisoformat(run_at) if run_at else None)


class RQRunner:
    mode = "rq"

    def __init__(self, app: Flask, redis_url: str):
        import redis
        from rq import Queue

        self.app = app
        self.connection = redis.Redis.from_url(redis_url)
        self.queue = Queue("tessera", connection=self.connection)

    def submit(self, *calls: JobCall) -> None:
        """Hand the calls over in one Redis command, each as a JSON array on the hand-over list:
        a paid order hands over its event's delivery on the path bench/checkout.py measures, and
        rq's own enqueue (a job hash, the queue, their bookkeeping) costs several times as much."""
        self.connection.rpush(HANDOVER_KEY, *map(_encoded, calls))

    def relay(self, *, wait: float = 0, limit: int = 500) -> int:
        """Move up to `limit` handed-over calls onto rq (the queue, or the schedule for a call
        whose time has not come) in one pipeline; returns how many. `wait` seconds: block that
        long for the first one. Each call is popped by one relay only; one lost between the pop and
        the pipeline (the relay killed then) is found again by the sweeps, as when Redis is away."""
        if wait:
            first = self.connection.blpop([HANDOVER_KEY], timeout=wait)
            items = [first[1]] + (self.connection.lpop(HANDOVER_KEY, limit - 1) or []) if first else []
        else:
            items = self.connection.lpop(HANDOVER_KEY, limit) or []
        if items:
            now = utcnow()
            with self.connection.pipeline() as pipe:
                for call in map(_decoded, items):
                    if call.run_at and call.run_at > now:
                        self.queue.enqueue_at(call.run_at, run_job, call.name, list(call.args), call.tenant_id,
                                              pipeline=pipe)
                    else:
                        self.queue.enqueue(run_job, call.name, list(call.args), call.tenant_id, pipeline=pipe)
                pipe.execute()
        return len(items)

    def drain(self) -> None:
        pass


class InProcessScheduler:
    """Delayed and periodic jobs for the embedded default, on one daemon thread. `run_due` takes
    the time explicitly so tests drive it without waiting."""

    def __init__(self, app: Flask):
        self.app = app
        self._heap: list[tuple[dt.datetime, int, JobCall]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def add(self, call: JobCall) -> None:
        with self._wake:
            heapq.heappush(self._heap, (call.run_at or utcnow(), next(self._counter), call))
            self._wake.notify()

    def run_due(self, now: dt.datetime | None = None) -> int:
        """Run every job due by `now`; returns how many ran."""
        now = now or utcnow()
        ran = 0
        while True:
            with self._wake:
                if not self._heap or self._heap[0][0] > now:
                    return ran
                _, _, call = heapq.heappop(self._heap)
            with self.app.app_context():
                try:
                    run_job(call.name, call.args, call.tenant_id)
                except Exception:
                    log.exception("scheduled job %s failed", call.name)
                self.app.extensions["tessera_jobs"].drain()
            ran += 1
            if call.name in PERIODIC and call.run_at is not None and not self._stopping:
                self.add(dataclasses.replace(call, run_at=max(now, utcnow()) + dt.timedelta(seconds=PERIODIC[call.name])))

    def start(self) -> None:
        """Start the thread and the periodic sweeps (`tessera run`)."""
        if self._thread:
            return
        for name, seconds in PERIODIC.items():
            self.add(JobCall(name, (), None, utcnow() + dt.timedelta(seconds=min(seconds, 5))))
        self._thread = threading.Thread(target=self._loop, name="tessera-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()

    def _loop(self) -> None:
        while not self._stopping:
            self.run_due()
            with self._wake:
                timeout = 30.0
                if self._heap:
                    timeout = max(0.0, min(timeout, (self._heap[0][0] - utcnow()).total_seconds()))
                self._wake.wait(timeout)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    runner = RQRunner(app, redis_url) if redis_url and app.config.get("JOBS_MODE", "rq") == "rq" else InlineRunner(app)
    app.extensions["tessera_jobs"] = runner

    @app.teardown_request
    def _drain(exc):
        if exc is None:
            runner.drain()


def enqueue_due_periodic(runner: RQRunner) -> list[str]:
    """For rq workers: put each periodic job on the queue when its interval has passed. A Redis
    key per job (SET NX EX) makes sure several workers enqueue it once per interval."""
    started = []
    for name, seconds in PERIODIC.items():
        if runner.connection.set(f"tessera:periodic:{name}", "1", nx=True, ex=seconds):
            runner.queue.enqueue(run_job, name, [], None)
            started.append(name)
    return started


def relay_until(runner: RQRunner, stop: threading.Event) -> None:
    """`tessera worker`'s relay thread: hand what requests handed over to rq as it comes, until
    `stop`; Redis away is logged and tried again a second later."""
    while not stop.is_set():
        try:
            runner.relay(wait=1)
        except Exception:
            log.exception("the relay could not move handed-over jobs onto rq")
            stop.wait(1)


def run_per_tenant(rows: list[tuple[int, int]], apply: Callable[[int], Any]) -> int:
    """For sweepers: apply `apply(row_id)` to (tenant_id, row_id) pairs read across tenants, each
    as its tenant and in its own transaction; a failure is logged and the sweep goes on. Returns
    how many applications answered truthily."""
    with platform_scope():
        tenants = {tenant.id: tenant.context() for tenant in db.session.scalars(
            select(Tenant).where(Tenant.id.in_({tenant_id for tenant_id, _ in rows})))} if rows else {}
    done = 0
    for tenant_id, row_id in rows:
        with tenant_scope(tenants[tenant_id]):
            try:
                done += bool(apply(row_id))
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("sweeping row %s of tenant %s failed", row_id, tenant_id)
    return done


"""Idempotency-Key for the API's money-moving requests (checkout, payment creation).

The first request with a key claims it (a row committed at once); it then does its work and
stores its answer in the same transaction as the work. A replay gets the stored answer; the same
key with another body is 422 `idempotency_key_reused`; a duplicate that arrives while the first
is still running is 409 `idempotency_in_progress` — so concurrent duplicates make one order.
Answers that are the request's fault (4xx) are stored too, as Stripe does; a crash forgets the
claim, and a claim left behind by a dead process is taken over after `STALE_AFTER`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Callable

from flask import request
from sqlalchemy import JSON, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, add_unique, db, utcnow
from core.errors import APIError
from core.jobs import periodic
from core.tenancy import TenantModel, platform_scope

HEADER = "Idempotency-Key"
MAX_KEY = 120
STALE_AFTER = dt.timedelta(minutes=2)
KEEP_FOR = dt.timedelta(days=1)


class IdempotencyKey(TenantModel):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "scope", "key"),)

    scope: Mapped[str] = mapped_column(String(80))  # whose key: "consumer:<id>"
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class _Claimed(Exception):
    pass


def _fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _claim(scope: str, key: str, fingerprint: str) -> IdempotencyKey | tuple[dict, int]:
    """The new claim, or the stored answer of the first request."""
    try:
        claim = add_unique(IdempotencyKey(scope=scope, key=key, request_hash=fingerprint), _Claimed())
        db.session.commit()
        return claim
    except _Claimed:
        db.session.rollback()
    first = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key))
    if first is None:  # the first request failed and let go of the key in the meantime
        return _claim(scope, key, fingerprint)
    if first.request_hash != fingerprint:
        raise APIError("idempotency_key_reused")
    if first.status_code is None:
        if utcnow() - first.created_at < STALE_AFTER:
            raise APIError("idempotency_in_progress")
        first.created_at = utcnow()  # its process died: take it over
        db.session.commit()
        return first
    return first.response, first.status_code


def idempotent(scope: str, work: Callable[[], tuple[dict, int]]) -> tuple[dict, int]:
    """Run `work` (which writes in the session but does not commit) once per Idempotency-Key,
    commit, and return its (body, status)."""
    key = request.headers.get(HEADER)
    if key is None:
        body, status = work()
        db.session.commit()
        return body, status
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise APIError("bad_request", f"{HEADER} must be 1 to {MAX_KEY} printable characters.")
    claimed = _claim(scope, key, _fingerprint())
    if isinstance(claimed, tuple):
        return claimed
    claim_id = claimed.id
    try:
        body, status = work()
    except APIError as error:
        db.session.rollback()
        _finish(claim_id, error.body(), error.status) if error.status < 500 else _forget(claim_id)
        raise
    except BaseException:
        db.session.rollback()
        _forget(claim_id)
        raise
    _finish(claim_id, body, status)  # in the work's own transaction: the answer and the order land together
    return body, status


def _finish(claim_id: int, body: dict, status: int) -> None:
    """Store the answer on the claim and commit (with whatever the session holds)."""
    claim = IdempotencyKey.get(claim_id)
    claim.status_code, claim.response = status, body
    db.session.commit()


def _forget(claim_id: int) -> None:
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
    db.session.commit()


@periodic("idempotency.purge", seconds=3600)
def purge_expired(now: dt.datetime | None = None) -> int:
    """Forget keys older than a day (the window in which clients retry), in every shop."""
    with platform_scope():
        result = db.session.execute(delete(IdempotencyKey)
                                    .where(IdempotencyKey.created_at < (now or utcnow()) - KEEP_FOR))
        db.session.commit()
    return result.rowcount

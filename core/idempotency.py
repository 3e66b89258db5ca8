"""Idempotency-Key for the API's money-moving requests (checkout, payment creation).

The first request with a key claims it with a row inserted in its own transaction, does its work
and stores its answer on the claim, all committed together — or nothing is, so a crash leaves no
claim behind. A duplicate that arrives meanwhile waits on the claim's unique index until the
first request ends, then answers as a replay: concurrent duplicates make one order and get one
answer. A replay gets the stored answer; the same key with another body is 422
`idempotency_key_reused`. Answers that are the request's fault (4xx) are stored too, as Stripe
does: the work runs in a savepoint, rolled back before such an answer is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Callable

from flask import jsonify, request
from sqlalchemy import JSON, Integer, String, UniqueConstraint, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.errors import APIError
from core.ids import new_id
from core.jobs import periodic
from core.tenancy import TenantModel, execute, of_tenant, platform_scope

HEADER = "Idempotency-Key"
MAX_KEY = 120
KEEP_FOR = dt.timedelta(days=1)


class IdempotencyKey(TenantModel):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "scope", "key"),)

    scope: Mapped[str] = mapped_column(String(80))  # whose key: "consumer:<id>"
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None until the answer is stored with the work
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


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
    fingerprint = _fingerprint()
    claim_id = execute(_CLAIM[db.session.get_bind().dialect.name],
                       {"id": new_id(), "scope": scope, "key": key, "request_hash": fingerprint,
                        "created_at": utcnow()}).scalar()
    if claim_id is None:  # claimed by a request that has ended (a concurrent one was waited for)
        db.session.rollback()
        return _replay(scope, key, fingerprint)
    savepoint = db.session.begin_nested()
    try:
        body, status = work()
    except APIError as error:
        if error.status >= 500:
            db.session.rollback()  # the claim goes too: a retry may succeed
            raise
        savepoint.rollback()
        _store(claim_id, error.body(), error.status)
        raise
    except BaseException:
        db.session.rollback()
        raise
    _store(claim_id, body, status)  # with the work: the answer and the order land together
    return body, status


def idempotent_created(scope: str, work: Callable[[], tuple[dict, int]], location: Callable[[dict], str]):
    """`idempotent` as a view's answer: the JSON body and its status, with a `Location` header
    (`location(body)`) when something was created (201) — a replayed refusal has none."""
    body, status = idempotent(scope, work)
    if status != 201:
        return jsonify(body), status
    return jsonify(body), status, {"Location": location(body)}


def _replay(scope: str, key: str, fingerprint: str) -> tuple[dict, int]:
    first = execute(_FIRST, {"scope": scope, "key": key}).first()
    if first is None:  # purged between the two statements: as good as unknown, but rare enough to refuse
        raise APIError("idempotency_in_progress")
    if first.request_hash != fingerprint:
        raise APIError("idempotency_key_reused")
    if first.status_code is None:  # left by an earlier version of this module, which committed claims first
        raise APIError("idempotency_in_progress")
    return first.response, first.status_code


def _store(claim_id: int, body: dict, status: int) -> None:
    """Store the answer on the claim and commit (with whatever the session holds)."""
    execute(_ANSWER, {"claim_id": claim_id, "status_code": status, "response": body})
    db.session.commit()


_keys = IdempotencyKey.__table__
# The claim: a new row, or none when the key is taken — after waiting for the transaction that
# took it, if it is still running.
_CLAIM = {dialect.dialect.name: dialect.insert(_keys)
          .values(tenant_id=bindparam("current_tenant"), id=bindparam("id"), scope=bindparam("scope"),
                  key=bindparam("key"), request_hash=bindparam("request_hash"), created_at=bindparam("created_at"))
          .on_conflict_do_nothing(index_elements=["tenant_id", "scope", "key"]).returning(_keys.c.id)
          for dialect in (postgresql, sqlite)}
_FIRST = select(_keys.c.request_hash, _keys.c.status_code, _keys.c.response).where(
    of_tenant(_keys), _keys.c.scope == bindparam("scope"), _keys.c.key == bindparam("key"))
_ANSWER = update(_keys).where(of_tenant(_keys), _keys.c.id == bindparam("claim_id")).values(
    status_code=bindparam("status_code"), response=bindparam("response"))


@periodic("idempotency.purge", seconds=3600)
def purge_expired(now: dt.datetime | None = None) -> int:
    """Forget keys older than a day (the window in which clients retry), in every shop."""
    with platform_scope():
        result = db.session.execute(delete(IdempotencyKey)
                                    .where(IdempotencyKey.created_at < (now or utcnow()) - KEEP_FOR))
        db.session.commit()
    return result.rowcount

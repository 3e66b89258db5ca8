"""Idempotency-Key for the API's money-moving requests (checkout, payment creation).

The first request with a key claims it with a row inserted in its own transaction, does its work
and stores its answer on the claim, all committed together — or nothing is, so a crash leaves no
claim behind. A duplicate that arrives meanwhile waits on the claim's unique index until the
first request ends, then answers as a replay: concurrent duplicates make one order and get one
answer. A replay gets the stored answer; the same key with another body is 422
`idempotency_key_reused`. Answers that are the request's fault (4xx) are stored too, as Stripe
does: the work runs in a savepoint, rolled back before such an answer is stored.

Keys of callers that belong to no shop (a reseller creating shops) are kept in a platform table
of the same shape: `idempotent(..., platform=True)`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Callable

from flask import jsonify, request
from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.errors import APIError
from core.ids import new_id
from core.jobs import periodic
from core.tenancy import TenantModel, execute, execute_platform, of_tenant, platform_scope

HEADER = "Idempotency-Key"
MAX_KEY = 120
KEEP_FOR = dt.timedelta(days=1)


class _Key:
    scope: Mapped[str] = mapped_column(String(80))  # whose key: "consumer:<id>"
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None until the answer is stored with the work
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(_Key, TenantModel):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "scope", "key"),)


class PlatformIdempotencyKey(_Key, db.Model):
    """The keys of callers of no shop. Platform table."""

    __tablename__ = "platform_idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)


def _fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def idempotent(scope: str, work: Callable[[], tuple[dict, int]], *, platform: bool = False) -> tuple[dict, int]:
    """Run `work` (which writes in the session but does not commit) once per Idempotency-Key,
    commit, and return its (body, status). The key is the current shop's, or with `platform` a
    platform one."""
    key = request.headers.get(HEADER)
    if key is None:
        try:
            body, status = work()
        except BaseException:
            db.session.rollback()  # a refusal leaves nothing half-written
            raise
        db.session.commit()
        return body, status
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise APIError("bad_request", f"{HEADER} must be 1 to {MAX_KEY} printable characters.")
    fingerprint = _fingerprint()
    keys = _PLATFORM if platform else _TENANT
    claim_id = keys.run(keys.claim[db.session.get_bind().dialect.name],
                        {"id": new_id(), "scope": scope, "key": key, "request_hash": fingerprint,
                         "created_at": utcnow()}).scalar()
    if claim_id is None:  # claimed by a request that has ended (a concurrent one was waited for)
        db.session.rollback()
        return _replay(keys, scope, key, fingerprint)
    savepoint = db.session.begin_nested()
    try:
        body, status = work()
    except APIError as error:
        if error.status >= 500:
            db.session.rollback()  # the claim goes too: a retry may succeed
            raise
        savepoint.rollback()
        _store(keys, claim_id, error.body(), error.status)
        raise
    except BaseException:
        db.session.rollback()
        raise
    _store(keys, claim_id, body, status)  # with the work: the answer and the order land together
    return body, status


def idempotent_created(scope: str, work: Callable[[], tuple[dict, int]], location: Callable[[dict], str], *,
                       platform: bool = False):
    """`idempotent` as a view's answer: the JSON body and its status, with a `Location` header
    (`location(body)`) when something was created (201) — a replayed refusal has none."""
    body, status = idempotent(scope, work, platform=platform)
    if status != 201:
        return jsonify(body), status
    return jsonify(body), status, {"Location": location(body)}


def _replay(keys: "_Statements", scope: str, key: str, fingerprint: str) -> tuple[dict, int]:
    first = keys.run(keys.first, {"scope": scope, "key": key}).first()
    if first is None:  # purged between the two statements: as good as unknown, but rare enough to refuse
        raise APIError("idempotency_in_progress")
    if first.request_hash != fingerprint:
        raise APIError("idempotency_key_reused")
    if first.status_code is None:  # left by an earlier version of this module, which committed claims first
        raise APIError("idempotency_in_progress")
    return first.response, first.status_code


def _store(keys: "_Statements", claim_id: int, body: dict, status: int) -> None:
    """Store the answer on the claim and commit (with whatever the session holds)."""
    keys.run(keys.answer, {"claim_id": claim_id, "status_code": status, "response": body})
    db.session.commit()


class _Statements:
    """The prepared statements over one table of keys: the claim (a new row, or none when the key
    is taken — after waiting for the transaction that took it, if it is still running), reading
    the first answer, storing it."""

    def __init__(self, table, *, of_shop: bool):
        shop = [of_tenant(table)] if of_shop else []
        values = {"id": bindparam("id"), "scope": bindparam("scope"), "key": bindparam("key"),
                  "request_hash": bindparam("request_hash"), "created_at": bindparam("created_at")}
        if of_shop:
            values["tenant_id"] = bindparam("current_tenant")
        unique = ["tenant_id", "scope", "key"] if of_shop else ["scope", "key"]
        self.claim = {dialect.dialect.name: dialect.insert(table).values(**values)
                      .on_conflict_do_nothing(index_elements=unique).returning(table.c.id)
                      for dialect in (postgresql, sqlite)}
        self.first = select(table.c.request_hash, table.c.status_code, table.c.response).where(
            *shop, table.c.scope == bindparam("scope"), table.c.key == bindparam("key"))
        self.answer = update(table).where(*shop, table.c.id == bindparam("claim_id")).values(
            status_code=bindparam("status_code"), response=bindparam("response"))
        self.run = execute if of_shop else execute_platform


_TENANT = _Statements(IdempotencyKey.__table__, of_shop=True)
_PLATFORM = _Statements(PlatformIdempotencyKey.__table__, of_shop=False)


@periodic("idempotency.purge", seconds=3600)
def purge_expired(now: dt.datetime | None = None) -> int:
    """Forget keys older than a day (the window in which clients retry), in every shop."""
    before = (now or utcnow()) - KEEP_FOR
    with platform_scope():
        purged = sum(db.session.execute(delete(model).where(model.created_at < before)).rowcount
                     for model in (IdempotencyKey, PlatformIdempotencyKey))
        db.session.commit()
    return purged

"""Caching for read paths (DESIGN.md §3 "Rendering and caching").

- Stamps: per tenant, a small map of data kinds ("app", "articles", "catalog" …) to version
  numbers. A write bumps its kind after commit; cache keys include the stamps they depend on, so
  invalidation is exact and no hot database row is written. Kept in Redis when configured (one
  hash per tenant: a single round trip reads them all), in process otherwise.
- A bounded in-process LRU holds rendered output keyed by those stamps; every worker keeps its
  own, which is safe because a key names exactly what it was made from."""

from __future__ import annotations

import collections
import hashlib
import logging
import os
import threading
import time
from typing import Any, Callable

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


class MemoryStamps:
    """Stamps in this process (the embedded default: one process)."""

    def __init__(self):
        self._data: dict[int, dict[str, int]] = collections.defaultdict(dict)
        self._lock = threading.Lock()

    def all(self, tenant_id: int) -> dict[str, int]:
        return dict(self._data.get(tenant_id, {}))

    def bump(self, tenant_id: int, kind: str) -> None:
        with self._lock:
            stamps = self._data[tenant_id]
            stamps[kind] = stamps.get(kind, 0) + 1


class UnknownStamps(dict):
    """What `RedisStamps.all` answers while Redis cannot be reached: every stamp is a value never
    seen before, so no cached entry matches and every read goes to the database (slower, never
    stale — a token revoked meanwhile is refused)."""

    def get(self, key, default=None):
        return object()

    def __getitem__(self, key):
        return object()


class RedisStamps:
    """Stamps in Redis, mirrored in every process so that a read costs no round trip: a bump
    publishes the tenant id, and each process's listener thread drops that tenant from its
    mirror. A generation counter stops a read that raced with a bump from storing the old value;
    mirrored entries also expire after a few seconds, in case a message is lost.

    Redis may go away. Reads then answer `UnknownStamps` (every cache misses); a bump that cannot
    be sent is kept and sent again when Redis answers — before any later bump, and by the
    listener as soon as it reconnects — so a write made during the outage (a revoked token)
    reaches every process once Redis is back. A bump never raises into the request that
    committed it."""

    CHANNEL = "tessera:stamps"
    SAFETY_SECONDS = 5.0

    def __init__(self, redis_url: str):
        import redis

        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        self._mirror: dict[int, tuple[float, dict[str, int]]] = {}
        self._generation: dict[int, int] = collections.defaultdict(int)
        self._lock = threading.Lock()
        self._listening_in: int | None = None
        self._unsent: set[tuple[int, str]] = set()

    def _key(self, tenant_id: int) -> str:
        return f"tessera:stamps:{tenant_id}"

    def _forget(self, tenant_id: int | None) -> None:
        with self._lock:
            if tenant_id is None:
                self._mirror.clear()
                for key in list(self._generation):
                    self._generation[key] += 1
            else:
                self._mirror.pop(tenant_id, None)
                self._generation[tenant_id] += 1

    def _ensure_listener(self) -> None:
        if self._listening_in == os.getpid():
            return
        with self._lock:
            if self._listening_in == os.getpid():
                return
            self._listening_in = os.getpid()  # after a fork the child listens for itself
            self._mirror.clear()
        threading.Thread(target=self._listen, name="tessera-stamps", daemon=True).start()

    def _listen(self) -> None:
        import redis

        while True:
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.CHANNEL)
                self._forget(None)  # whatever was published while we were not listening
                self._send_unsent()
                for message in pubsub.listen():
                    self._forget(int(message["data"]))
            except (redis.RedisError, OSError, ValueError):
                self._forget(None)
                time.sleep(1)

    def all(self, tenant_id: int) -> dict[str, int]:
        import redis

        self._ensure_listener()
        hit = self._mirror.get(tenant_id)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self._generation[tenant_id]
        try:
            if self._unsent:
                self._send_unsent()
            stamps = {k.decode(): int(v) for k, v in self.redis.hgetall(self._key(tenant_id)).items()}
        except (redis.RedisError, OSError):
            return UnknownStamps()
        with self._lock:
            if self._generation[tenant_id] == generation:
                self._mirror[tenant_id] = (now + self.SAFETY_SECONDS, stamps)
        return stamps

    def bump(self, tenant_id: int, kind: str) -> None:
        import redis

        self._forget(tenant_id)
        with self._lock:
            self._unsent.add((tenant_id, kind))
        try:
            self._send_unsent()
        except (redis.RedisError, OSError) as error:
            log.warning("stamp %s of tenant %s not sent (%s): it goes when Redis answers again", kind, tenant_id,
                        error)

    def _send_unsent(self) -> None:
        """Send the bumps kept while Redis was away (raises the Redis error if it still is)."""
        with self._lock:
            pending = sorted(self._unsent)
        if not pending:
            return
        pipe = self.redis.pipeline()
        for tenant_id, kind in pending:
            pipe.hincrby(self._key(tenant_id), kind, 1)
        for tenant_id in sorted({tenant_id for tenant_id, _ in pending}):
            pipe.publish(self.CHANNEL, tenant_id)
        pipe.execute()
        with self._lock:
            self._unsent.difference_update(pending)
        for tenant_id in {tenant_id for tenant_id, _ in pending}:
            self._forget(tenant_id)


class LRU:
    """A thread-safe LRU with per-entry expiry."""

    def __init__(self, size: int = 2048):
        self.size = size
        self._data: collections.OrderedDict[Any, tuple[float | None, Any]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            expires, value = hit
            if expires is not None and expires <= time.time():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key, value, *, expires_at: float | None = None) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._data[key] = (expires_at, value)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def stamps():
    return current_app.extensions["tessera_stamps"]


def remembered(cache: LRU, tenant_id: int, kind: str, key, compute: Callable[[], Any]) -> Any:
    """`compute()` remembered in `cache` for (tenant, key) until the tenant's `kind` stamp moves.
    The stamp is read before computing, so a change meanwhile makes the next read a miss."""
    stamp = stamps().all(tenant_id).get(kind, 0)
    hit = cache.get((tenant_id, key))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = compute()
    cache.set((tenant_id, key), (stamp, value))
    return value


def page_cache() -> LRU:
    """Rendered output (HTML pages, page API bodies); TESSERA_PAGE_CACHE_SIZE=0 turns it off."""
    return current_app.extensions["tessera_page_cache"]


def cached_json(tenant_id: int, kinds: tuple[str, ...], key: tuple, build: Callable[[], Any]) -> tuple[bytes, str]:
    """A public JSON answer as (body bytes, ETag), kept in the page cache under (tenant, `key`,
    the tenant's stamps of `kinds`) until one of those kinds changes. `key` must name everything
    else the answer depends on (endpoint, normalised arguments, currency …): never a consumer,
    so nothing personal goes through here. The stamps are read before `build()` runs, so a
    change meanwhile makes the next request a miss. Nothing is kept when `build()` raises."""
    tenant_stamps = stamps().all(tenant_id)
    full_key = ("json", tenant_id, key, kinds, tuple(tenant_stamps.get(kind, 0) for kind in kinds))
    cache = page_cache()
    hit = cache.get(full_key)
    if hit is None:
        body = current_app.json.dumps(build()).encode()
        hit = (body, hashlib.sha1(body).hexdigest()[:20])
        cache.set(full_key, hit)
    return hit


def compiled_cache() -> LRU:
    """Compiled live versions, one per tenant and version: structure, not output, so it stays on
    even when the page cache is off."""
    return current_app.extensions["tessera_compiled_cache"]


def bump_after_commit(tenant_id: int, kind: str) -> None:
    """Invalidate `kind` for a tenant once the current transaction commits."""
    from core.db import defer_until_commit

    defer_until_commit("bump", (tenant_id, kind))


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    from core.db import take_deferred

    bumps = take_deferred(session, "bump")
    if bumps:
        store = current_app.extensions["tessera_stamps"]
        for tenant_id, kind in set(bumps):
            store.bump(tenant_id, kind)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    app.extensions["tessera_stamps"] = RedisStamps(redis_url) if redis_url else MemoryStamps()
    app.extensions["tessera_page_cache"] = LRU(app.config.get("PAGE_CACHE_SIZE", 4096))
    app.extensions["tessera_compiled_cache"] = LRU(1024)

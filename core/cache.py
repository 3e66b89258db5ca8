"""Caching for read paths (DESIGN.md §3 "Rendering and caching").

- Stamps: per tenant, a small map of data kinds ("app", "articles", "catalog" …) to version
  numbers. A write bumps its kind after commit; cache keys include the stamps they depend on, so
  invalidation is exact and no hot database row is written. Kept in Redis when configured (one
  hash per tenant: a single round trip reads them all), in process otherwise.
- Rendered output (pages, public JSON) is kept with the stamps it was made under, and served
  only while they still hold: exact without any message. A bounded in-process LRU sits in front
  of Redis (when configured), which every process shares, so ten thousand shops cost each
  process no more renders than ten (`OutputCache`)."""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
import threading
import time
import zlib
from typing import Any, Callable, NamedTuple

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
    the listener checks its connection every few seconds and drops the whole mirror when it
    is lost (a message may have been missed meanwhile); mirrored entries also expire after a few
    minutes, the last resort.

    Redis may go away. Reads then answer `UnknownStamps` (every cache misses); a bump that cannot
    be sent is kept and sent again when Redis answers — before any later bump, and by the
    listener as soon as it reconnects — so a write made during the outage (a revoked token)
    reaches every process once Redis is back. A bump never raises into the request that
    committed it."""

    CHANNEL = "tessera:stamps"
    SAFETY_SECONDS = 300.0
    HEALTH_SECONDS = 10

    def __init__(self, redis_url: str):
        import redis

        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2,
                                          health_check_interval=self.HEALTH_SECONDS)
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
                while True:
                    # get_message checks the connection's health every HEALTH_SECONDS (a PING that
                    # must be answered): a connection that died silently raises here
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
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


class Output(NamedTuple):
    """Rendered output: its bytes, their ETag, and the data kinds it was made from with the
    stamps they had then (it is served only while those stamps hold)."""

    body: bytes
    etag: str
    kinds: tuple[str, ...]
    seen: tuple[int, ...]

    @classmethod
    def made(cls, body: bytes, kinds: tuple[str, ...], tenant_stamps: dict[str, int]) -> "Output":
        """Output of `body`, made from `kinds` as `tenant_stamps` (read before making it) stood."""
        return cls(body, hashlib.sha1(body).hexdigest()[:20], tuple(kinds),
                   tuple(tenant_stamps.get(kind, 0) for kind in kinds))

    def holds(self, tenant_stamps: dict[str, int]) -> bool:
        return all(tenant_stamps.get(kind, 0) == seen for kind, seen in zip(self.kinds, self.seen))


class OutputCache:
    """Rendered output for anonymous visitors, keyed by (tenant id, what was asked): a bounded
    LRU in this process in front of Redis, which every process shares (when a URL is given).

    Redis holds each entry compressed, for `seconds` at most (or until the output's own expiry),
    never one larger than `MAX_BYTES`; its memory is bounded by the server's `maxmemory`
    (docs/scaling.md: a cache-only Redis with `allkeys-lru`). A Redis that cannot be reached is
    left alone for a few seconds and the cache works in process meanwhile: never an error, never
    a stale answer (entries name the stamps they were made under)."""

    PREFIX = "tessera:out:"
    MAX_BYTES = 1 << 20
    PAUSE_SECONDS = 5.0

    def __init__(self, size: int, redis_url: str | None = None, seconds: int = 3600):
        self.local = LRU(size)
        self.seconds = seconds
        self.redis = None
        if redis_url and size:
            import redis

            self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        self._paused_until = 0.0

    @property
    def enabled(self) -> bool:
        return self.local.size > 0

    def _redis_key(self, tenant_id: int, key: tuple) -> str:
        return f"{self.PREFIX}{tenant_id}:{hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()}"

    def _shared(self):
        return self.redis if self.redis is not None and time.monotonic() >= self._paused_until else None

    def _pause(self, error: Exception) -> None:
        log.warning("shared output cache unavailable (%s): in process only for %ss", error, self.PAUSE_SECONDS)
        self._paused_until = time.monotonic() + self.PAUSE_SECONDS

    def get(self, tenant_id: int, key: tuple, tenant_stamps: dict[str, int] | None = None) -> Output | None:
        """The output kept under `key`: this process's, or the one every process shares. Given
        the tenant's stamps, only an output made under them: one this process kept from before a
        change gives way to the one another process has made since."""
        hit = self.local.get((tenant_id, key))
        if hit is not None and (tenant_stamps is None or hit.holds(tenant_stamps)):
            return hit
        shared = self._shared()
        if shared is None:
            return hit
        import redis

        try:
            stored = shared.get(self._redis_key(tenant_id, key))
        except (redis.RedisError, OSError) as error:
            self._pause(error)
            return hit
        if stored is None:
            return hit
        header, _, body = stored.partition(b"\n")
        etag, kinds, seen, expires_at = json.loads(header)
        if expires_at is not None and expires_at <= time.time():
            return hit
        output = Output(zlib.decompress(body), etag, tuple(kinds), tuple(seen))
        self.local.set((tenant_id, key), output, expires_at=expires_at)
        return output

    def set(self, tenant_id: int, key: tuple, output: Output, *, expires_at: float | None = None) -> None:
        if not self.enabled:
            return
        self.local.set((tenant_id, key), output, expires_at=expires_at)
        shared = self._shared()
        if shared is None or len(output.body) > self.MAX_BYTES or not all(type(s) is int for s in output.seen):
            return  # (stamps unknown while Redis was away: the output is for this request only)
        milliseconds = int(1000 * (self.seconds if expires_at is None else min(self.seconds, expires_at - time.time())))
        if milliseconds <= 0:
            return
        import redis

        header = json.dumps([output.etag, output.kinds, output.seen, expires_at]).encode()
        try:
            shared.set(self._redis_key(tenant_id, key), header + b"\n" + zlib.compress(output.body, 1), px=milliseconds)
        except (redis.RedisError, OSError) as error:
            self._pause(error)

    def clear(self) -> None:
        """This process's entries (tests; the shared ones expire or are passed over by their stamps)."""
        self.local.clear()


def page_cache() -> OutputCache:
    """Rendered output (HTML pages, page API bodies, public JSON); TESSERA_PAGE_CACHE_SIZE=0 turns
    it off."""
    return current_app.extensions["tessera_page_cache"]


def cached_output(tenant_id: int, key: tuple, tenant_stamps: dict[str, int],
                  make: Callable[[], tuple[Output, float | None] | None]) -> Output | None:
    """The output `key` names for a tenant, made by `make()` (→ the output and when it expires, or
    None; None when there is nothing to make: nothing is kept then) unless one made under the
    stamps that still hold is kept. `key` must name everything
    else the output depends on — never a consumer: nothing personal goes through here.
    `tenant_stamps` must be read before `make()` runs, so a change meanwhile makes the next
    request a miss. Nothing is kept when `make()` raises."""
    cache = page_cache()
    hit = cache.get(tenant_id, key, tenant_stamps)
    if hit is not None and hit.holds(tenant_stamps):
        return hit
    made = make()
    if made is None:
        return None
    output, expires_at = made
    cache.set(tenant_id, key, output, expires_at=expires_at)
    return output


def cached_json(tenant_id: int, kinds: tuple[str, ...], key: tuple, build: Callable[[], Any]) -> tuple[bytes, str]:
    """A public JSON answer as (body bytes, ETag), kept under (tenant, `key`) until one of the
    tenant's stamps of `kinds` moves (`cached_output`)."""
    tenant_stamps = stamps().all(tenant_id)

    def make() -> tuple[Output, None]:
        return Output.made(current_app.json.dumps(build()).encode(), kinds, tenant_stamps), None

    output = cached_output(tenant_id, ("json", *key), tenant_stamps, make)
    return output.body, output.etag


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
    app.extensions["tessera_page_cache"] = OutputCache(app.config.get("PAGE_CACHE_SIZE", 4096),
                                                       redis_url,
                                                       app.config.get("PAGE_CACHE_SECONDS", 3600))
    app.extensions["tessera_compiled_cache"] = LRU(1024)

"""Caching for read paths (DESIGN.md §3 "Rendering and caching").

- Stamps: per tenant, a small map of data kinds ("app", "articles", "catalog" …) to version
  numbers. A write bumps its kind after commit; cache keys include the stamps they depend on, so
  invalidation is exact and no hot database row is written. Kept in Redis when configured (one
  hash per tenant: a single round trip reads them all), in process otherwise.
- A bounded in-process LRU holds rendered output keyed by those stamps; every worker keeps its
  own, which is safe because a key names exactly what it was made from."""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session


class MemoryStamps:
    def __init__(self):
        self._data: dict[int, dict[str, int]] = collections.defaultdict(dict)
        self._lock = threading.Lock()

    def all(self, tenant_id: int) -> dict[str, int]:
        return dict(self._data.get(tenant_id, {}))

    def bump(self, tenant_id: int, kind: str) -> None:
        with self._lock:
            stamps = self._data[tenant_id]
            stamps[kind] = stamps.get(kind, 0) + 1

    def set(self, tenant_id: int, kind: str, value: int) -> None:
        with self._lock:
            self._data[tenant_id][kind] = value


class RedisStamps:
    def __init__(self, redis_url: str):
        import redis

        self.redis = redis.Redis.from_url(redis_url)

    def _key(self, tenant_id: int) -> str:
        return f"tessera:stamps:{tenant_id}"

    def all(self, tenant_id: int) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.redis.hgetall(self._key(tenant_id)).items()}

    def bump(self, tenant_id: int, kind: str) -> None:
        self.redis.hincrby(self._key(tenant_id), kind, 1)

    def set(self, tenant_id: int, kind: str, value: int) -> None:
        self.redis.hset(self._key(tenant_id), kind, value)


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


def page_cache() -> LRU:
    return current_app.extensions["tessera_page_cache"]


def bump_after_commit(tenant_id: int, kind: str) -> None:
    """Invalidate `kind` for a tenant once the current transaction commits."""
    from core.db import db

    db.session().info.setdefault("tessera_bumps", set()).add((tenant_id, kind))


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    bumps = session.info.pop("tessera_bumps", None)
    if bumps:
        store = current_app.extensions["tessera_stamps"]
        for tenant_id, kind in bumps:
            store.bump(tenant_id, kind)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("tessera_bumps", None)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    app.extensions["tessera_stamps"] = RedisStamps(redis_url) if redis_url else MemoryStamps()
    app.extensions["tessera_page_cache"] = LRU(app.config.get("PAGE_CACHE_SIZE", 4096))

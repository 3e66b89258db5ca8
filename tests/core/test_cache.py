"""Stamps and the output cache: invalidation is exact, in one process and across processes."""

from __future__ import annotations

import time

import pytest

from core.cache import LRU, MemoryStamps, RedisStamps
from tests.conftest import REDIS_URL


def test_memory_stamps_bump():
    stamps = MemoryStamps()
    assert stamps.all(1) == {}
    stamps.bump(1, "app")
    stamps.bump(1, "app")
    stamps.bump(2, "articles")
    assert (stamps.all(1), stamps.all(2)) == ({"app": 2}, {"articles": 1})


def test_lru_evicts_expires_and_can_be_off():
    cache = LRU(2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.get("a")
    cache.set("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.set("d", 4, expires_at=time.time() - 1)
    assert cache.get("d") is None
    off = LRU(0)
    off.set("a", 1)
    assert off.get("a") is None


def test_redis_stamps_reach_every_process_at_once():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    redis.Redis.from_url(REDIS_URL).delete("tessera:stamps:77")
    one, two = RedisStamps(REDIS_URL), RedisStamps(REDIS_URL)  # as two gunicorn workers
    assert one.all(77) == two.all(77) == {}
    time.sleep(0.2)  # both listeners subscribed
    one.bump(77, "app")
    assert one.all(77) == {"app": 1}
    deadline = time.time() + 2
    while two.all(77) != {"app": 1} and time.time() < deadline:
        time.sleep(0.01)
    assert two.all(77) == {"app": 1}

"""Application-made 63-bit ids: time-ordered, unique across threads and forked processes."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from core import ids
from core.ids import EPOCH_MS, IdGenerator, id_time_ms


def test_ids_fit_in_63_bits_and_increase():
    generator = IdGenerator(lambda: 5)
    values = [generator() for _ in range(10_000)]
    assert all(0 < v < 2**63 for v in values)
    assert values == sorted(values) and len(set(values)) == len(values)


def test_ids_decode_their_time():
    before = int(time.time() * 1000)
    value = IdGenerator(lambda: 1)()
    assert before - 1 <= id_time_ms(value) <= int(time.time() * 1000) + 1
    assert id_time_ms(value) > EPOCH_MS


def test_unique_across_threads():
    generator = IdGenerator(lambda: 7)
    results: list[list[int]] = [[] for _ in range(8)]

    def work(index):
        results[index] = [generator() for _ in range(20_000)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [v for chunk in results for v in chunk]
    assert len(set(everything)) == len(everything) == 160_000


def test_sequence_overflow_waits_for_the_next_millisecond(monkeypatch):
    now = [1_800_000_000.0]
    generator = IdGenerator(lambda: 1, clock=lambda: now[0])

    def tick(seconds):  # the generator sleeps when a millisecond is used up: let time move
        now[0] += 0.001

    monkeypatch.setattr(ids.time, "sleep", tick)
    values = [generator() for _ in range(4096 + 10)]
    assert len(set(values)) == len(values)
    assert id_time_ms(values[-1]) == id_time_ms(values[0]) + 1


def test_clock_stepping_back_keeps_ids_increasing():
    now = [1_800_000_000.5]
    generator = IdGenerator(lambda: 3, clock=lambda: now[0])
    first = generator()
    now[0] -= 5  # NTP stepped the clock back five seconds
    second = generator()
    assert second > first


def _child(lock_dir, queue):
    ids.node_claim.lock_dir = lock_dir
    queue.put([ids.new_id() for _ in range(5_000)])


def test_forked_processes_claim_their_own_nodes(tmp_path):
    ids.node_claim.lock_dir = tmp_path
    ids.new_id()  # the parent claims a node before forking, as a gunicorn master would
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_child, args=(tmp_path, queue)) for _ in range(4)]
    for child in children:
        child.start()
    batches = [queue.get(timeout=30) for _ in children]
    for child in children:
        child.join(timeout=30)
    everything = [v for batch in batches for v in batch]
    assert len(set(everything)) == len(everything) == 20_000
    nodes = {(v >> 12) & 1023 for v in everything}
    assert len(nodes) == 4


def test_redis_node_claims_differ():
    import redis

    from tests.conftest import REDIS_URL

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    claim = ids._NodeClaim()
    claim.redis_url = REDIS_URL
    assert claim() != claim()


@pytest.mark.parametrize("raw, expected", [("42", 42), (42, 42), ("²", None), ("0", None), ("-1", None), (True, None),
                                           (str(2**63), None), (str(2**63 - 1), 2**63 - 1), ("1 ", None), (None, None)])
def test_parse_id_takes_only_ids_a_bigint_can_hold(raw, expected):
    assert ids.parse_id(raw) == expected


def test_routes_answer_404_for_ids_no_row_can_have(client, tenant_a):
    headers = {"X-Tenant": tenant_a.slug}
    assert client.get(f"/api/v1/items/{2**63}", headers=headers).status_code == 404
    assert client.get("/api/v1/items/0", headers=headers).status_code == 404
    answer = client.get("/api/v1/items?cursor=%C2%B2", headers=headers)
    assert answer.status_code == 422 and answer.json["error"]["fields"]["cursor"]

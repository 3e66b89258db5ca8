"""Idempotency keys: the work runs once per key and its answer (a refusal too) is replayed; a
failure leaves no claim; keys are kept a day, then purged in every shop by the hourly sweep."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import db, utcnow
from core.errors import APIError
from core.idempotency import HEADER, IdempotencyKey, idempotent, purge_expired
from core.jobs import PERIODIC
from core.tenancy import platform_scope, tenant_scope

pytestmark = pytest.mark.citus  # also on the Citus cluster (tests/conftest.py)


def test_keys_older_than_a_day_are_purged_in_every_shop(db_session, tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        with tenant_scope(tenant):
            db.session.add_all([IdempotencyKey(scope="consumer:1", key="old", request_hash="0" * 64,
                                               created_at=utcnow() - dt.timedelta(days=2)),
                                IdempotencyKey(scope="consumer:1", key="new", request_hash="0" * 64)])
            db.session.flush()
    assert purge_expired() == 2
    with platform_scope():
        assert sorted(k.key for k in db.session.query(IdempotencyKey)) == ["new", "new"]
    assert PERIODIC["idempotency.purge"] == 3600


def _keyed(app, tenant, work, *, body=None, key="k-1"):
    """Run `idempotent` as a keyed request of `tenant` would."""
    with app.test_request_context("/api/v1/things", method="POST", json=body or {"n": 1}, headers={HEADER: key}), \
            tenant_scope(tenant):
        return idempotent("consumer:1", work)


def _stored(tenant) -> list[tuple]:
    with tenant_scope(tenant):
        return [(k.key, k.status_code, k.response) for k in db.session.query(IdempotencyKey)]


def test_the_work_runs_once_and_its_answer_is_replayed(app, db_session, tenant_a):
    runs = []

    def work():
        runs.append(1)
        return {"made": len(runs)}, 201

    assert _keyed(app, tenant_a, work) == ({"made": 1}, 201)
    assert _keyed(app, tenant_a, work) == ({"made": 1}, 201)
    assert runs == [1]
    with pytest.raises(APIError) as reused:
        _keyed(app, tenant_a, work, body={"n": 2})
    assert reused.value.code == "idempotency_key_reused"
    assert _stored(tenant_a) == [("k-1", 201, {"made": 1})]


def test_a_refusal_is_stored_and_what_the_work_wrote_before_it_is_undone(app, db_session, tenant_a):
    def work():
        db.session.add(IdempotencyKey(scope="other", key="written-by-the-work", request_hash="0" * 64))
        db.session.flush()
        raise APIError("out_of_stock", extra={"sku_id": "7"})

    with pytest.raises(APIError) as refused:
        _keyed(app, tenant_a, work)
    assert (refused.value.status, refused.value.code) == (409, "out_of_stock")
    answer = refused.value.body()
    assert _stored(tenant_a) == [("k-1", 409, answer)]  # and not the row the work wrote
    assert _keyed(app, tenant_a, work) == (answer, 409)  # the replay answers it without running the work


def test_a_failure_leaves_no_claim_so_a_retry_runs(app, db_session, tenant_a):
    def broken():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        _keyed(app, tenant_a, broken)
    assert _stored(tenant_a) == []
    assert _keyed(app, tenant_a, lambda: ({"made": 1}, 201)) == ({"made": 1}, 201)

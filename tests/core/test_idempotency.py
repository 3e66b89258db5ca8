"""Idempotency keys are kept a day, then purged in every shop by the hourly sweep."""

from __future__ import annotations

import datetime as dt

from core.db import db, utcnow
from core.idempotency import IdempotencyKey, purge_expired
from core.jobs import PERIODIC
from core.tenancy import platform_scope, tenant_scope


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

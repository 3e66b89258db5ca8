"""Real concurrent requests against a real server and database: races end in one winner and
clear refusals, never a 500 or "database is locked", and tenants never see each other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.consumers import Consumer
from core.db import db
from core.tenancy import tenant_scope
from tenants.services import create_tenant
from tests.conftest import http_json

pytestmark = [pytest.mark.live, pytest.mark.citus]


def _tenants(app, *slugs):
    with app.app_context():
        tenants = [create_tenant(slug=slug, name=slug) for slug in slugs]
        db.session.commit()
        return tenants


def _consumers(app, tenant):
    with app.app_context(), tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Consumer))


def test_concurrent_registrations_of_one_email_make_one_account(live_server):
    (tenant,) = _tenants(live_server.app, "race-shop")
    body = {"email": "race@example.com", "password": "password123"}
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: http_json("POST", f"{live_server.url}/api/v1/auth/register", body,
                                                     {"X-Tenant": "race-shop"}), range(24)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1
    assert statuses.count(409) == 23
    assert {body["error"]["code"] for status, body in results if status == 409} <= {"already_exists", "conflict"}
    assert _consumers(live_server.app, tenant) == 1


def test_concurrent_writes_all_succeed(live_server):
    (tenant,) = _tenants(live_server.app, "busy-shop")
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: http_json(
            "POST", f"{live_server.url}/api/v1/auth/register",
            {"email": f"user{i}@example.com", "password": "password123"}, {"X-Tenant": "busy-shop"}), range(32)))
    assert [status for status, _ in results] == [201] * 32
    assert _consumers(live_server.app, tenant) == 32


def test_a_one_time_code_works_once_under_concurrency(live_server):
    _tenants(live_server.app, "code-shop")
    headers = {"X-Tenant": "code-shop"}
    _, sent = http_json("POST", f"{live_server.url}/api/v1/auth/code", {"phone": "13600000000"}, headers)
    body = {"phone": "13600000000", "code": sent["sandbox_code"]}
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: http_json("POST", f"{live_server.url}/api/v1/auth/code/verify", body,
                                                     headers)[0], range(12)))
    assert sorted(statuses) == [200] + [401] * 11


def test_interleaved_tenants_never_see_each_other(live_server):
    _tenants(live_server.app, "left-shop", "right-shop")
    tokens = {}
    for slug in ("left-shop", "right-shop"):
        _, body = http_json("POST", f"{live_server.url}/api/v1/auth/register",
                            {"email": f"me@{slug}.example", "password": "password123"}, {"X-Tenant": slug})
        tokens[slug] = body["token"]

    def me(slug):
        status, body = http_json("GET", f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {tokens[slug]}"})
        return slug, status, body["consumer"]["email"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(me, ["left-shop", "right-shop"] * 30))
    assert all(status == 200 and email == f"me@{slug}.example" for slug, status, email in results)

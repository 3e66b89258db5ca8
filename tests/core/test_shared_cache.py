"""The caches every process shares (issue 20, "flat in tenants"): rendered output and the tenant
directory in Redis, in front of which each process keeps its own bounded LRU. Two apps on one
database and one Redis stand for two gunicorn workers."""

from __future__ import annotations

import time

import pytest

from core.cache import Output, OutputCache
from tests.conftest import REDIS_URL, dispose_app, make_app


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    return client


def _output(body: bytes, **stamps) -> Output:
    return Output.made(body, tuple(stamps), stamps)


def test_output_is_shared_between_processes_and_served_only_while_its_stamps_hold():
    _redis().flushdb()
    one, two = OutputCache(8, REDIS_URL), OutputCache(8, REDIS_URL)
    one.set(5, ("html", "home"), _output(b"<p>hello</p>" * 100, app=3, catalog=7))
    kept = two.get(5, ("html", "home"))
    assert kept.body == b"<p>hello</p>" * 100 and kept.etag == one.get(5, ("html", "home")).etag
    assert kept.holds({"app": 3, "catalog": 7, "articles": 9})
    assert not kept.holds({"app": 4, "catalog": 7})  # published since: not served
    assert not kept.holds({"catalog": 7})  # (Redis lost its stamps: nothing matches a made stamp)
    assert two.get(6, ("html", "home")) is None  # another shop's key


def test_shared_output_expires_and_is_bounded():
    _redis().flushdb()
    one, two = OutputCache(8, REDIS_URL), OutputCache(8, REDIS_URL)
    one.set(5, ("countdown",), _output(b"ends soon"), expires_at=time.time() + 0.5)
    assert two.get(5, ("countdown",)).body == b"ends soon"
    time.sleep(0.6)
    assert OutputCache(8, REDIS_URL).get(5, ("countdown",)) is None
    one.set(5, ("huge",), _output(b"x" * (OutputCache.MAX_BYTES + 1)))
    assert one.get(5, ("huge",)) is not None  # kept in the process that made it, not shared
    assert two.get(5, ("huge",)) is None
    ttl = _redis().ttl(one._redis_key(5, ("countdown",)))
    assert ttl == -2  # gone from Redis, not only unreadable
    one.set(5, ("plain",), _output(b"kept an hour"))
    assert 0 < _redis().ttl(one._redis_key(5, ("plain",))) <= one.seconds


def test_without_redis_the_cache_works_in_process_and_never_raises():
    started = time.monotonic()
    away = OutputCache(8, "redis://127.0.0.1:1/0")
    away.set(5, ("html",), _output(b"page"))
    assert away.get(5, ("html",)).body == b"page"
    assert away.get(5, ("other",)) is None
    assert time.monotonic() - started < 3  # one failed connection, then Redis is left alone a while
    off = OutputCache(0, REDIS_URL)
    off.set(5, ("html",), _output(b"page"))
    assert off.get(5, ("html",)) is None


@pytest.fixture
def two_workers(live_database, tmp_path):
    _redis().flushdb()
    apps = [make_app(live_database, tmp_path, REDIS_URL=REDIS_URL) for _ in range(2)]
    yield apps
    for app in apps:
        dispose_app(app)


def _open_shop(app, slug: str) -> None:
    from core.db import db
    from core.tenancy import tenant_scope
    from templates_library.services import instantiate
    from tenants.services import create_tenant

    with app.app_context():
        tenant = create_tenant(slug=slug, name="Shared Shop")
        with tenant_scope(tenant):
            instantiate("ecommerce", actor="test")
        db.session.commit()


def _rename(app, slug: str, name: str) -> None:
    from core.db import db
    from core.tenancy import find_tenant, tenant_scope
    from runtime.services import get_app, publish, save_draft

    with app.app_context():
        with tenant_scope(find_tenant(slug)):
            current = get_app()
            document = current.draft
            document["app"]["name"] = name
            save_draft(document=document, revision=current.revision, actor="test")
            publish(note="renamed", actor="test")
        db.session.commit()


def _eventually(check, seconds: float = 3.0):
    deadline = time.time() + seconds
    while not check() and time.time() < deadline:
        time.sleep(0.02)
    assert check()


def test_a_page_rendered_by_one_worker_is_served_by_the_other_until_the_shop_publishes(two_workers, monkeypatch):
    one, two = two_workers
    _open_shop(one, "shared")
    first = one.test_client().get("/s/shared/")
    assert first.status_code == 200 and "Shared Shop" in first.text
    api = one.test_client().get("/api/v1/pages/home", headers={"X-Tenant": "shared"})
    assert api.status_code == 200

    import runtime.api
    import runtime.renderer

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again")

    with monkeypatch.context() as patched:
        patched.setattr(runtime.renderer, "render_page", no_render)
        patched.setattr(runtime.api, "load_page", no_render)
        kept = two.test_client().get("/s/shared/")
        assert kept.status_code == 200 and kept.data == first.data and kept.headers["ETag"] == first.headers["ETag"]
        kept_api = two.test_client().get("/api/v1/pages/home", headers={"X-Tenant": "shared"})
        assert kept_api.data == api.data
    _rename(one, "shared", "Renamed Shop")
    _eventually(lambda: "Renamed Shop" in two.test_client().get("/s/shared/").text)
    assert api.json["version"] == 1
    assert two.test_client().get("/api/v1/pages/home", headers={"X-Tenant": "shared"}).json["version"] == 2
    with monkeypatch.context() as patched:  # the first worker, holding the old page, takes the new one
        patched.setattr(runtime.renderer, "render_page", no_render)
        assert "Renamed Shop" in one.test_client().get("/s/shared/").text


def test_a_shop_suspended_by_one_worker_is_refused_by_the_other_at_once(two_workers):
    from core.db import db
    from core.tenancy import find_tenant
    from tenants.services import resume_tenant, suspend_tenant

    one, two = two_workers
    _open_shop(one, "closing")
    assert two.test_client().get("/s/closing/").status_code == 200  # the directory keeps the shop
    with one.app_context():
        suspend_tenant(tenant=find_tenant("closing"), reason="unpaid")
        db.session.commit()
    _eventually(lambda: two.test_client().get("/s/closing/").status_code == 403, seconds=1.0)
    assert two.test_client().get("/api/v1/items", headers={"X-Tenant": "closing"}).status_code == 403
    with one.app_context():
        resume_tenant(tenant=find_tenant("closing"))
        db.session.commit()
    _eventually(lambda: two.test_client().get("/s/closing/").status_code == 200, seconds=1.0)


def test_random_names_of_no_shop_and_a_shop_not_yet_open_cost_no_render(two_workers, monkeypatch):
    from core.db import db
    from tenants.services import create_tenant

    one, _ = two_workers
    with one.app_context():
        create_tenant(slug="soon", name="Soon")
        db.session.commit()
    client = one.test_client()
    first_unknown, first_soon = client.get("/s/no-such-shop/"), client.get("/s/soon/")
    assert first_unknown.status_code == 404 and "There is no shop at this address" in first_unknown.text
    assert first_soon.status_code == 404 and "Opening soon" in first_soon.text

    import core.errors
    import runtime.storefront

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(core.errors, "render_template", no_render)
    monkeypatch.setattr(runtime.storefront, "render_template", no_render)
    for k in range(20):
        assert client.get(f"/s/no-shop-{k}/").data == first_unknown.data
    assert client.get("/s/soon/").data == first_soon.data

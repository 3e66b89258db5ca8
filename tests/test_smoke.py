"""Probes, error bodies and the limits every API shares."""

from __future__ import annotations

import io

import pytest

from tests.conftest import REDIS_URL, dispose_app, make_app


def test_health(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_ready_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_ready_checks_redis_when_configured(database_url, tmp_path):
    if not _redis_up():
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    app = make_app(database_url, tmp_path, REDIS_URL=REDIS_URL)
    assert app.test_client().get("/readyz").json["checks"] == {"database": "ok", "redis": "ok"}
    down = make_app(database_url, tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("error")
    dispose_app(app)
    dispose_app(down)


def test_unknown_api_route_is_json_404(client, db_session, tenant_a):
    response = client.get("/api/v1/nothing-here", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found", "message": "Nothing here."}}


def test_wrong_method_is_json_405(client, db_session, tenant_a):
    response = client.get("/api/v1/auth/login", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_oversized_json_is_refused(client, db_session, tenant_a):
    response = client.post("/api/v1/auth/register", data="{" + " " * 1_100_000 + "}",
                           content_type="application/json", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_unknown_console_page_is_an_html_404(client, db_session):
    response = client.get("/console/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_nul_character_is_refused_in_any_text_a_request_sends(client, db_session, tenant_a):
    """PostgreSQL's text cannot hold U+0000: refused up front (400 nul_in_text) on every backend,
    in the query string, a JSON body, form fields; an uploaded file may hold any byte."""
    shop = {"X-Tenant": tenant_a.slug}
    refused = [
        client.get("/api/v1/items?q=a%00b", headers=shop),
        client.post("/api/v1/auth/register", json={"email": "a\x00@example.com", "password": "secret-123"},
                    headers=shop),
        client.post("/api/v1/auth/register", json={"nested": [{"a\x00": 1}]}, headers=shop),
        client.post("/api/v1/nowhere", data={"name": "a\x00b"}, content_type="multipart/form-data", headers=shop),
    ]
    for answer in refused:
        assert (answer.status_code, answer.json["error"]["code"]) == (400, "nul_in_text"), answer.json
    page = client.post("/console/login", data={"email": "a\x00b", "password": "x"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "U+0000" in page.get_data(as_text=True)
    # the text "\u0000" (a backslash, then u0000) and a file's NUL bytes are fine
    literal = client.post("/api/v1/nowhere", json={"note": "\\u0000"}, headers=shop)
    upload = client.post("/api/v1/nowhere", data={"file": (io.BytesIO(b"\x89PNG\x00\x00"), "a.png")},
                         content_type="multipart/form-data", headers=shop)
    assert literal.status_code == upload.status_code == 404


@pytest.mark.live
def test_api_login_is_rate_limited(live_database, tmp_path):
    from core.db import db
    from tenants.services import create_tenant

    from core.security import limiter

    app = make_app(live_database, tmp_path, AUTH_RATE_LIMIT="10/minute")
    limiter.reset()
    with app.app_context():
        create_tenant(slug="limited-shop", name="Limited")
        db.session.commit()
        client = app.test_client()
        body = {"login": "nobody@example.com", "password": "wrong-password"}
        statuses = [client.post("/api/v1/auth/login", json=body, headers={"X-Tenant": "limited-shop"}).status_code
                    for _ in range(11)]
        assert statuses == [401] * 10 + [429]
        limited = client.post("/api/v1/auth/login", json=body, headers={"X-Tenant": "limited-shop"})
        assert limited.json["error"]["code"] == "rate_limited"
        assert limited.headers["X-RateLimit-Limit"] == "10" and limited.headers["X-RateLimit-Remaining"] == "0"
        # a view without a limit answers without the limiter's headers
        assert "X-RateLimit-Limit" not in client.get("/api/v1/items", headers={"X-Tenant": "limited-shop"}).headers
    dispose_app(app)


def test_responses_carry_security_headers(client, db_session):
    response = client.get("/console/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    answer = client.get("/api/v1/items")  # JSON: no page policy, the other headers
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in answer.headers
    assert len(answer.headers.getlist("X-Content-Type-Options")) == 1

"""Production mode, session cookies, HSTS, trusted proxies, sign-in limits and one-time codes as an
attacker meets them: every test here failed on the code before the hardening."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from core.config import load_config
from core.consumers import Consumer, LoginCode
from core.db import db
from core.security import limiter
from core.tenancy import tenant_scope
from tests.conftest import dispose_app, http_json, make_app

DATA_KEY = "7Jc1uJ0b5E0fHq4pA3yJ8q9x3gqJXvQ2mK0yQv8n5_Q="


def production_settings(tmp_path, **environ) -> dict:
    """The configuration `TESSERA_ENV=production` derives, as create_app would get it."""
    settings = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_ENV": "production",
                            "SECRET_KEY": "p" * 40, "TESSERA_DATA_KEYS": DATA_KEY, **environ})
    settings.pop("SQLALCHEMY_DATABASE_URI")
    return settings


@pytest.fixture
def limits_reset():
    limiter.reset()
    yield
    limiter.reset()


def _staff_sign_in(client, email: str, base_url: str = "http://localhost") -> object:
    from tests.conftest import csrf_token_of

    token = csrf_token_of(client.get("/merchant/login", base_url=base_url).get_data(as_text=True))
    return client.post("/merchant/login", data={"csrf_token": token, "email": email, "password": "password123"},
                       base_url=base_url, headers={"Referer": f"{base_url}/merchant/login"})


def _session_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("tessera_session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_the_staff_session_cookie_is_named_httponly_lax_and_lasts_twelve_hours(client, db_session, create_staff,
                                                                                  tenant_a):
    identity = create_staff(tenant_a)
    signed_in = _staff_sign_in(client, identity.email)
    cookie = _session_cookie(signed_in)
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie and "; Path=/" in cookie
    assert "; Secure" not in cookie  # development speaks plain HTTP on localhost
    expires = dt.datetime.strptime(cookie.split("Expires=")[1].split(";")[0], "%a, %d %b %Y %H:%M:%S GMT")
    in_hours = (expires.replace(tzinfo=dt.timezone.utc) - dt.datetime.now(dt.timezone.utc)).total_seconds() / 3600
    assert 11.9 < in_hours <= 12


@pytest.mark.live
def test_production_cookies_are_secure_and_sandboxes_are_gone(live_database, tmp_path):
    from core.identities import add_staff, create_identity
    from tenants.services import create_tenant

    app = make_app(live_database, tmp_path, **production_settings(tmp_path, TESSERA_SMS_PROVIDER="log"))
    with app.app_context():
        tenant = create_tenant(slug="prod-shop", name="Prod")
        identity = create_identity(email="owner@prod.example", password="password123")
        with tenant_scope(tenant):
            add_staff(identity=identity, role="owner")
        db.session.commit()
        client = app.test_client()
        cookie = _session_cookie(_staff_sign_in(client, "owner@prod.example", base_url="https://localhost"))
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
        sent = client.post("/api/v1/auth/code", json={"phone": "13800000009"}, headers={"X-Tenant": "prod-shop"})
        assert sent.status_code == 202 and sent.json == {"sent": True}  # no sandbox_code
        logged = (tmp_path / "sms.log").read_text()
        assert "13800000009" in logged
        code = logged.split("code is ")[1][:6]
        signed_in = client.post("/api/v1/auth/code/verify", json={"phone": "13800000009", "code": code},
                                headers={"X-Tenant": "prod-shop"})
        assert signed_in.status_code == 200 and signed_in.json["consumer"]["phone"] == "13800000009"
    dispose_app(app)


@pytest.mark.live
def test_production_without_an_sms_provider_refuses_codes_and_writes_nothing(live_database, tmp_path):
    from tenants.services import create_tenant

    app = make_app(live_database, tmp_path, **production_settings(tmp_path))
    with app.app_context():
        tenant = create_tenant(slug="quiet-shop", name="Quiet")
        db.session.commit()
    answer = app.test_client().post("/api/v1/auth/code", json={"phone": "13800000010"},
                                    headers={"X-Tenant": "quiet-shop"})
    assert (answer.status_code, answer.json["error"]["code"]) == (503, "sms_unavailable")
    with app.app_context(), tenant_scope(tenant):
            assert db.session.scalars(select(LoginCode)).all() == []
    dispose_app(app)


def test_hsts_is_sent_over_https_only(client, db_session):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    over_tls = client.get("/healthz", base_url="https://localhost")
    assert over_tls.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_a_forwarded_header_counts_only_from_a_trusted_proxy(app, db_session, tmp_path, limits_reset):
    spoofed = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers  # no proxy trusted: the header is the client's word
    behind = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, TRUSTED_PROXIES=1)
    proxied = behind.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")
    dispose_app(behind)


def test_behind_a_proxy_each_client_has_its_own_address_limit(app, tmp_path, limits_reset):
    from tests.conftest import csrf_token_of

    behind = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, TRUSTED_PROXIES=1, AUTH_RATE_LIMIT="2/minute")
    client = behind.test_client()
    token = csrf_token_of(client.get("/merchant/login").get_data(as_text=True))

    def login(address: str, email: str) -> int:
        return client.post("/merchant/login", data={"csrf_token": token, "email": email, "password": "wrong-password"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [login("203.0.113.1", f"a{i}@example.com") for i in range(3)] == [400, 400, 429]
    assert [login("203.0.113.2", f"b{i}@example.com") for i in range(2)] == [400, 400]  # another client
    dispose_app(behind)


def test_sign_in_is_limited_per_account_from_any_address(app, client, db_session, tenant_a, create_consumer,
                                                         limits_reset, monkeypatch):
    create_consumer(tenant_a, email="target@example.com")
    monkeypatch.setitem(app.config, "ACCOUNT_RATE_LIMIT", "3/minute")
    statuses = [client.post("/api/v1/auth/login", json={"login": " Target@Example.com ", "password": f"guess-{i}"},
                            headers={"X-Tenant": tenant_a.slug}, environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}
                            ).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    other = client.post("/api/v1/auth/login", json={"login": "someone@example.com", "password": "x"},
                        headers={"X-Tenant": tenant_a.slug}, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 401


def test_code_guesses_are_limited_per_phone(app, client, db_session, tenant_a, limits_reset, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_RATE_LIMIT", "2/minute")
    body = {"phone": "138 0000 0011", "code": "000000"}
    statuses = [client.post("/api/v1/auth/code/verify", json=body, headers={"X-Tenant": tenant_a.slug},
                            environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}).status_code for i in range(3)]
    assert statuses == [401, 401, 429]


def test_codes_are_sent_at_most_so_often_to_one_phone_and_from_one_address(app, client, db_session, tenant_a,
                                                                            tenant_b, limits_reset, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PHONE_RATE_LIMIT", "1/minute")
    monkeypatch.setitem(app.config, "SMS_ADDRESS_RATE_LIMIT", "3/minute")

    def send(phone: str, tenant, address: str = "192.0.2.1"):
        return client.post("/api/v1/auth/code", json={"phone": phone}, headers={"X-Tenant": tenant.slug},
                           environ_base={"REMOTE_ADDR": address})

    assert send("13800000012", tenant_a).status_code == 202
    again = send("+13800000012", tenant_b, "192.0.2.99")  # the same phone through another shop and address
    assert (again.status_code, again.json["error"]["code"]) == (429, "rate_limited")
    assert send("13800000013", tenant_a).status_code == 202
    assert send("13800000014", tenant_a).status_code == 202
    assert send("13800000015", tenant_a).status_code == 429  # a fourth from one address
    with tenant_scope(tenant_b):
        assert db_session.scalars(select(LoginCode)).all() == []


def test_codes_are_kept_as_keyed_hashes(client, db_session, tenant_a):
    import hashlib

    code = client.post("/api/v1/auth/code", json={"phone": "13800000016"},
                       headers={"X-Tenant": tenant_a.slug}).json["sandbox_code"]
    with tenant_scope(tenant_a):
        stored = db_session.scalar(select(LoginCode.code_hash).where(LoginCode.phone == "13800000016"))
    assert code not in stored
    assert stored != hashlib.sha256(f"{tenant_a.id}:13800000016:{code}".encode()).hexdigest()  # not guessable offline


@pytest.mark.live
def test_concurrent_wrong_guesses_each_count(live_server):
    from tenants.services import create_tenant

    with live_server.app.app_context():
        tenant = create_tenant(slug="guess-shop", name="Guess")
        db.session.commit()
    headers = {"X-Tenant": "guess-shop"}
    _, sent = http_json("POST", f"{live_server.url}/api/v1/auth/code", {"phone": "13600000001"}, headers)
    wrong = f"{(int(sent['sandbox_code']) + 1) % 1_000_000:06d}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: http_json("POST", f"{live_server.url}/api/v1/auth/code/verify",
                                                     {"phone": "13600000001", "code": wrong}, headers)[0], range(8)))
    assert statuses == [401] * 8
    with live_server.app.app_context(), tenant_scope(tenant):
        assert db.session.scalar(select(LoginCode.attempts)) == 5
    right, _ = http_json("POST", f"{live_server.url}/api/v1/auth/code/verify",
                         {"phone": "13600000001", "code": sent["sandbox_code"]}, headers)
    assert right == 401  # the tries are spent
    with live_server.app.app_context(), tenant_scope(tenant):
        assert db.session.scalars(select(Consumer)).all() == []


def test_a_second_process_without_redis_is_refused(app, db_session, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom core.single_process import claim\n"
                               f"claim({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert holder.stdout.readline().strip() == "held"
        second = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
        answer = second.test_client().get("/healthz")
        assert answer.status_code == 503
        assert answer.json["error"]["code"] == "unavailable" and "REDIS_URL" in answer.json["error"]["message"]
        env = {**os.environ, "TESSERA_INSTANCE_PATH": str(tmp_path)}
        refused = subprocess.run([sys.executable, "-c", "from cli import main; main()", "run"], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "REDIS_URL: process" in refused.stderr
        dispose_app(second)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    time.sleep(0.1)
    released = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)  # the holder is gone: this one serves
    assert released.test_client().get("/healthz").status_code == 200
    dispose_app(released)

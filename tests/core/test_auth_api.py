"""Consumer sign-in over the JSON API: register, log in, one-time codes, tokens bound to one
tenant and revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.consumers import AccessToken, Consumer, LoginCode, consumer_for_token, issue_token, parse_token
from core.tenancy import tenant_scope


def _post(client, path, body, tenant=None, token=None):
    headers = {}
    if tenant is not None:
        headers["X-Tenant"] = tenant.slug
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(f"/api/v1{path}", json=body, headers=headers)


def _count(db_session, tenant, model=Consumer):
    with tenant_scope(tenant):
        return db_session.scalar(select(func.count()).select_from(model))


def test_register_answers_a_token_for_this_tenant(client, db_session, tenant_a):
    response = _post(client, "/auth/register", {"email": "Ann@Example.com", "password": "password123", "name": "Ann"},
                     tenant_a)
    assert response.status_code == 201
    assert response.json["consumer"]["email"] == "ann@example.com"
    assert parse_token(response.json["token"])[0] == tenant_a.id
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200
    assert me.json["consumer"]["name"] == "Ann"


def test_register_with_phone(client, db_session, tenant_a):
    response = _post(client, "/auth/register", {"phone": "+86 138-0013-8000", "password": "password123"}, tenant_a)
    assert response.status_code == 201
    assert response.json["consumer"]["phone"] == "+8613800138000"


def test_register_refuses_bad_input_with_field_errors(client, db_session, tenant_a):
    cases = [
        ({"password": "password123"}, "email"),
        ({"email": "not-an-email", "password": "password123"}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com"}, "password"),
        ({"phone": "12", "password": "password123"}, "phone"),
        ({"email": "a@example.com", "password": "password123", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = _post(client, "/auth/register", body, tenant_a)
        assert response.status_code == 422, body
        assert response.json["error"]["code"] == "invalid_input"
        assert field in response.json["error"]["fields"], body
    assert _count(db_session, tenant_a) == 0


def test_register_refuses_non_json(client, db_session, tenant_a):
    response = client.post("/api/v1/auth/register", data="email=a", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    response = client.post("/api/v1/auth/register", data="[1, 2]", content_type="application/json",
                           headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 400
    assert _count(db_session, tenant_a) == 0


def test_the_same_email_may_register_in_two_tenants_but_not_twice_in_one(client, db_session, tenant_a, tenant_b):
    body = {"email": "same@example.com", "password": "password123"}
    assert _post(client, "/auth/register", body, tenant_a).status_code == 201
    assert _post(client, "/auth/register", body, tenant_b).status_code == 201
    again = _post(client, "/auth/register", body, tenant_a)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_exists"
    assert _count(db_session, tenant_a) == 1


def test_login_by_email_or_phone(client, db_session, tenant_a, create_consumer):
    create_consumer(tenant_a, email="bo@example.com", phone="13900000000", password="correct-horse")
    for login in ("bo@example.com", "BO@example.com", "13900000000"):
        response = _post(client, "/auth/login", {"login": login, "password": "correct-horse"}, tenant_a)
        assert response.status_code == 200, login
        assert response.json["token"].startswith(f"tsk_{tenant_a.id}_")


def test_login_refuses_wrong_password_and_unknown_login_alike(client, db_session, tenant_a, create_consumer):
    create_consumer(tenant_a, email="bo@example.com", password="correct-horse")
    tokens_before = _count(db_session, tenant_a, AccessToken)
    wrong = _post(client, "/auth/login", {"login": "bo@example.com", "password": "wrong-horse"}, tenant_a)
    unknown = _post(client, "/auth/login", {"login": "nobody@example.com", "password": "wrong-horse"}, tenant_a)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.json["error"]["code"] == "invalid_credentials"
    assert _count(db_session, tenant_a, AccessToken) == tokens_before


def test_a_consumer_of_one_tenant_cannot_log_in_to_another(client, db_session, tenant_a, tenant_b, create_consumer):
    create_consumer(tenant_a, email="bo@example.com", password="correct-horse")
    response = _post(client, "/auth/login", {"login": "bo@example.com", "password": "correct-horse"}, tenant_b)
    assert response.status_code == 401


def test_token_is_bound_to_its_tenant(client, db_session, tenant_a, tenant_b, create_consumer):
    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        token = issue_token(consumer)
    # The token alone names its tenant.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # A header that names another tenant is refused, not obeyed.
    mismatch = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", "X-Tenant": tenant_b.slug})
    assert mismatch.status_code == 403
    assert mismatch.json["error"]["code"] == "tenant_mismatch"
    # So is the path prefix of another tenant.
    prefixed = client.get(f"/s/{tenant_b.slug}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert prefixed.status_code == 403


def test_forged_tokens_are_refused(client, db_session, tenant_a, tenant_b, create_consumer):
    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        token = issue_token(consumer)
    _, tenant_id, token_id, secret = token.split("_", 3)
    forged = [f"tsk_{tenant_id}_{token_id}_{'x' * len(secret)}",  # wrong secret
              f"tsk_{tenant_b.id}_{token_id}_{secret}",  # moved to another tenant
              "tsk_1_2_3", "garbage", f"tsk_{tenant_id}_{token_id}"]
    for value in forged:
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code in (401, 404), value
        assert response.json["error"]["code"] in ("invalid_token", "tenant_not_found"), value


def test_tokens_with_non_ascii_digits_or_ids_beyond_bigint_are_invalid_tokens(client, db_session, tenant_a):
    # given tokens whose ids are digits to str.isdigit but not to int(), or too large for BIGINT
    malformed = ["tsk_1_\xb2_x", "tsk_\xb2_1_x", f"tsk_{tenant_a.id}_99999999999999999999_x",
                 f"tsk_{tenant_a.id}_9223372036854775808_x", "tsk_99999999999999999999_1_x", f"tsk_{tenant_a.id}_0_x"]
    for value in malformed:
        # when one is sent
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
        # then it is refused as an invalid token, not a 500
        assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token"), value
        assert parse_token(value) is None, value
    # and the largest id BIGINT holds still parses
    assert parse_token(f"tsk_{tenant_a.id}_9223372036854775807_x") == (tenant_a.id, 2**63 - 1, "x")


def test_logout_revokes_the_token(client, db_session, tenant_a):
    token = _post(client, "/auth/register", {"email": "c@example.com", "password": "password123"}, tenant_a).json["token"]
    assert _post(client, "/auth/logout", {}, token=token).status_code == 204
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_expired_tokens_are_refused(db_session, tenant_a, create_consumer):
    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        token = issue_token(consumer)
        _, token_id, secret = parse_token(token)
        assert consumer_for_token(token_id, secret) is not None
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31)
        assert consumer_for_token(token_id, secret, now=later) is None


def test_me_needs_a_token(client, db_session, tenant_a):
    response = client.get("/api/v1/me", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"


def test_one_time_code_login_creates_the_consumer_once(client, db_session, tenant_a):
    sent = _post(client, "/auth/code", {"phone": "13700000000"}, tenant_a)
    assert sent.status_code == 202
    code = sent.json["sandbox_code"]
    first = _post(client, "/auth/code/verify", {"phone": "13700000000", "code": code}, tenant_a)
    assert first.status_code == 200
    replay = _post(client, "/auth/code/verify", {"phone": "13700000000", "code": code}, tenant_a)
    assert replay.status_code == 401
    again = _post(client, "/auth/code/verify", {"phone": "13700000000",
                                                "code": _post(client, "/auth/code", {"phone": "13700000000"},
                                                              tenant_a).json["sandbox_code"]}, tenant_a)
    assert again.json["consumer"]["id"] == first.json["consumer"]["id"]
    assert _count(db_session, tenant_a) == 1


def test_one_time_code_allows_few_attempts(client, db_session, tenant_a):
    code = _post(client, "/auth/code", {"phone": "13700000001"}, tenant_a).json["sandbox_code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _post(client, "/auth/code/verify", {"phone": "13700000001", "code": wrong}, tenant_a).status_code == 401
    # Even the right code no longer works once the attempts are spent.
    assert _post(client, "/auth/code/verify", {"phone": "13700000001", "code": code}, tenant_a).status_code == 401
    assert _count(db_session, tenant_a) == 0


def test_a_code_is_bound_to_its_tenant(client, db_session, tenant_a, tenant_b):
    code = _post(client, "/auth/code", {"phone": "13700000002"}, tenant_a).json["sandbox_code"]
    response = _post(client, "/auth/code/verify", {"phone": "13700000002", "code": code}, tenant_b)
    assert response.status_code == 401
    assert _count(db_session, tenant_b) == 0
    assert _count(db_session, tenant_a, LoginCode) == 1


def test_a_revoked_token_is_refused_at_once_where_its_check_was_remembered(client, db_session, tenant_a):
    """The hot API paths remember a token's check per process; logging out forgets it."""
    token = _post(client, "/auth/register", {"email": "d@example.com", "password": "password123"}, tenant_a).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/orders", headers=headers).status_code == 200  # checked, and remembered
    assert client.get("/api/v1/orders", headers=headers).status_code == 200  # from memory
    forged = headers["Authorization"][:-4] + ("AAAA" if not headers["Authorization"].endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/orders", headers={"Authorization": forged}).status_code == 401  # same id, other secret
    assert _post(client, "/auth/logout", {}, token=token).status_code == 204
    refused = client.get("/api/v1/orders", headers=headers)
    assert (refused.status_code, refused.json["error"]["code"]) == (401, "invalid_token")


@pytest.mark.parametrize("email", ["x@localhost", "a..b@example.com", "owner@shop.invalid"])
def test_consumers_register_under_the_platforms_one_email_rule(client, db_session, tenant_a, email):
    refused = _post(client, "/auth/register", {"email": email, "password": "password123"}, tenant_a)
    assert (refused.status_code, refused.json["error"]["code"]) == (422, "invalid_input")
    assert "email" in refused.json["error"]["fields"]
    assert _count(db_session, tenant_a) == 0


def test_a_consumer_signs_in_with_the_address_written_any_way_it_normalises(client, db_session, tenant_a):
    assert _post(client, "/auth/register", {"email": "li@Bücher.example", "password": "password123"},
                 tenant_a).status_code == 201
    for login in ("li@bücher.example", " LI@BÜCHER.EXAMPLE ", "li@xn--bcher-kva.example"):
        answer = _post(client, "/auth/login", {"login": login, "password": "password123"}, tenant_a)
        assert answer.status_code == 200, (login, answer.json)

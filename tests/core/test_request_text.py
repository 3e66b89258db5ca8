"""Request bodies refused before any view reads them (core.security.refuse_unstorable_text): JSON
nested too deep to parse or walk, and text PostgreSQL cannot store (NUL, lone surrogates) — the
same 4xx on both backends, and nothing written."""

from __future__ import annotations

from sqlalchemy import func, select

from core.consumers import Consumer
from core.security import MAX_JSON_DEPTH
from core.tenancy import tenant_scope


def _consumers(db_session, tenant) -> int:
    with tenant_scope(tenant):
        return db_session.scalar(select(func.count()).select_from(Consumer))


def _post_raw(client, tenant, path: str, body: str | bytes):
    return client.post(f"/api/v1{path}", data=body, content_type="application/json", headers={"X-Tenant": tenant.slug})


def test_json_nested_50000_deep_is_refused_with_400(client, db_session, tenant_a):
    # given bodies nested far deeper than any parser or walk should follow
    arrays = "[" * 50_000 + "]" * 50_000
    objects = '{"a":' * 50_000 + "1" + "}" * 50_000
    inside_login = '{"login": ' + "[" * 50_000 + "]" * 50_000 + ', "password": "password123"}'
    for body in (arrays, objects, inside_login):
        # when it is posted to the sign-in endpoint
        response = _post_raw(client, tenant_a, "/auth/login", body)
        # then it is a 400 with the JSON error body
        assert response.status_code == 400
        assert response.json == {"error": {"code": "bad_request",
                                           "message": f"JSON may nest at most {MAX_JSON_DEPTH} levels deep."}}


def test_json_nested_to_the_limit_reaches_the_view(client, db_session, tenant_a):
    # given a login nested exactly MAX_JSON_DEPTH deep (the body object is the first level)
    login = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    # when it is posted
    response = _post_raw(client, tenant_a, "/auth/login", '{"login": ' + login + ', "password": "x"}')
    # then the view's schema answers, not the depth check
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["login"]


def test_brackets_inside_strings_do_not_count_as_nesting(client, db_session, tenant_a):
    # given a name made of brackets and escaped quotes, in a body one level deep
    name = '[{\\"' * 20 + "]}" * 20
    # when a consumer registers with it
    response = _post_raw(client, tenant_a, "/auth/register",
                         '{"email": "ann@example.com", "password": "password123", "name": "' + name + '"}')
    # then the registration goes through
    assert response.status_code == 201, response.json
    assert response.json["consumer"]["name"] == name.replace('\\"', '"')


def test_a_lone_surrogate_in_a_consumer_name_is_refused_and_nobody_registers(client, db_session, tenant_a):
    # given a name holding a lone surrogate, escaped (\ud800) or as raw UTF-8-like bytes (ED A0 80)
    escaped = {"email": "ann@example.com", "password": "password123", "name": "Ann \ud800"}
    raw = b'{"email": "bob@example.com", "password": "password123", "name": "Bob \xed\xa0\x80"}'
    upper = '{"email": "cy@example.com", "password": "password123", "name": "Cy \\uDFFF"}'
    # when each registers
    answers = [client.post("/api/v1/auth/register", json=escaped, headers={"X-Tenant": tenant_a.slug}),
               _post_raw(client, tenant_a, "/auth/register", raw),
               _post_raw(client, tenant_a, "/auth/register", upper)]
    # then each is refused as invalid text, and no consumer was created
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json["error"]["code"] == "invalid_text"
    assert _consumers(db_session, tenant_a) == 0


def test_a_surrogate_pair_is_one_character_and_is_stored(client, db_session, tenant_a):
    # given a name with an emoji written as an escaped surrogate pair
    body = '{"email": "ann@example.com", "password": "password123", "name": "Ann \\ud83d\\ude00"}'
    # when the consumer registers
    response = _post_raw(client, tenant_a, "/auth/register", body)
    # then the name is stored with the emoji
    assert response.status_code == 201
    assert response.json["consumer"]["name"] == "Ann \U0001F600"


def test_nul_in_a_path_segment_or_a_header_is_refused(client, db_session, tenant_a):
    # given a NUL where the API reads text for a lookup: a path segment, the shop's header, the host
    shop = {"X-Tenant": tenant_a.slug}
    answers = [client.get("/api/v1/tables/%00", headers=shop), client.get("/api/v1/pages/a%00b", headers=shop),
               client.get("/api/v1/items", headers={"X-Tenant": "alpha\x00shop"}),
               client.get("/api/v1/items", headers={"Host": "shop\x00.example"})]
    # then each is refused as NUL in text before any lookup
    for answer in answers:
        assert (answer.status_code, answer.json["error"]["code"]) == (400, "nul_in_text")

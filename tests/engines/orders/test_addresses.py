"""The consumer's address book."""

from __future__ import annotations

import pytest

from core.consumers import issue_token
from core.tenancy import tenant_scope

HOME = {"name": "Li Lei", "phone": "13800138000", "region": "Shanghai / Huangpu", "line": "1 Bund Rd", "postcode": "200000"}


@pytest.fixture
def headers(db_session, tenant_a, create_consumer):
    with tenant_scope(tenant_a):
        token = issue_token(create_consumer(tenant_a))
        db_session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_first_address_is_the_default_and_defaults_move(client, headers):
    first = client.post("/api/v1/addresses", json=HOME, headers=headers)
    assert first.status_code == 201 and first.json["is_default"] is True
    second = client.post("/api/v1/addresses", json={**HOME, "line": "2 Nanjing Rd"}, headers=headers).json
    assert second["is_default"] is False
    client.patch(f"/api/v1/addresses/{second['id']}", json={"is_default": True}, headers=headers)
    listed = client.get("/api/v1/addresses", headers=headers).json["items"]
    assert [(a["line"], a["is_default"]) for a in listed] == [("2 Nanjing Rd", True), ("1 Bund Rd", False)]
    assert listed[0]["postcode"] == "200000"  # a partial change keeps the other fields
    assert client.delete(f"/api/v1/addresses/{second['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/addresses", headers=headers).json["items"][0]["is_default"] is True


def test_bad_addresses_are_refused(client, headers):
    for change, field in [({"phone": "12"}, "phone"), ({"name": ""}, "name"), ({"line": "x" * 201}, "line"),
                          ({"postcode": "<script>"}, "postcode")]:
        response = client.post("/api/v1/addresses", json={**HOME, **change}, headers=headers)
        assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert client.get("/api/v1/addresses", headers=headers).json["items"] == []


def test_addresses_are_private(client, db_session, headers, tenant_a, create_consumer):
    mine = client.post("/api/v1/addresses", json=HOME, headers=headers).json
    with tenant_scope(tenant_a):
        other = {"Authorization": f"Bearer {issue_token(create_consumer(tenant_a))}"}
        db_session.commit()
    assert client.get("/api/v1/addresses", headers=other).json["items"] == []
    assert client.patch(f"/api/v1/addresses/{mine['id']}", json={"line": "stolen"}, headers=other).status_code == 404
    assert client.delete(f"/api/v1/addresses/{mine['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/addresses", headers=headers).json["items"][0]["line"] == "1 Bund Rd"


def test_an_address_with_a_lone_surrogate_is_refused_and_not_stored(client, headers):
    # given an address whose line holds a lone surrogate (PostgreSQL cannot encode it)
    # when it is added
    response = client.post("/api/v1/addresses", json={**HOME, "line": "1 Bund Rd \ud800"}, headers=headers)
    # then it is refused as invalid text on both backends, and nothing is stored
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_text")
    assert client.get("/api/v1/addresses", headers=headers).json["items"] == []

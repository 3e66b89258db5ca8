def test_health(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_ready_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok"}

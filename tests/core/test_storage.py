"""Storage over a local folder and over S3 (moto's server mode on loopback)."""

from __future__ import annotations

import socket
import urllib.request

import boto3
import pytest

from core.storage import LocalStorage, S3Storage, StorageError, check_key
from tests.conftest import dispose_app, make_app


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/../b", "", "sp ace"])
def test_bad_keys_are_refused(key):
    with pytest.raises(StorageError):
        check_key(key)


def test_local_put_open_url_delete(tmp_path):
    store = LocalStorage(tmp_path)
    assert store.put("t/1/a.png", b"data", "image/png") == "t/1/a.png"
    with store.open("t/1/a.png") as handle:
        assert handle.read() == b"data"
    assert store.url("t/1/a.png") == "/media/t/1/a.png"
    assert store.exists("t/1/a.png")
    store.delete("t/1/a.png")
    assert not store.exists("t/1/a.png")
    with pytest.raises(StorageError):
        store.open("t/1/a.png")
    assert list(tmp_path.rglob("*.tmp*")) == []  # written through a temporary file, then renamed


def test_the_app_serves_local_media(client, app, db_session):
    app.extensions["tessera_storage"].put("t/9/x.txt", b"hello", "text/plain")
    response = client.get("/media/t/9/x.txt")
    assert response.data == b"hello"
    response.close()
    assert client.get("/media/t/9/missing.txt").status_code == 404
    assert client.get("/media/../secret_key").status_code == 404


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=moto_server)
    client.create_bucket(Bucket="tessera-media")
    yield S3Storage("tessera-media", endpoint_url=moto_server)
    for item in client.list_objects_v2(Bucket="tessera-media").get("Contents", []):
        client.delete_object(Bucket="tessera-media", Key=item["Key"])
    client.delete_bucket(Bucket="tessera-media")


def test_s3_put_open_url_delete(s3):
    s3.put("t/1/a.png", b"\x89PNG", "image/png")
    with s3.open("t/1/a.png") as handle:
        assert handle.read() == b"\x89PNG"
    assert s3.exists("t/1/a.png")
    with urllib.request.urlopen(s3.url("t/1/a.png"), timeout=10) as response:
        assert response.read() == b"\x89PNG"
        assert response.headers["Content-Type"] == "image/png"
    s3.delete("t/1/a.png")
    assert not s3.exists("t/1/a.png")
    with pytest.raises(StorageError):
        s3.open("t/1/a.png")


def test_the_app_uses_s3_when_configured(s3, moto_server, database_url, tmp_path):
    app = make_app(database_url, tmp_path, S3_BUCKET="tessera-media", S3_ENDPOINT_URL=moto_server)
    assert isinstance(app.extensions["tessera_storage"], S3Storage)
    assert "media" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    dispose_app(app)

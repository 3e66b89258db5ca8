"""Redis goes away and comes back: a token revoked meanwhile is refused by every process at once
and after, logout answers 204 (never 500), and reads go on (uncached) in the meantime."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
import redis

from core.db import db
from tests.browser import free_port
from tests.conftest import dispose_app, http_json, make_app

pytestmark = pytest.mark.live


class PrivateRedis:
    """A redis-server of this test's own, to stop and start again on the same port."""

    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


SERVE = """
import sys
from werkzeug.serving import make_server
from tests.conftest import make_app
app = make_app(sys.argv[1], __import__("pathlib").Path(sys.argv[2]), REDIS_URL=sys.argv[3])
server = make_server("127.0.0.1", int(sys.argv[4]), app, threaded=True)
print("serving", flush=True)
server.serve_forever()
"""


@pytest.fixture
def outage(live_database, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    private = PrivateRedis(tmp_path)
    private.start()
    port = free_port()
    (tmp_path / "other").mkdir()
    other = subprocess.Popen([sys.executable, "-c", SERVE, live_database, str(tmp_path / "other"), private.url,
                              str(port)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert other.stdout.readline().strip() == "serving"
    here = make_app(live_database, tmp_path / "here", REDIS_URL=private.url)
    yield here, f"http://127.0.0.1:{port}", private
    other.terminate()
    other.wait(timeout=10)
    other.stdout.close()
    dispose_app(here)
    if private.process.poll() is None:
        private.stop()


def test_a_token_revoked_while_redis_is_down_is_refused_everywhere_then_and_after(outage):
    from tenants.services import create_tenant

    here, other_url, private = outage
    with here.app_context():
        create_tenant(slug="outage-shop", name="Outage")
        db.session.commit()
    client = here.test_client()
    token = client.post("/api/v1/auth/register", json={"email": "o@example.com", "password": "password123"},
                        headers={"X-Tenant": "outage-shop"}).json["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert http_json("GET", f"{other_url}/api/v1/orders", headers=bearer)[0] == 200  # the other process remembers it
    assert client.get("/api/v1/orders", headers=bearer).status_code == 200  # and so does this one

    private.stop()
    time.sleep(0.2)
    logout = client.post("/api/v1/auth/logout", headers=bearer)
    assert logout.status_code == 204
    assert client.get("/api/v1/orders", headers=bearer).status_code == 401
    assert http_json("GET", f"{other_url}/api/v1/orders", headers=bearer)[0] == 401
    assert client.get("/api/v1/items", headers={"X-Tenant": "outage-shop"}).status_code == 200  # reads go on

    private.start()
    deadline = time.time() + 10  # this process sends the stamp it kept as soon as Redis answers
    while not redis.Redis.from_url(private.url).hgetall("tessera:stamps:" + str(_tenant_id(here))) and \
            time.time() < deadline:
        client.get("/api/v1/items", headers={"X-Tenant": "outage-shop"})
        time.sleep(0.1)
    assert redis.Redis.from_url(private.url).hgetall(f"tessera:stamps:{_tenant_id(here)}")
    for _ in range(3):
        assert http_json("GET", f"{other_url}/api/v1/orders", headers=bearer)[0] == 401
        assert client.get("/api/v1/orders", headers=bearer).status_code == 401


def _tenant_id(app) -> int:
    from core.tenancy import find_tenant

    with app.app_context():
        return find_tenant("outage-shop").id

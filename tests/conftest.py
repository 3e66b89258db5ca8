"""Fixtures shared by the whole suite (after Saleor's and Indico's).

Every test that uses the database runs once per backend: SQLite and PostgreSQL
(`TESSERA_TEST_DATABASES=sqlite,postgresql` by default; PostgreSQL at
`TESSERA_TEST_DATABASE_URL`, default the local server, skipped with the reason when it is
unreachable). Each xdist worker gets its own database, migrated with Alembic. A test runs inside a
transaction rolled back at its end; live tests (`live_app`) commit and are cleaned by TRUNCATE."""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from core.db import db
from core.tenancy import tenant_scope
import core.resellers  # noqa: F401,E402  tenants.reseller_id names its table: every test subset has it
from tests.localstripe import localstripe  # noqa: F401  a fixture: a localstripe's base URL, once a module

# citus: the modules marked `citus` (tenancy, orders, checkout concurrency, idempotency, refunds)
# run a third time on the local Citus cluster (scripts/citus_cluster.sh up; skipped with the reason
# when its coordinator does not answer); the others on sqlite and postgresql only.
BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_DATABASES", "sqlite,postgresql,citus").split(",")
            if b.strip()]
PG_URL = os.environ.get("TESSERA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CITUS_URL = os.environ.get("TESSERA_TEST_CITUS_URL", "postgresql+psycopg://postgres@127.0.0.1:5440/postgres")
# One Redis database per xdist worker (15, 14, …): the rq tests flush theirs, and workers must
# never take each other's jobs.
_WORKER_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
REDIS_URL = f"{os.environ.get('TESSERA_TEST_REDIS_URL', 'redis://127.0.0.1:6379').rstrip('/')}/{15 - _WORKER_INDEX % 8}"


def pytest_collection_modifyitems(config, items):
    """Only the modules marked `citus` run on the Citus cluster."""
    kept, dropped = [], []
    for item in items:
        on_citus = getattr(getattr(item, "callspec", None), "params", {}).get("database_url") == "citus"
        (dropped if on_citus and item.get_closest_marker("citus") is None else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _pg_admin_url() -> str:
    return re.sub(r"^postgresql(\+[a-z0-9]+)?://", "postgresql+psycopg://", PG_URL)


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(_pg_admin_url())
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # the reason goes into the skip message
        return f"PostgreSQL at {PG_URL} is unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def worker_id_suffix(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory, worker_id_suffix):
    """A fresh, migrated database for this worker and backend."""
    from core.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tessera.db'}"
        upgrade(url)
        yield url
        return
    name = f"tessera_test_{worker_id_suffix}_{os.getpid()}"  # two runs on one server never share one
    if request.param == "citus":
        url = citus_database(name)
        upgrade(url)
        yield url
        citus_cluster("dropdb", name)
        return
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = _pg_admin_url().rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


TEST_SHARD_COUNT = 4


def citus_database(name: str) -> str:
    """A fresh database on the local Citus cluster (scripts/citus_cluster.sh, run by .ci/run), on
    every node; skips with the reason when the coordinator does not answer."""
    coordinator = re.sub(r"^postgresql(\+[a-z0-9]+)?://", "postgresql+psycopg://", CITUS_URL)
    try:
        engine = create_engine(coordinator)
        with engine.connect() as connection:
            connection.execute(text("SELECT citus_version()"))
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"no Citus coordinator at {CITUS_URL} (scripts/citus_cluster.sh up): "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    citus_cluster("createdb", name)
    engine = create_engine(coordinator, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        # 4 shards a table instead of 32: every live test truncates every table, shard by shard
        connection.execute(text(f'ALTER DATABASE "{name}" SET citus.shard_count = {TEST_SHARD_COUNT}'))
    engine.dispose()
    return coordinator.rsplit("/", 1)[0] + f"/{name}"


def citus_cluster(*args: str) -> None:
    """scripts/citus_cluster.sh, on the cluster of CITUS_URL (its workers on the next two ports
    unless CITUS_PORTS says otherwise)."""
    port = int(CITUS_URL.rsplit(":", 1)[1].split("/")[0])
    ports = os.environ.get("CITUS_PORTS") or f"{port} {port + 1} {port + 2}"
    subprocess.run(["bash", str(Path(__file__).parent.parent / "scripts" / "citus_cluster.sh"), *args],
                   check=True, capture_output=True, env={**os.environ, "CITUS_PORTS": ports})


@pytest.fixture(scope="session")
def backend(database_url) -> str:
    """postgresql (on Citus too: the same tests, the same row-level security) or sqlite."""
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


_loaded_in_request: contextvars.ContextVar[list | None] = contextvars.ContextVar("loaded_in_request", default=None)


@event.listens_for(Session, "loaded_as_persistent")
def _remember_loaded(session, instance) -> None:
    loaded = _loaded_in_request.get()
    if loaded is not None:
        loaded.append(instance)


class FreshGClient(FlaskClient):
    """Each request gets an empty `g`, as in production where every request has its own app
    context; the test's own context (and its database session) is shared with the requests. In
    production a request's session ends with it, so nothing it loaded outlives it: here the
    shared session lets go of the rows a request loaded when it ends (the write paths change rows
    with Core statements, which do not refresh loaded objects)."""

    def open(self, *args, **kwargs):
        saved = None
        if has_app_context():
            namespace = g._get_current_object().__dict__
            saved = dict(namespace)
            namespace.clear()
        loaded = _loaded_in_request.set([])
        try:
            return super().open(*args, **kwargs)
        finally:
            if saved is not None:
                for instance in _loaded_in_request.get():
                    if instance in db.session:
                        db.session.expunge(instance)
                namespace.clear()
                namespace.update(saved)
            _loaded_in_request.reset(loaded)


def make_app(database_url: str, tmp_path, **overrides):
    from app import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "MEDIA_PATH": str(tmp_path / "media"),
        "SECRET_KEY": "test-secret-key-" + "x" * 16,
        "REDIS_URL": None,
        "AUTH_RATE_LIMIT": "10000/minute",
        "ACCOUNT_RATE_LIMIT": "10000/minute",
        "SMS_PHONE_RATE_LIMIT": "10000/minute",
        "SMS_ADDRESS_RATE_LIMIT": "10000/minute",
        "SIGNUP_RATE_LIMIT": "10000/minute",
        "MAIL_RATE_LIMIT": "10000/minute",
        "MAIL_FOLDER": str(tmp_path / "mail"),
        # Flask-Limiter keeps one storage per process, shared by every app the tests make.
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    application = create_app(config)
    application.test_client_class = FreshGClient
    return application


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    application = make_app(database_url, tmp_path_factory.mktemp("instance"))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """The test's database session: everything it and its requests write is rolled back."""
    from core.resolution import directory

    directory.forget()  # tenants of a rolled-back test must not linger in the lookup cache
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's picks the engine itself and would ignore `bind`.
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                                 expire_on_commit=False), scopefunc=_app_ctx_id)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


# -- factories ---------------------------------------------------------------------------------

@pytest.fixture
def create_tenant(db_session):
    from tenants.services import create_tenant as create

    def factory(slug: str | None = None, **kwargs):
        slug = slug or f"shop-{secrets.token_hex(4)}"
        kwargs.setdefault("name", slug.replace("-", " ").title())
        tenant = create(slug=slug, **kwargs)
        db_session.commit()  # a savepoint: views that roll back their own work keep the fixtures
        return tenant

    return factory


@pytest.fixture
def tenant_a(create_tenant):
    return create_tenant("alpha-shop", name="Alpha Shop")


@pytest.fixture
def tenant_b(create_tenant):
    return create_tenant("beta-shop", name="Beta Shop", currency="USD", timezone="America/New_York")


@pytest.fixture
def create_consumer(db_session):
    from core.consumers import register_consumer

    def factory(tenant, *, email: str | None = None, password: str = "password123", **kwargs):
        with tenant_scope(tenant):
            consumer = register_consumer(email=email or f"c{secrets.token_hex(3)}@example.com",
                                         password=password, **kwargs)
            db_session.commit()
        return consumer

    return factory


@pytest.fixture
def create_identity(db_session):
    from core.identities import create_identity as create

    def factory(email: str | None = None, *, password: str = "password123", **kwargs):
        identity = create(email=email or f"p{secrets.token_hex(3)}@example.com", password=password, **kwargs)
        db_session.commit()
        return identity

    return factory


@pytest.fixture
def create_staff(db_session, create_identity):
    from core.identities import add_staff

    def factory(tenant, role: str = "owner", *, email: str | None = None, password: str = "password123"):
        identity = create_identity(email, password=password)
        with tenant_scope(tenant):
            add_staff(identity=identity, role=role)
            db_session.commit()
        return identity

    return factory


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def form_post(client):
    """POST a console form the way a browser does: fetch the page for its CSRF token first."""

    def post(url: str, data: dict, *, page: str | None = None, **kwargs):
        token = csrf_token_of(client.get(page or url).get_data(as_text=True))
        return client.post(url, data={"csrf_token": token, **data}, **kwargs)

    return post


@pytest.fixture
def sign_in(client, form_post):
    """Sign in to /console or /merchant as an identity."""

    def do(area: str, email: str, password: str = "password123"):
        response = form_post(f"/{area}/login", {"email": email, "password": password})
        assert response.status_code == 302, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))[-400:]
        return response

    return do


def wipe_database(database_url: str) -> None:
    """Remove every committed row (live tests), as the owner so row-level security is bypassed."""
    engine = create_engine(database_url)
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def live_database(database_url):
    """For live tests that commit: the database is wiped before and after."""
    from core.resolution import directory

    wipe_database(database_url)
    directory.forget()
    yield database_url
    wipe_database(database_url)
    directory.forget()


@pytest.fixture
def live_server(live_database, tmp_path):
    """The app served by a threaded WSGI server on a free loopback port, over committed data."""
    import threading
    from types import SimpleNamespace

    from werkzeug.serving import make_server

    application = make_app(live_database, tmp_path)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=application)
    server.shutdown()
    thread.join()
    with application.app_context():
        db.engine.dispose()


def http_json(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    """One real HTTP request; answers (status, JSON body)."""
    import json
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        error.close()
        return error.code, json.loads(raw) if raw else {}


def dispose_app(application) -> None:
    """Close every database connection an app made for one test."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` … `len(queries)` statements ran on the database."""
    import contextlib

    from sqlalchemy import event

    from core.citus import on_citus

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
                statements.append(statement)

        with app.app_context():
            engine = db.engine
            with engine.connect() as connection:
                on_citus(connection)  # asked once per engine: not counted against whichever test asks first
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def publish_document(db_session):
    """Save a document as the tenant's draft and publish it."""
    from runtime.services import ensure_app, publish, save_draft

    def do(tenant, document: dict, note: str = ""):
        with tenant_scope(tenant):
            save_draft(document=document, revision=ensure_app().revision)
            version = publish(note=note)
            db_session.commit()
            return version

    return do


@pytest.fixture
def tessera(live_database, tmp_path, monkeypatch):
    """Run `tessera …` in-process against the live test database: tessera("tenants", "list")."""
    from click.testing import CliRunner

    from cli import main

    monkeypatch.setenv("TESSERA_DATABASE_URL", live_database)
    monkeypatch.setenv("TESSERA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def form_values(html: str, form_id: str | None = None) -> dict:
    """What a browser submits for a page's form as rendered (the first form, or the one with
    `form_id`): inputs (checked boxes only), selected options and textareas, by name."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.values, self.inside, self.done = {}, False, False
            self.select = self.textarea = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and not self.done and (form_id is None or a.get("id") == form_id):
                self.inside = True
            elif self.inside and tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                self.values[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
            elif self.inside and tag == "select":
                self.select = a.get("name")
            elif self.inside and tag == "option" and self.select and ("selected" in a or self.select not in self.values):
                self.values[self.select] = a.get("value", "")
            elif self.inside and tag == "textarea":
                self.textarea = a.get("name")
                self.values[self.textarea] = ""

        def handle_endtag(self, tag):
            if tag == "form" and self.inside:
                self.inside, self.done = False, True
            elif tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.values[self.textarea] += data

    reader = Reader()
    reader.feed(html)
    return reader.values

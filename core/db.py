"""The database: the declarative base with a constraint naming convention, the Flask-SQLAlchemy
extension, column types, and the engine set-up for SQLite (WAL, busy timeout, BEGIN IMMEDIATE)
and PostgreSQL (the non-owner application role)."""

from __future__ import annotations

import contextvars
import datetime as dt
import time

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Enum, MetaData, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

APP_ROLE = "tessera_app"  # DML only, subject to row-level security (platform_scope() is a setting it reads)
PLATFORM_ROLE = "tessera_platform"  # made by the first migrations (BYPASSRLS); no longer used since 0020


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes (core.db.utcnow())")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def str_enum(cls) -> Enum:
    """A column type for a StrEnum: its values stored as short strings (no database enum type, so
    adding a member needs no migration)."""
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


def set_loaded(obj, **values) -> None:
    """Give `obj` values the database already holds (a Core UPDATE wrote them): on an ORM
    instance without marking it changed, on a plain row object as attributes."""
    if hasattr(obj, "_sa_instance_state"):
        for name, value in values.items():
            set_committed_value(obj, name, value)
    else:
        for name, value in values.items():
            setattr(obj, name, value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


Id = BigInteger

# Set for the requests that only read (GET, HEAD): SQLite then begins DEFERRED so readers do not
# queue behind the write lock. Everything else begins IMMEDIATE.
sqlite_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_read_only", default=False)


def configure_engine(engine: Engine, *, app_role: bool = True) -> None:
    """Per-dialect connection set-up; call once for each engine the application uses."""
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _ping_when_idle(engine)
    if engine.dialect.name == "postgresql" and app_role:
        @event.listens_for(engine, "connect")
        def _set_role(dbapi_connection, connection_record):
            # Superusers and table owners bypass row-level security: the application never
            # runs as either (DESIGN.md §2).
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET ROLE {APP_ROLE}")
            dbapi_connection.commit()


PING_AFTER_IDLE = 10.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, paid only when it can matter: a pooled connection that sat
    idle for a while is pinged at checkout (a dead one is replaced, as with pool_pre_ping), a busy
    one is not — a ping on every checkout was one round trip per request (measured)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, connection_record):
        connection_record.info["tessera_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, connection_record, connection_proxy):
        idle_since = connection_record.info.get("tessera_idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:  # the pool replaces the connection and tries again
            raise DisconnectionError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defeats SAVEPOINT and BEGIN IMMEDIATE; take it over
    # (the recipe from SQLAlchemy's SQLite dialect documentation).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN" if sqlite_read_only.get() else "BEGIN IMMEDIATE")


_DEFERRED = "tessera_deferred"


def defer_until_commit(kind: str, item) -> None:
    """Keep `item` until the session's outermost transaction commits (the `after_commit`
    listener of its kind takes it with `take_deferred`). Forgotten when that transaction rolls
    back, or when the savepoint it was deferred in rolls back — but not when another savepoint
    does (an `add_unique` conflict must not drop what the transaction did before it)."""
    session = db.session()
    made_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_DEFERRED, []).append((kind, made_in, item))


def take_deferred(session: Session, kind: str) -> list:
    """What was deferred of `kind` until this commit, taken (the rest stays)."""
    deferred = session.info.get(_DEFERRED)
    if not deferred:
        return []
    taken = [item for item_kind, _, item in deferred if item_kind == kind]
    deferred[:] = [entry for entry in deferred if entry[0] != kind]
    return taken


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    deferred = session.info.get(_DEFERRED)
    if not deferred:
        return
    if previous_transaction.parent is None:  # the outermost transaction: everything goes
        deferred.clear()
        return
    deferred[:] = [entry for entry in deferred if not _within(entry[1], previous_transaction)]


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def add_unique(row, on_conflict: Exception):
    """Insert `row` inside a savepoint. When a concurrent transaction took the same unique value
    first, raise `on_conflict` and leave the caller's transaction usable."""
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise on_conflict from None
    return row

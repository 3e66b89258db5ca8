"""Tenants and the walls between them (DESIGN.md §2).

- `Tenant` and `Domain` are platform tables. Every tenant-owned model derives from
  `TenantModel`: `tenant_id` leads its composite primary key and is filled from the current
  tenant by a column default, so ORM and Core inserts both get it.
- The current tenant lives in a context variable. A `do_orm_execute` hook adds
  `with_loader_criteria` to every ORM select, update and delete; with no tenant in context a
  statement that touches a tenant table raises `NoTenantError` (fail closed), unless the code
  says `with platform_scope():`.
- On PostgreSQL every transaction carries `app.tenant_id` and the role of its context as settings
  local to it (set with its BEGIN, again when the context changes inside it), so row-level
  security is a second wall under the ORM's and nothing outlives the transaction.
- The money paths (checkout, payment) run Core statements prepared once at import through
  `execute`; they skip the ORM's scoping, so each names its tenant with `of_tenant`, and
  `execute` refuses a select, update or delete that does not (fail closed)."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import enum
import functools
from types import SimpleNamespace
from typing import Any, Callable, Iterator

from sqlalchemy import BigInteger, Boolean, ColumnElement, ForeignKey, String, Table, bindparam, event, select
from sqlalchemy.sql import Insert
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import iterate
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship, with_loader_criteria

from core import prepared
from core.citus import on_citus
from core.db import APP_ROLE, UTCDateTime, db, str_enum, utcnow
from core.ids import new_id


class NoTenantError(RuntimeError):
    """A tenant table was touched with no tenant in context and no platform scope."""


@dataclasses.dataclass(frozen=True)
class TenantContext:
    id: int
    slug: str
    currency: str
    timezone: str
    plan_id: int | None = None  # None: no plan (unlimited): what a plan leaves out needs no look


_current: contextvars.ContextVar[TenantContext | None] = contextvars.ContextVar("tessera_tenant", default=None)
_platform: contextvars.ContextVar[bool] = contextvars.ContextVar("tessera_platform_scope", default=False)


def current_tenant() -> TenantContext | None:
    return _current.get()


def current_tenant_id() -> int:
    """The id of the tenant in context; raises NoTenantError when there is none."""
    tenant = _current.get()
    if tenant is None:
        raise NoTenantError("no tenant in context: resolve one, or use tenant_scope()/platform_scope()")
    return tenant.id


@contextlib.contextmanager
def tenant_scope(tenant: "Tenant | TenantContext") -> Iterator[TenantContext]:
    """Run the block as `tenant` (jobs, CLI commands, tests)."""
    context = tenant if isinstance(tenant, TenantContext) else tenant.context()
    token = _current.set(context)
    platform_token = _platform.set(False)
    try:
        yield context
    finally:
        _platform.reset(platform_token)
        _current.reset(token)


@contextlib.contextmanager
def platform_scope() -> Iterator[None]:
    """Cross tenants on purpose: sweepers, the outbox relay, platform reports. Rare by design."""
    token = _platform.set(True)
    tenant_token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(tenant_token)
        _platform.reset(token)


def in_platform_scope() -> bool:
    return _platform.get()


def set_request_tenant(tenant: TenantContext | None) -> None:
    """Tenant resolution sets the request's tenant; the request's context ends with it."""
    _current.set(tenant)


_SCOPED: set = set()  # prepared statements checked to carry of_tenant


def of_tenant(table: Table) -> ColumnElement[bool]:
    """`tenant_id = :current_tenant`, the criterion every prepared statement run by `execute`
    carries (Core statements are not scoped by the ORM)."""
    return table.c.tenant_id == bindparam("current_tenant")


def execute(statement, params: dict | list[dict] | None = None) -> "prepared.Rows":
    """Run a Core statement prepared once (at import: no building, no ORM unit of work — the
    write paths bench/checkout.py measures) on the session's connection, in its transaction, with
    :current_tenant bound to the tenant in context, straight on the driver (`core.prepared`).
    Inserts get tenant_id from its column default. A list of parameter sets runs as one
    executemany."""
    tenant_id = current_tenant_id()
    if _queued.get():
        _write_queued()  # the inserts queued before this statement go first
    if statement not in _SCOPED:
        _require_scoped(statement)
    connection = _transaction_connection()
    if isinstance(params, list):
        return prepared.run(connection, statement, [{**row, "current_tenant": tenant_id} for row in params])
    return prepared.run(connection, statement, {**(params or {}), "current_tenant": tenant_id})


def execute_later(statement, params: dict) -> "prepared.Later":
    """`execute` for a read that can wait for the transaction's next statement and go in its
    round trip (core.prepared.run_later; PostgreSQL without Citus, elsewhere it runs now): its
    `rows()` when needed. Ask for it just before that statement, in the same shop: a price step
    asks for what it will read before the quote's first statement (`read_ahead`)."""
    tenant_id = current_tenant_id()
    if _queued.get():
        _write_queued()  # the inserts queued before this read go first
    if statement not in _SCOPED:
        _require_scoped(statement)
    params = {**params, "current_tenant": tenant_id}
    connection = _transaction_connection()
    if connection.info.get(_BEGIN_WITH_NEXT):
        return prepared.run_later(_transaction_connection, statement, params)
    return prepared.Later(_transaction_connection, None, None, prepared.run(connection, statement, params))


def _require_scoped(statement) -> None:
    if not isinstance(statement, Insert) and not any(
            isinstance(node, BindParameter) and node.key == "current_tenant" for node in iterate(statement)):
        raise NoTenantError("a prepared statement must name its tenant: where(of_tenant(table), ...)")
    _SCOPED.add(statement)


def execute_platform(statement, params: dict | None = None) -> "prepared.Rows":
    """Run a prepared Core statement on platform tables only (no tenant to bind: refused when it
    touches a tenant table), on the session's connection, in its transaction (`execute`)."""
    if statement not in _SCOPED:
        if _tenant_tables_in(statement):
            raise NoTenantError("a prepared statement on tenant tables runs through execute(), with of_tenant")
        _SCOPED.add(statement)
    return prepared.run(_transaction_connection(), statement, params or {})


def transaction_dialect() -> str:
    """The dialect of the session's transaction ("postgresql", "sqlite", or "citus" for a Citus
    coordinator, which refuses some of PostgreSQL's statements), for the statements a write path
    words for one database alone."""
    connection = _transaction_connection()
    return "citus" if connection.dialect.name == "postgresql" and on_citus(connection) else connection.dialect.name


def _transaction_connection():
    """The connection of the session's transaction (begun if none is): asked of the session once
    per transaction, then kept in its `info` while that transaction lasts."""
    session = db.session()
    transaction = session.get_transaction()
    held = session.info.get("tessera_connection")
    if transaction is not None and held is not None and held[0] is transaction and transaction.is_active:
        return held[1]
    connection = session.connection()
    session.info["tessera_connection"] = (session.get_transaction(), connection)
    return connection


def new_row(model: type["TenantModel"], **values) -> SimpleNamespace:
    """A row of a tenant table about to be written by `insert_rows`, as a plain object: every
    column, given or from its default, tenant_id from the context. The write paths answer from it
    (schemas read attributes) without an ORM instance and its unit of work."""
    row = {}
    for key, make, constant in _defaults(model.__table__):
        row[key] = values[key] if key in values else make(None) if make is not None else constant
    row["tenant_id"] = current_tenant_id()
    return SimpleNamespace(**row)


@functools.cache
def _defaults(table: Table) -> tuple:
    """(column key, its default's function or None, its constant default) for every column."""
    return tuple((column.key, column.default.arg if column.default is not None and column.default.is_callable else None,
                  column.default.arg if column.default is not None and not column.default.is_callable else None)
                 for column in table.columns)


_INSERTS: dict = {}
_queued: contextvars.ContextVar[list | None] = contextvars.ContextVar("tessera_queued_inserts", default=None)


def insert_rows(model: type["TenantModel"], rows: list[SimpleNamespace]) -> None:
    """Write rows made by `new_row`: one prepared INSERT, an executemany when there are several;
    inside `inserts_together`, queued to go with the block's other inserts."""
    if not rows:
        return
    queued = _queued.get()
    if queued is not None:
        queued.append((model, rows))
    else:
        _insert(model, rows)


def _insert(model: type["TenantModel"], rows: list[SimpleNamespace]) -> None:
    table = model.__table__
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = table.insert()
    execute(statement, [vars(row) for row in rows] if len(rows) > 1 else vars(rows[0]))


@contextlib.contextmanager
def inserts_together() -> Iterator[None]:
    """Inserts made one after the other in the block (`insert_rows`, and what calls it: `emit`)
    go to the database as one statement where the database allows it (PostgreSQL: data-modifying
    CTEs), at the end of the block or before the next statement runs (`execute`, an ORM query or
    flush), so statements keep their order. An order's rows (the order, its lines, its first
    transition, its event) then cost one round trip instead of four."""
    token = _queued.set([])
    try:
        yield
        _write_queued()
    finally:
        _queued.reset(token)


@dataclasses.dataclass(frozen=True)
class _Write:
    statement: Any
    params: dict
    check: Callable[["prepared.Rows"], None] | None
    guard: bool = False
    fill: tuple[type, str] | None = None


def execute_with_inserts(statement, params: dict, check: Callable[["prepared.Rows"], None] | None = None, *,
                         guard: bool = False, fill: tuple[type, str] | None = None) -> None:
    """A prepared data-modifying statement (an UPDATE … RETURNING, scoped with of_tenant) that,
    inside `inserts_together`, goes with the block's queued inserts: on PostgreSQL in their one
    statement and round trip (before them; it must not touch a row queued with it), its rows
    handed to `check` once written — `check` raises to refuse, and what it emits is written next.
    Outside a block, or where the database cannot, it runs now, in order. The checkout's holds
    (a promotion's budget, a coupon's copy) go so with the order's rows.

    `guard`: the block's first write, on which what the block writes after it depends (an order's
    compare-and-set): when it touches no row, `check` raises and nothing queued after it is
    written — on PostgreSQL the statement's other parts are conditioned on it; elsewhere they are
    not run.

    `fill`: (model, column) — the rows of `model` queued after it in the block are written with
    the `column` its first row returns (a RETURNING column of that name): on PostgreSQL the
    block's statement puts it in; elsewhere the write runs first and `check` must set it on the
    rows (checkout: the order's number, handed out with the order's insert)."""
    if statement not in _SCOPED:
        _require_scoped(statement)
    write = _Write(statement, {**params, "current_tenant": current_tenant_id()}, check, guard, fill)
    queued = _queued.get()
    if queued is None:
        _run_write(_transaction_connection(), write)
        return
    if guard and queued:
        raise ValueError("a guard is the first write of its inserts_together block")
    queued.append(write)


def _run_write(connection, write: _Write) -> None:
    rows = prepared.run(connection, write.statement, write.params)
    if write.check is not None:
        write.check(rows)


def _write_queued() -> None:
    queued = _queued.get()
    while queued:  # a check's events are queued in turn
        entries = list(queued)
        queued.clear()  # emptied first: the statements below find nothing queued
        connection = _transaction_connection()
        groups = [entry for entry in entries if not isinstance(entry, _Write)]
        writes = [entry for entry in entries if isinstance(entry, _Write)]
        # (Citus cannot route an INSERT … SELECT from json rows to a shard, and pulls it through COPY,
        # which row-level security refuses: there each table's rows are one routed statement)
        together = connection.dialect.name == "postgresql" and not on_citus(connection)
        guarded = bool(writes) and entries[0] is writes[0] and writes[0].guard
        if together and writes:
            answered = prepared.run_together(connection, [(model.__table__, rows) for model, rows in groups],
                                             [(write.statement, write.params) for write in writes], guarded=guarded,
                                             fills=_fills(entries))
            if answered is not None:
                for write, rows in zip(writes, answered):
                    if write.check is not None:
                        write.check(prepared.Rows(rows, len(rows)))
                continue
        if not together or len(groups) <= 1 or guarded or any(write.fill for write in writes):  # in queued order
            for entry in entries:
                if isinstance(entry, _Write):
                    _run_write(connection, entry)
                else:
                    _insert(*entry)
            continue
        statement, params = prepared.together([(model.__table__, rows) for model, rows in groups])
        prepared.run(connection, statement, params)
        for write in writes:
            _run_write(connection, write)


def _fills(entries: list) -> tuple[tuple[int, str, int], ...]:
    """run_together's fills for the queued entries: (insert group, column, write) for each group
    queued after a write that fills its model's column."""
    fills, groups, writes, filling = [], 0, 0, []
    for entry in entries:
        if isinstance(entry, _Write):
            if entry.fill is not None:
                filling.append((entry.fill, writes))
            writes += 1
        else:
            fills += [(groups, column, k) for (model, column), k in filling if model is entry[0]]
            groups += 1
    return tuple(fills)


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    PENDING = "pending"  # signed up, its owner's e-mail not yet confirmed: the back office works, the shop is not open


class Tenant(db.Model):
    """A merchant's shop: the unit of isolation. Platform table."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    status: Mapped[TenantStatus] = mapped_column(
        str_enum(TenantStatus),
        default=TenantStatus.ACTIVE)
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("resellers.id", ondelete="RESTRICT"), index=True)  # core.resellers
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))  # None: unlimited (core.plans)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # why it is suspended: "admin" (the console, with a reason in the audit log), "billing" (its
    # plan unpaid past the grace period: paying reopens it, tenants.billing) or "deletion"
    suspended_by: Mapped[str | None] = mapped_column(String(20))
    deletion_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # tenants.deletion removes it then

    domains: Mapped[list["Domain"]] = relationship(back_populates="tenant", lazy="raise")

    def context(self) -> TenantContext:
        return TenantContext(id=self.id, slug=self.slug, currency=self.currency, timezone=self.timezone,
                             plan_id=self.plan_id)

    @property
    def is_suspended(self) -> bool:
        return self.status == TenantStatus.SUSPENDED

    @property
    def is_pending(self) -> bool:
        return self.status == TenantStatus.PENDING


class Domain(db.Model):
    """A custom host name that serves a tenant's storefront and API. Platform table."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    host: Mapped[str] = mapped_column(String(253), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the TXT record that proves the shop controls the name (tenants.domains); None: set by the platform
    token: Mapped[str | None] = mapped_column(String(64))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)  # the address the shop gives out
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(String(200))  # what the last check found wrong

    tenant: Mapped[Tenant] = relationship(back_populates="domains", lazy="raise")


def _tenant_id_default() -> int:
    return current_tenant_id()


class TenantModel(db.Model):
    """Base of every tenant-owned table: composite primary key (tenant_id, id), tenant_id filled
    from the current tenant, scoped automatically. Foreign keys to other tenant tables include
    tenant_id (see `tenant_fk`)."""

    __abstract__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True,
                             default=_tenant_id_default, sort_order=-2)

    @declared_attr
    def id(cls) -> Mapped[int]:
        return mapped_column(BigInteger, primary_key=True, default=new_id, sort_order=-1)

    @classmethod
    def get(cls, id: int):
        """The row with this id in the current tenant, or None."""
        return db.session.get(cls, (current_tenant_id(), id))


def tenant_fk(columns: list[str], target_table: str, target_columns: list[str] | None = None, **kw):
    """A foreign key between tenant tables, led by tenant_id: tenant_fk(["order_id"], "orders")."""
    from sqlalchemy import ForeignKeyConstraint

    target_columns = target_columns or ["id"]
    return ForeignKeyConstraint(["tenant_id", *columns],
                                [f"{target_table}.tenant_id", *(f"{target_table}.{c}" for c in target_columns)],
                                ondelete=kw.pop("ondelete", "RESTRICT"), **kw)


def tenant_relationship(target: str, local_fk: str, **kw):
    """Many-to-one over a (tenant_id, <local_fk>) key. Only the id column is marked foreign, so
    SQLAlchemy never writes tenant_id through the relationship."""

    @declared_attr
    def rel(cls):
        return relationship(target, primaryjoin=(
            f"and_(foreign({cls.__name__}.{local_fk}) == {target}.id, "
            f"{cls.__name__}.tenant_id == {target}.tenant_id)"), **kw)

    return rel


def tenant_collection(target: str, remote_fk: str, **kw):
    """One-to-many over the child's (tenant_id, <remote_fk>) key; removing a child from the
    collection nulls only <remote_fk>, never tenant_id."""

    @declared_attr
    def rel(cls):
        return relationship(target, primaryjoin=(
            f"and_(foreign({target}.{remote_fk}) == {cls.__name__}.id, "
            f"{target}.tenant_id == {cls.__name__}.tenant_id)"), **kw)

    return rel


def tenant_tables() -> list:
    """Every table of a TenantModel subclass."""
    return [mapper.local_table for mapper in db.Model.registry.mappers
            if issubclass(mapper.class_, TenantModel) and mapper.local_table is not None]


@functools.cache
def _tenant_table_names() -> frozenset[str]:
    return frozenset(table.name for table in tenant_tables())


def _tenant_tables_in(statement) -> list[str]:
    """Every tenant table a statement touches — its entities, joins, subqueries and Core tables
    alike (the fail-closed check reads them all, not only the entities it returns)."""
    names = _tenant_table_names()
    return sorted({node.name for node in iterate(statement) if isinstance(node, Table) and node.name in names})


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state) -> None:
    if _queued.get():
        _write_queued()  # inserts queued by inserts_together go before any other statement
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("tessera_skip_scope") or _platform.get():
        return
    tenant = _current.get()
    if tenant is None:
        touched = _tenant_tables_in(state.statement)
        if touched:
            raise NoTenantError(f"statement on tenant table {touched[0]} with no tenant in context")
        return
    tenant_id = tenant.id  # read outside the lambda: it becomes a bound parameter
    state.statement = state.statement.options(
        with_loader_criteria(TenantModel, lambda cls: cls.tenant_id == tenant_id, include_aliases=True))


@event.listens_for(Session, "before_flush")
def _check_tenant_on_flush(session, flush_context, instances) -> None:
    """An object of another tenant must never be written from this one's context."""
    if _queued.get():
        _write_queued()
    if _platform.get():
        return
    tenant = _current.get()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantModel):
            if tenant is None:
                raise NoTenantError(f"writing {type(obj).__name__} with no tenant in context")
            if obj.tenant_id is not None and obj.tenant_id != tenant.id:
                raise NoTenantError(f"writing {type(obj).__name__} of tenant {obj.tenant_id} as tenant {tenant.id}")


_TRANSACTION_CONTROL = ("ROLLBACK", "RELEASE", "SAVEPOINT", "COMMIT", "BEGIN")
_RLS = "tessera_rls"  # what the connection's current transaction holds: (tenant id or "", platform "on"/"off")
_BEGIN_WITH_NEXT = "tessera_begin_with_next"  # the connection sends BEGIN with its transaction's first statement
_BEGIN_PENDING = "tessera_begin_pending"  # a transaction begun, its BEGIN not yet sent


def _wanted_rls() -> tuple[str, str]:
    if _platform.get():
        return "", "on"
    tenant = _current.get()
    return (str(tenant.id) if tenant else ""), "off"


def _rls_sql(wanted: tuple[str, str]) -> str:
    """The tenant and the platform scope as `SET LOCAL` settings the policy reads (on Citus, with
    `citus.propagate_set_commands = 'local'`, they reach the workers' sessions too: `set_config`
    would not), and always the application's role, by `set_config` (Citus opens its worker
    connections as the current role, and refuses one transaction touching a shard as two roles:
    the platform scope is a setting, not a role with BYPASSRLS). docs/scaling.md."""
    _inlinable(wanted)
    return (f"SET LOCAL app.tenant_id = '{wanted[0]}'; SET LOCAL app.platform = '{wanted[1]}'; "
            f"SELECT set_config('role', '{APP_ROLE}', true)")


def _inlinable(wanted: tuple[str, str]) -> None:
    # inlined, not bound: a BIGINT's digits (or nothing) and "on"/"off"
    assert (wanted[0] == "" or wanted[0].isdigit()) and wanted[1] in ("on", "off")


def _rls_settings(wanted: tuple[str, str]) -> str:
    """`_rls_sql`'s settings as one command (`set_config(…, true)` is `SET LOCAL`), for PostgreSQL
    without Citus: what a pipeline sends ahead of a statement."""
    _inlinable(wanted)
    return (f"SELECT set_config('app.tenant_id', '{wanted[0]}', true), set_config('app.platform', '{wanted[1]}', true), "
            f"set_config('role', '{APP_ROLE}', true)")


def install_rls_transaction_settings(engine) -> None:
    """PostgreSQL: every transaction carries the tenant (or the platform scope) of its context and
    the application's role as settings local to it (`SET LOCAL`, `set_config(…, true)`, DESIGN.md §2), gone at its COMMIT or ROLLBACK — a pooled
    connection never carries a tenant or the platform role into its next use. psycopg's own BEGIN
    is turned off (the connection is in autocommit); ours carries the settings, and again before
    a statement whose context differs from what the transaction holds (a sweeper going from shop
    to shop, a savepoint rolled back).

    Without Citus, BEGIN and the settings wait for the transaction's first statement: they go in
    its round trip when core.prepared runs it (a pipeline), or just before it otherwise; a
    transaction that runs no statement sends nothing. On Citus they go at the BEGIN, as
    `SET LOCAL` (propagated to the workers)."""

    @event.listens_for(engine, "connect")
    def _own_begin(dbapi_connection, connection_record):
        connection_record.info.pop(_RLS, None)
        connection_record.info.pop(_BEGIN_PENDING, None)
        dbapi_connection.autocommit = True  # no BEGIN from psycopg: ours carries the settings
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
            connection_record.info[_BEGIN_WITH_NEXT] = cursor.fetchone() is None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if conn.info.get(_BEGIN_WITH_NEXT):
            conn.info[_BEGIN_PENDING] = True
            return
        wanted = _wanted_rls()
        with conn.connection.dbapi_connection.cursor() as cursor:
            cursor.execute(f"BEGIN; {_rls_sql(wanted)}")
        conn.info[_RLS] = wanted

    @event.listens_for(engine, "before_cursor_execute")
    def _apply(conn, cursor, statement, parameters, context, executemany):
        if conn.info.pop(_BEGIN_PENDING, False):
            wanted = _wanted_rls()
            prepared.run_ahead(conn, cursor, ("BEGIN", _rls_settings(wanted)))
            conn.info[_RLS] = wanted
            prepared.run_waiting(conn)  # reads waiting for a statement not run by core.prepared (`execute_later`)
            return
        if statement.startswith("ROLLBACK"):
            prepared.forget_waiting(conn)
        else:
            prepared.run_waiting(conn)
        if statement.startswith(_TRANSACTION_CONTROL):
            return  # needs no tenant, and must still work in a failed transaction
        wanted = _wanted_rls()
        if conn.info.get(_RLS) != wanted:
            cursor.execute(_rls_sql(wanted))
            conn.info[_RLS] = wanted

    def _forget(conn, *args):
        conn.info.pop(_RLS, None)
        conn.info.pop(_BEGIN_PENDING, None)
        prepared.forget_waiting(conn)

    for name in ("commit", "rollback", "rollback_savepoint"):
        event.listen(engine, name, _forget)


def find_tenant(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))

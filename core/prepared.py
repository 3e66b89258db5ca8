"""Core statements run straight on the driver's cursor (the money paths' statements, see
`core.tenancy.execute`).

SQLAlchemy builds, caches and executes a Core statement in some hundred Python calls; a prepared
statement run by the checkout runs dozens of times a second, always with the same columns. Here
each (statement, dialect, parameter names) is compiled by SQLAlchemy once — its SQL, the order of
its parameters, its constants and column defaults, the type processing of its parameters and of
its result columns (all through public APIs) — and then run on the session connection's DBAPI
cursor, in the session's transaction, with the engine's `before_cursor_execute` listeners called
as SQLAlchemy calls them (the tenant's row-level-security settings, the tests' statement counts)
and the driver's errors raised as SQLAlchemy's.

Statements that SQLAlchemy rewrites per execution (expanding IN lists) run through SQLAlchemy."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, Callable

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    # (name, the caller's parameter, else a constant, else a column default's function; its processor)
    binds: tuple[tuple[str, str | None, Any, Callable | None, Callable | None], ...]
    positional: bool
    row: type | None  # a named tuple of the result columns; None when there are none
    processors: tuple[tuple[int, Callable], ...]  # result columns that need one
    returns_rows: bool


class Rows:
    """What a prepared statement answered: its rows (named tuples) and how many rows it touched.
    The subset of SQLAlchemy's Result the write paths use."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self.rows, self.rowcount = rows, rowcount

    def __iter__(self):
        return iter(self.rows)

    def first(self):
        return self.rows[0] if self.rows else None

    def scalar(self):
        return self.rows[0][0] if self.rows else None

    def scalar_one(self):
        if len(self.rows) != 1:
            raise NoResultFound("no row was found") if not self.rows else MultipleResultsFound("several rows")
        return self.rows[0][0]


_PLANS: dict = {}
_VIA_SQLALCHEMY = object()
_CURSOR = "tessera_prepared_cursor"


def run(connection: Connection, statement, params: dict | list[dict]):
    """Run `statement` with `params` (a list: one executemany) on `connection`; a `Rows`, or
    SQLAlchemy's Result for the statements it must rewrite per execution."""
    many = isinstance(params, list)
    keys = frozenset(params[0] if many else params)
    dialect = connection.dialect
    plan = _PLANS.get((statement, dialect.name, keys))
    if plan is None:
        plan = _PLANS[(statement, dialect.name, keys)] = _plan(statement, dialect, keys)
    if plan is _VIA_SQLALCHEMY:
        return connection.execute(statement, params)
    if many:
        bound = [_bind(plan, row) for row in params]
    else:
        bound = _bind(plan, params)
    dbapi_connection = connection.connection.dbapi_connection
    cursor = _cursor(connection, dbapi_connection)
    for listener in connection.dispatch.before_cursor_execute:
        listener(connection, cursor, plan.sql, bound, None, many)
    try:
        if many:
            cursor.executemany(plan.sql, bound)
        else:
            cursor.execute(plan.sql, bound)
        rows = cursor.fetchall() if plan.returns_rows else []
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, cursor):
            connection.invalidate(error)
        raise DBAPIError.instance(plan.sql, bound, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
    if plan.row is not None:
        rows = [plan.row(*_processed(plan, row)) for row in rows] if plan.processors else \
            [plan.row(*row) for row in rows]
    return Rows(rows, cursor.rowcount)


def _bind(plan: _Plan, params: dict):
    if plan.positional:
        return tuple(_value(bind, params) for bind in plan.binds)
    return {bind[0]: _value(bind, params) for bind in plan.binds}


def _value(bind: tuple, params: dict):
    _, key, constant, default, processor = bind
    value = params[key] if key is not None else default() if default is not None else constant
    return processor(value) if processor is not None else value


def _processed(plan: _Plan, row: tuple) -> list:
    values = list(row)
    for index, processor in plan.processors:
        values[index] = processor(values[index])
    return values


def _cursor(connection: Connection, dbapi_connection):
    """One cursor per DBAPI connection, reused statement after statement."""
    info = connection.connection.info
    held = info.get(_CURSOR)
    if held is None or held[0] is not dbapi_connection:
        held = info[_CURSOR] = (dbapi_connection, dbapi_connection.cursor())
    return held[1]


class _Probe:
    """Stands for a caller's parameter while the compiled statement's parameters are traced."""

    def __init__(self, key: str):
        self.key = key


def _plan(statement, dialect, keys: frozenset) -> _Plan | object:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.escaped_bind_names:
        return _VIA_SQLALCHEMY
    traced = compiled.construct_params({key: _Probe(key) for key in keys}, _check=False)
    defaults = {column.key: column.default for column in compiled.insert_prefetch}
    defaults.update({column.key: column.onupdate for column in compiled.update_prefetch})
    names = compiled.positiontup if dialect.positional else list(traced)
    binds = []
    for name in names:
        value = traced[name]
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(value, _Probe):
            binds.append((name, value.key, None, None, processor))
        elif name in defaults and name not in keys and defaults[name].is_callable:  # taken per execution
            binds.append((name, None, None, lambda arg=defaults[name].arg: arg(None), processor))
        elif name in defaults and name not in keys:
            binds.append((name, None, defaults[name].arg, None, processor))
        else:
            binds.append((name, None, value, None, processor))
    columns = list(statement.exported_columns)
    row = collections.namedtuple("Row", [column.key for column in columns], rename=True) if columns else None
    processors = tuple((index, processor) for index, column in enumerate(columns)
                       if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)))
    return _Plan(sql=compiled.string, binds=tuple(binds), positional=dialect.positional, row=row,
                 processors=processors, returns_rows=bool(columns))

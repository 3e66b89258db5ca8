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

from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    given: tuple[tuple[str, str], ...]  # (bind name, the caller's parameter) needing no processing
    processed: tuple[tuple[str, str, Callable], ...]  # (bind name, parameter, processor)
    constants: tuple[tuple[str, Any], ...]  # (bind name, value as bound)
    generated: tuple[tuple[str, Callable, Callable | None], ...]  # (bind name, column default, processor)
    order: tuple[str, ...] | None  # the bind names in position, for positional drivers
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


_TOGETHER: dict = {}


def together(groups: list[tuple[Table, list]]) -> tuple[Insert, dict]:
    """One INSERT statement writing the rows of several tables (each group: a table and its rows,
    plain objects with every column), each group but the last as a data-modifying CTE
    (PostgreSQL), and its parameters. The statement is built once per shape (tables and row
    counts)."""
    shape = tuple((table, len(rows)) for table, rows in groups)
    built = _TOGETHER.get(shape)
    if built is None:
        built = _TOGETHER[shape] = _together(shape)
    statement, names = built
    params = {}
    for (_, rows), group_names in zip(groups, names):
        for row, row_names in zip(rows, group_names):
            values = vars(row)
            params.update({name: values[key] for name, key in row_names})
    return statement, params


def _together(shape: tuple) -> tuple[Insert, list]:
    inserts, names = [], []
    for g, (table, count) in enumerate(shape):
        rows = [[(f"g{g}r{r}_{column.key}", column.key) for column in table.columns] for r in range(count)]
        names.append(rows)
        inserts.append(insert(table).values([{key: bindparam(name, type_=table.c[key].type) for name, key in row}
                                             for row in rows]))
    *first, last = inserts
    return last.add_cte(*(statement.cte(f"w{g}") for g, statement in enumerate(first))), names


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
    bound = {name: params[key] for name, key in plan.given}
    for name, key, processor in plan.processed:
        bound[name] = processor(params[key])
    bound.update(plan.constants)
    for name, make, processor in plan.generated:
        bound[name] = make() if processor is None else processor(make())
    return bound if plan.order is None else tuple(bound[name] for name in plan.order)


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
    given, processed, constants, generated = [], [], [], []
    for name, value in traced.items():
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(value, _Probe) and processor is None:
            given.append((name, value.key))
        elif isinstance(value, _Probe):
            processed.append((name, value.key, processor))
        elif name in defaults and name not in keys and defaults[name].is_callable:  # taken per execution
            generated.append((name, lambda arg=defaults[name].arg: arg(None), processor))
        else:
            value = defaults[name].arg if name in defaults and name not in keys else value
            constants.append((name, value if processor is None else processor(value)))
    columns = list(statement.exported_columns)
    row = collections.namedtuple("Row", [column.key for column in columns], rename=True) if columns else None
    processors = tuple((index, processor) for index, column in enumerate(columns)
                       if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)))
    return _Plan(sql=compiled.string, given=tuple(given), processed=tuple(processed), constants=tuple(constants),
                 generated=tuple(generated), order=tuple(compiled.positiontup) if dialect.positional else None,
                 row=row, processors=processors, returns_rows=bool(columns))

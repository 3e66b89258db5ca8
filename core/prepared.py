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
import datetime as dt
import re
from typing import Any, Callable

import orjson
from sqlalchemy import JSON, Boolean, Integer, String, Table, TextClause, bindparam, text
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


def together(groups: list[tuple[Table, list]]) -> tuple[TextClause, dict]:
    """One statement writing the rows of several tables, PostgreSQL only: each group (a table and
    its rows, plain objects with every column) travels as one JSON parameter that
    `json_populate_recordset` turns into the table's rows, every group but the last in a
    data-modifying CTE. A handful of parameters however many rows and columns, so the driver
    keeps the statement converted and prepared; values are converted by PostgreSQL from their
    JSON form (aware datetimes as ISO 8601). Returns the statement (built once per list of
    tables) and its parameters."""
    tables = tuple(table for table, _ in groups)
    statement = _TOGETHER.get(tables)
    if statement is None:
        statement = _TOGETHER[tables] = _together(tables)
    return statement, {f"rows{g}": _rows_json(rows) for g, (_, rows) in enumerate(groups)}


def _together(tables: tuple[Table, ...]) -> TextClause:
    inserts = _inserts(tables)
    *first, last = inserts
    ctes = ", ".join(f"w{g} AS ({statement})" for g, statement in enumerate(first))
    return text(f"WITH {ctes} {last}" if ctes else last).bindparams(
        *(bindparam(f"rows{g}", type_=String) for g in range(len(tables))))


def _inserts(tables: tuple[Table, ...], fills: tuple[tuple[int, str, int], ...] = ()) -> list[str]:
    """Each table's INSERT of the rows of its JSON parameter; a filled column (see run_together)
    takes the value write k returned, through json_populate_record over the row."""
    inserts = []
    for g, table in enumerate(tables):
        rows = f"json_populate_recordset(NULL::{table.name}, CAST(:rows{g} AS json))"
        filled = ", ".join(f"'{column}', (SELECT \"{column}\" FROM u{k})" for group, column, k in fills if group == g)
        inserts.append(f"INSERT INTO {table.name} SELECT f.* FROM {rows} AS r, "
                       f"LATERAL json_populate_record(r, json_build_object({filled})) AS f" if filled else
                       f"INSERT INTO {table.name} SELECT * FROM {rows}")
    return inserts


_PARAMETER = re.compile(r"%\((\w+)\)s")


def run_together(connection: Connection, groups: list[tuple[Table, list]],
                 writes: list[tuple[Any, dict]], *, guarded: bool = False,
                 fills: tuple[tuple[int, str, int], ...] = ()) -> list[list] | None:
    """`together`'s inserts and data-modifying statements with RETURNING (`writes`: each a
    statement and its parameters) in one statement and one round trip, PostgreSQL only: the
    writes run first, in their order, each in a data-modifying CTE the final SELECT reads, then
    the inserts. `guarded`: the first write guards the rest — the other writes (UPDATEs) and the
    inserts happen only if it returned a row. `fills`: (g, column, k) — the rows of group g take
    `column` from the first row write k returns (a RETURNING column of that name), whatever
    their own value. Returns each write's rows (named tuples of its RETURNING columns), or None
    when a write cannot go so (its result columns need converting, or SQLAlchemy rewrites it per
    execution): then nothing ran."""
    dialect = connection.dialect
    plans = []
    for k, (statement, params) in enumerate(writes):
        if guarded and k:
            statement = _guarded(statement)
        plan = _plan_for(statement, dialect, frozenset(params))
        if plan is _VIA_SQLALCHEMY or plan.processors or not plan.returns_rows or plan.order is not None or not all(
                isinstance(column.type, _JSON_NATIVE) for column in statement.exported_columns):
            return None
        plans.append(plan)
    tables = tuple(table for table, _ in groups)
    key = (tables, tuple(plan.sql for plan in plans), guarded, fills)
    sql = _TOGETHER_WITH.get(key)
    if sql is None:
        inserts = [statement.replace(f":rows{g}", f"%(rows{g})s") + (f" WHERE {_GUARD}" if guarded else "")
                   for g, statement in enumerate(_inserts(tables, fills))]
        ctes = [f"u{k} AS ({_PARAMETER.sub(lambda found, k=k: f'%(u{k}_{found.group(1)})s', plan.sql)})"
                for k, plan in enumerate(plans)]
        ctes += [f"w{g} AS ({statement})" for g, statement in enumerate(inserts)]
        reads = " UNION ALL ".join(f"SELECT {k} AS k, row_to_json(u{k})::text AS r FROM u{k}" for k in range(len(plans)))
        sql = _TOGETHER_WITH[key] = f"WITH {', '.join(ctes)} {reads}"
    bound = {f"rows{g}": _rows_json(rows) for g, (_, rows) in enumerate(groups)}
    for k, (plan, (_, params)) in enumerate(zip(plans, writes)):
        bound.update((f"u{k}_{name}", value) for name, value in _bind(plan, params).items())
    answered = _run_sql(connection, sql, bound)
    rows: list[list] = [[] for _ in plans]
    for k, row in answered:
        values = orjson.loads(row)
        rows[k].append(plans[k].row(*values.values()))
    return rows


_TOGETHER_WITH: dict = {}
_GUARD = "EXISTS (SELECT FROM u0)"  # the first write of run_together(guarded=True) returned a row
_GUARDED: dict = {}


def _guarded(statement):
    """The UPDATE `statement` changing rows only when the guard of its run_together did."""
    variant = _GUARDED.get(statement)
    if variant is None:
        variant = _GUARDED[statement] = statement.where(text(_GUARD))
    return variant


# What a RETURNING column may be to come back through row_to_json as the driver gives it (a
# timestamp would come back a string, a NUMERIC a float)
_JSON_NATIVE = (Integer, String, Boolean, JSON)


def _rows_json(rows: list) -> str:
    """Rows (plain objects) as the JSON array json_populate_recordset reads: orjson, every
    datetime and date through _json_value (an aware datetime only: its error is raised as such)."""
    try:
        return orjson.dumps([vars(row) for row in rows], default=_json_value,
                            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError as error:
        raise error.__cause__ or error from None


def _json_value(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes (core.db.utcnow())")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no JSON form for a row")


_PLANS: dict = {}
_VIA_SQLALCHEMY = object()
_CURSOR = "tessera_prepared_cursor"


def run(connection: Connection, statement, params: dict | list[dict]):
    """Run `statement` with `params` (a list: one executemany) on `connection`; a `Rows`, or
    SQLAlchemy's Result for the statements it must rewrite per execution."""
    many = isinstance(params, list)
    keys = frozenset(params[0] if many else params)
    dialect = connection.dialect
    plan = _plan_for(statement, dialect, keys)
    if plan is _VIA_SQLALCHEMY:
        return connection.execute(statement, params)
    if many:
        bound = [_bind(plan, row) for row in params]
    else:
        bound = _bind(plan, params)
    rows, rowcount = _run_sql(connection, plan.sql, bound, many=many, returns_rows=plan.returns_rows, counted=True)
    return _rows_of(plan, rows, rowcount)


def _rows_of(plan: _Plan, rows: list, rowcount: int) -> Rows:
    if plan.row is not None:
        rows = [plan.row(*_processed(plan, row)) for row in rows] if plan.processors else \
            [plan.row(*row) for row in rows]
    return Rows(rows, rowcount)


_LATER = "tessera_later"  # the reads waiting to go with the connection's next statement


class Later:
    """A prepared read (`run_later`) and, once it has run, what it answered."""

    __slots__ = ("connect", "plan", "bound", "answer")

    def __init__(self, connect: Callable[[], Connection], plan: _Plan | None, bound, answer: Rows | None = None):
        self.connect, self.plan, self.bound, self.answer = connect, plan, bound, answer

    def rows(self) -> Rows:
        """Its rows: run alone now if no statement has carried it yet (the reads waiting with it
        go too), on the connection `connect` gives then."""
        if self.answer is None:
            connection = self.connect()
            waiting = connection.info.get(_LATER)
            if waiting and self in waiting:
                waiting.remove(self)
            self._run(connection)
        return self.answer

    def _run(self, connection: Connection) -> None:
        rows, rowcount = _run_sql(connection, self.plan.sql, self.bound, counted=True)
        self.answer = _rows_of(self.plan, rows, rowcount)


def run_later(connect: Callable[[], Connection], statement, params: dict) -> Later:
    """A read (a SELECT: it must change nothing) sent with the next statement run here on the
    connection `connect()` gives (that of the session's transaction), ahead of it in its round
    trip (psycopg's pipeline), so that it costs no round trip of its own; `Later.rows()` gives
    its rows, running it then if nothing has carried it. It runs in the transaction and the
    settings of the statement that carries it: ask for it just before that statement, in the
    same context. Reads that SQLAlchemy rewrites per execution, with positional parameters, or
    on a connection not in a pipeline's reach (`pipelines`), run now."""
    connection = connect()
    plan = _plan_for(statement, connection.dialect, frozenset(params))
    if plan is _VIA_SQLALCHEMY or not plan.returns_rows or plan.order is not None or not pipelines(connection):
        return Later(connect, None, None, run(connection, statement, params))
    read = Later(connect, plan, _bind(plan, params))
    connection.info.setdefault(_LATER, []).append(read)
    return read


def pipelines(connection: Connection) -> bool:
    """Whether the connection's driver sends statements ahead in a pipeline (psycopg 3)."""
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


def run_waiting(connection: Connection) -> None:
    """Run now the reads waiting for a statement (before one that is not run here)."""
    for read in connection.info.pop(_LATER, None) or ():
        if read.answer is None:
            read._run(connection)


def forget_waiting(connection: Connection) -> None:
    """At the transaction's end: a read still waiting runs, if asked, in the next one."""
    connection.info.pop(_LATER, None)


def _run_sql(connection: Connection, sql: str, bound, *, many: bool = False, returns_rows: bool = True,
             counted: bool = False):
    """Run driver-ready SQL on the connection's DBAPI cursor as SQLAlchemy would (its listeners,
    its errors): the rows (and, `counted`, the row count)."""
    dialect = connection.dialect
    dbapi_connection = connection.connection.dbapi_connection
    cursor = _cursor(connection, dbapi_connection)
    later = connection.info.pop(_LATER, None)
    ahead = connection.info[_AHEAD] = []
    try:
        for read in later or ():
            for listener in connection.dispatch.before_cursor_execute:
                listener(connection, cursor, read.plan.sql, read.bound, None, False)
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, sql, bound, None, many)
    finally:
        del connection.info[_AHEAD]
    try:
        if ahead or later:
            readers = []
            with dbapi_connection.pipeline():
                for statement in ahead:
                    cursor.execute(statement)
                for read in later or ():
                    readers.append(dbapi_connection.cursor())
                    readers[-1].execute(read.plan.sql, read.bound)
                _execute(cursor, sql, bound, many)
            for read, reader in zip(later or (), readers):
                read.answer = _rows_of(read.plan, reader.fetchall(), reader.rowcount)
                reader.close()
        else:
            _execute(cursor, sql, bound, many)
        rows = cursor.fetchall() if returns_rows else []
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, cursor):
            connection.invalidate(error)
        raise DBAPIError.instance(sql, bound, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
    return (rows, cursor.rowcount) if counted else rows


def _execute(cursor, sql: str, bound, many: bool) -> None:
    if many:
        cursor.executemany(sql, bound)
    else:
        cursor.execute(sql, bound)


_AHEAD = "tessera_ahead"  # while _run_sql's listeners run: the statements to send ahead of its own


def run_ahead(connection: Connection, cursor, statements: tuple[str, ...]) -> None:
    """For a `before_cursor_execute` listener: run `statements` (SQL without parameters, one
    command each) just before the statement about to run. When that statement is run here, they
    go with it in one round trip (psycopg's pipeline: a transaction's BEGIN and settings cost no
    round trip of their own); otherwise now, together."""
    ahead = connection.info.get(_AHEAD)
    if ahead is not None:
        ahead.extend(statements)
    else:
        cursor.execute("; ".join(statements))


def _plan_for(statement, dialect, keys: frozenset) -> _Plan | object:
    """The statement's plan for these parameter names, made once per process."""
    plan = _PLANS.get((statement, dialect.name, keys))
    if plan is None:
        plan = _PLANS[(statement, dialect.name, keys)] = _plan(statement, dialect, keys)
    return plan


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
    columns = list(getattr(statement, "exported_columns", ()))
    row = collections.namedtuple("Row", [column.key for column in columns], rename=True) if columns else None
    processors = tuple((index, processor) for index, column in enumerate(columns)
                       if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)))
    return _Plan(sql=compiled.string, given=tuple(given), processed=tuple(processed), constants=tuple(constants),
                 generated=tuple(generated), order=tuple(compiled.positiontup) if dialect.positional else None,
                 row=row, processors=processors, returns_rows=bool(columns))

"""Tessera on Citus (DESIGN.md §2, docs/scaling.md): platform tables are reference tables (a copy on
every node), tenant tables are distributed by tenant_id and co-located, so one tenant's rows share
a node and its queries route to one shard.

- On a Citus coordinator, every migration distributes the tables it creates as it creates them
  (`distributing_new_tables`, installed by migrations/env.py): `tessera db upgrade` builds the
  whole schema distributed from an empty database, and each migration from now on applies to
  Citus as it does to PostgreSQL.
- `distribution_problems` says why a table could not be distributed; a test asserts it finds
  nothing in the metadata, so a new table that Citus would refuse fails the suite first.
- An existing PostgreSQL database moves over as data: `tessera db upgrade` on an empty
  coordinator, then its rows restored into the distributed tables (docs/scaling.md)."""

from __future__ import annotations

import contextlib
import weakref
from typing import Iterator

from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, Table, UniqueConstraint, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import AddConstraint


UNDISTRIBUTED = {"alembic_version"}  # the coordinator's own bookkeeping


def citus_installed(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql" and connection.execute(
        text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")).first() is not None


_on_citus: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def on_citus(connection: Connection) -> bool:
    """Whether the connection's database is a Citus coordinator: asked once per engine."""
    engine = connection.engine
    known = _on_citus.get(engine)
    if known is None:
        known = _on_citus[engine] = citus_installed(connection)
    return known


def is_tenant_table(table: Table) -> bool:
    """A tenant table's primary key is led by tenant_id (TenantModel); platform tables (tenants,
    identities, domains, audit entries) have their own ids."""
    columns = list(table.primary_key.columns)
    return bool(columns) and columns[0].name == "tenant_id"


def distribute(connection: Connection, table: Table) -> None:
    """Make a new table a distributed one (tenant), co-located with the other tenant tables
    (Citus's default group for a bigint column), or a reference table (platform)."""
    if is_tenant_table(table):
        connection.execute(text("SELECT create_distributed_table(:name, 'tenant_id', colocate_with => 'default')"),
                           {"name": table.name})
    else:
        connection.execute(text("SELECT create_reference_table(:name)"), {"name": table.name})


@contextlib.contextmanager
def distributing_new_tables(connection: Connection) -> Iterator[None]:
    """While migrations run on a Citus coordinator: each table is distributed right after its
    CREATE TABLE, in the migration that creates it, before the next one can refer to it. Its
    foreign keys are added once it is distributed (Citus refuses a new local table holding keys to
    both a reference table and a distributed one)."""
    if not citus_installed(connection):
        yield
        return
    # one connection per node for the whole migration: Citus's rule once a transaction has touched
    # tables with keys to reference tables
    connection.execute(text("SET citus.multi_shard_modify_mode TO 'sequential'"))
    held: dict[Table, list[ForeignKeyConstraint]] = {}

    def before_create(table: Table, bind, **kw) -> None:
        if table.name not in UNDISTRIBUTED:
            held[table] = [c for c in table.constraints if isinstance(c, ForeignKeyConstraint)]
            for constraint in held[table]:
                table.constraints.discard(constraint)

    def after_create(table: Table, bind, **kw) -> None:
        if table.name not in UNDISTRIBUTED:
            distribute(bind, table)
            for constraint in held.pop(table):
                table.constraints.add(constraint)
                bind.execute(AddConstraint(constraint))

    event.listen(Table, "before_create", before_create)
    event.listen(Table, "after_create", after_create)
    try:
        yield
    finally:
        event.remove(Table, "before_create", before_create)
        event.remove(Table, "after_create", after_create)


def distribution_problems(table: Table, tenant_table_names: set[str]) -> list[str]:
    problems = []
    pk = table.primary_key
    if not isinstance(pk, PrimaryKeyConstraint) or "tenant_id" not in pk.columns.keys():
        problems.append(f"{table.name}: primary key does not include tenant_id")
    elif pk.columns.keys()[0] != "tenant_id":
        problems.append(f"{table.name}: primary key is not led by tenant_id")
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and "tenant_id" not in constraint.columns.keys():
            problems.append(f"{table.name}: unique constraint {constraint.name} lacks tenant_id")
        if isinstance(constraint, ForeignKeyConstraint):
            target = constraint.referred_table.name
            if target in tenant_table_names and "tenant_id" not in constraint.columns.keys():
                problems.append(f"{table.name}: foreign key to tenant table {target} lacks tenant_id")
    for index in table.indexes:
        if index.unique and "tenant_id" not in [c.name for c in index.columns]:
            problems.append(f"{table.name}: unique index {index.name} lacks tenant_id")
    for column in table.columns:
        if column.unique and column.name != "tenant_id":
            problems.append(f"{table.name}: column {column.name} is unique on its own")
    return problems

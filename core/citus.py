"""Citus readiness, derived from the metadata (DESIGN.md §2): platform tables become reference
tables, tenant tables are distributed by tenant_id and co-located. `distribution_problems` says
why a table could not be distributed; a test asserts it finds nothing."""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, Table, UniqueConstraint

from core.db import db
from core.tenancy import tenant_tables

ANCHOR = "tenants"


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


def citus_statements() -> list[str]:
    tenant = {t.name: t for t in tenant_tables()}
    platform = [t for t in db.metadata.sorted_tables if t.name not in tenant]
    problems = [p for table in tenant.values() for p in distribution_problems(table, set(tenant))]
    if problems:
        raise ValueError("tables not ready for Citus:\n" + "\n".join(problems))
    statements = ["-- Platform tables: replicated to every node.",
                  *(f"SELECT create_reference_table('{t.name}');" for t in platform),
                  "-- Tenant tables: sharded by tenant_id, co-located so a tenant's rows share a node."]
    first = None
    for table in db.metadata.sorted_tables:
        if table.name in tenant:
            colocate = f", colocate_with => '{first}'" if first else ""
            statements.append(f"SELECT create_distributed_table('{table.name}', 'tenant_id'{colocate});")
            first = first or table.name
    return statements

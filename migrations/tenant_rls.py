"""Row-level security for tenant tables (DESIGN.md §2), used by every migration that creates one.

The application runs as the role `tessera_app` (DML only, no BYPASSRLS); the policy lets a
transaction see the rows of the tenant its `app.tenant_id` setting names, or every tenant's when
its `app.platform` setting is 'on' (inside `platform_scope()`; since migration 0020 — before, a
second role with BYPASSRLS, which Citus cannot switch to within a transaction). The roles are
created once per cluster by `create_roles` (able to log in on Citus, whose coordinator connects to the workers
as them). On SQLite these are no-ops: the ORM's scoping is the only wall."""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from core.citus import citus_installed
from core.db import APP_ROLE, PLATFORM_ROLE

POLICY = "tenant_isolation"
TENANT_EXPRESSION = ("tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint "
                     "OR current_setting('app.platform', true) = 'on'")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_roles() -> None:
    if not _postgresql():
        return
    op.execute(f"""
DO $$
BEGIN
  BEGIN CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE {PLATFORM_ROLE} NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $$""")
    if citus_installed(op.get_bind()):
        # Citus opens its connections to the workers as the transaction's current role
        for role in (APP_ROLE, PLATFORM_ROLE):
            if not op.get_bind().execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :role"),
                                         {"role": role}).scalar():
                op.execute(f"ALTER ROLE {role} LOGIN")
    # roles are the cluster's: two databases migrated at once (test workers) may grant them together
    op.execute(f"""
DO $$
BEGIN
  GRANT {APP_ROLE}, {PLATFORM_ROLE} TO CURRENT_USER;
EXCEPTION WHEN unique_violation THEN NULL;
END $$""")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}, {PLATFORM_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES "
               f"TO {APP_ROLE}, {PLATFORM_ROLE}")


def grant_table(table: str) -> None:
    """DML for both roles (needed for tables created before the default privileges were set)."""
    if _postgresql():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}, {PLATFORM_ROLE}")


def enable_tenant_rls(table: str) -> None:
    if not _postgresql():
        return
    grant_table(table)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({TENANT_EXPRESSION}) WITH CHECK ({TENANT_EXPRESSION})")

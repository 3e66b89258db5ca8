"""the platform scope as a setting the tenant policy reads, not a role with BYPASSRLS (Citus)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 00:30:00
"""
from alembic import op
from sqlalchemy import text

from migrations.tenant_rls import POLICY, TENANT_EXPRESSION

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

BEFORE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def _rewrite_policies(expression: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    tables = bind.execute(text("SELECT tablename FROM pg_policies WHERE policyname = :policy AND schemaname = 'public' "
                               "ORDER BY tablename"), {"policy": POLICY}).scalars().all()
    for table in tables:
        op.execute(f"DROP POLICY {POLICY} ON {table}")
        op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({expression}) WITH CHECK ({expression})")


def upgrade():
    _rewrite_policies(TENANT_EXPRESSION)


def downgrade():
    _rewrite_policies(BEFORE)

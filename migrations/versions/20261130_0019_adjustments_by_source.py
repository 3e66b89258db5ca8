"""order adjustments by source, for the marketing tools' figures

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 21:40:00
"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_order_adjustments_source', ['tenant_id', 'source_kind', 'source_id'], unique=False)


def downgrade():
    with op.batch_alter_table('order_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_order_adjustments_source')

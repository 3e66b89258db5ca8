"""price adjustments: what each price step changed on an order, who funds it, its shares of the lines

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:00:00

Orders placed before this revision have no adjustments: their price stays explained by
`orders.pricing`, and no price step held anything for them.
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_adjustments',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('source_kind', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=True),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('funded_by', sa.String(length=40), nullable=False),
    sa.CheckConstraint("funded_by IN ('platform', 'merchant') OR funded_by LIKE 'sub_merchant:%'", name=op.f('ck_order_adjustments_funded_by_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_order_adjustments_tenant_id_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_adjustments_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_adjustments'))
    )
    with op.batch_alter_table('order_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_adjustments_tenant_id_order_id'), ['tenant_id', 'order_id'], unique=False)
    enable_tenant_rls("order_adjustments")

    op.create_table('order_adjustment_lines',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('adjustment_id', sa.BigInteger(), nullable=False),
    sa.Column('line_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'adjustment_id'], ['order_adjustments.tenant_id', 'order_adjustments.id'], name=op.f('fk_order_adjustment_lines_tenant_id_adjustment_id_order_adjustments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'line_id'], ['order_lines.tenant_id', 'order_lines.id'], name=op.f('fk_order_adjustment_lines_tenant_id_line_id_order_lines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_order_adjustment_lines_tenant_id_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_adjustment_lines_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_adjustment_lines')),
    sa.UniqueConstraint('tenant_id', 'adjustment_id', 'line_id', name=op.f('uq_order_adjustment_lines_tenant_id_adjustment_id_line_id'))
    )
    with op.batch_alter_table('order_adjustment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_adjustment_lines_tenant_id_order_id'), ['tenant_id', 'order_id'], unique=False)
    enable_tenant_rls("order_adjustment_lines")


def downgrade():
    with op.batch_alter_table('order_adjustment_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_adjustment_lines_tenant_id_order_id'))

    op.drop_table('order_adjustment_lines')
    with op.batch_alter_table('order_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_adjustments_tenant_id_order_id'))

    op.drop_table('order_adjustments')

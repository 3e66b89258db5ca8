"""items exclusive to a member tier and those above (a tier's benefit)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 05:47:08.482216
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exclusive_items',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('tier_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_exclusive_items_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_exclusive_items')),
    sa.UniqueConstraint('tenant_id', 'item_id', name='uq_exclusive_items_item')
    )
    with op.batch_alter_table('exclusive_items', schema=None) as batch_op:
        batch_op.create_index('ix_exclusive_items_tier', ['tenant_id', 'tier_id'], unique=False)
    enable_tenant_rls("exclusive_items")



def downgrade():
    with op.batch_alter_table('exclusive_items', schema=None) as batch_op:
        batch_op.drop_index('ix_exclusive_items_tier')

    op.drop_table('exclusive_items')

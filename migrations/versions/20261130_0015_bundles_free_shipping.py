"""bundles, free-shipping rules and a per-day limit on issuing a coupon

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 19:57:07
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bundles',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('funded_by', sa.String(length=40), nullable=False),
    sa.Column('sold_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'ended', name='couponstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bundles_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_bundles'))
    )
    enable_tenant_rls("bundles")
    op.create_table('free_shipping_rules',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('minimum', sa.BigInteger(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('excluded_regions', sa.JSON(), nullable=False),
    sa.Column('item_ids', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('funded_by', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'ended', name='couponstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_free_shipping_rules_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_free_shipping_rules'))
    )
    enable_tenant_rls("free_shipping_rules")
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('per_day_limit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('issued_day', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('issued_that_day', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_column('issued_that_day')
        batch_op.drop_column('issued_day')
        batch_op.drop_column('per_day_limit')

    op.drop_table('free_shipping_rules')
    op.drop_table('bundles')

"""coupons: the shop's coupons and the copies consumers hold

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 17:20:13

A copy is found by its consumer (the wallet), by its coupon and consumer (the per-person limit)
and by the order holding it (held at checkout, used when paid, given back on cancel); the expiry
reminder's sweep finds the copies about to expire across shops.
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coupons',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.Enum('amount', 'percent', 'threshold', 'free_shipping', name='couponkind', native_enum=False, length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('percent_bp', sa.Integer(), nullable=False),
    sa.Column('cap', sa.BigInteger(), nullable=True),
    sa.Column('minimum', sa.BigInteger(), nullable=False),
    sa.Column('scope', sa.Enum('all', 'items', 'categories', name='couponscope', native_enum=False, length=20), nullable=False),
    sa.Column('scope_ids', sa.JSON(), nullable=False),
    sa.Column('excluded_item_ids', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_days', sa.Integer(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('new_member_gift', sa.Boolean(), nullable=False),
    sa.Column('total_limit', sa.Integer(), nullable=True),
    sa.Column('per_consumer_limit', sa.Integer(), nullable=False),
    sa.Column('issued_count', sa.Integer(), nullable=False),
    sa.Column('used_count', sa.Integer(), nullable=False),
    sa.Column('funded_by', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'ended', name='couponstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_coupons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_coupons'))
    )
    op.create_table('consumer_coupons',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('coupon_id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('available', 'held', 'used', name='heldstatus', native_enum=False, length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_consumer_coupons_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'coupon_id'], ['coupons.tenant_id', 'coupons.id'], name=op.f('fk_consumer_coupons_tenant_id_coupon_id_coupons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_consumer_coupons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_consumer_coupons'))
    )
    with op.batch_alter_table('consumer_coupons', schema=None) as batch_op:
        batch_op.create_index('ix_consumer_coupons_coupon_consumer', ['tenant_id', 'coupon_id', 'consumer_id'], unique=False)
        batch_op.create_index('ix_consumer_coupons_wallet', ['tenant_id', 'consumer_id', 'status', 'valid_until'], unique=False)
        batch_op.create_index('ix_consumer_coupons_order', ['tenant_id', 'order_id'], unique=False)
        batch_op.create_index('ix_consumer_coupons_expiring', ['status', 'valid_until'], unique=False)
    enable_tenant_rls("coupons")
    enable_tenant_rls("consumer_coupons")


def downgrade():
    with op.batch_alter_table('consumer_coupons', schema=None) as batch_op:
        batch_op.drop_index('ix_consumer_coupons_expiring')
        batch_op.drop_index('ix_consumer_coupons_order')
        batch_op.drop_index('ix_consumer_coupons_wallet')
        batch_op.drop_index('ix_consumer_coupons_coupon_consumer')

    op.drop_table('consumer_coupons')
    op.drop_table('coupons')

"""coupon codes: redeem codes made in batches, each redeemed once

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 17:37:14
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coupon_codes',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('coupon_id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('batch', sa.String(length=40), nullable=False),
    sa.Column('redeemed_by', sa.BigInteger(), nullable=True),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'coupon_id'], ['coupons.tenant_id', 'coupons.id'], name=op.f('fk_coupon_codes_tenant_id_coupon_id_coupons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_coupon_codes_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_coupon_codes')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_coupon_codes_tenant_id_code'))
    )
    with op.batch_alter_table('coupon_codes', schema=None) as batch_op:
        batch_op.create_index('ix_coupon_codes_coupon_batch', ['tenant_id', 'coupon_id', 'batch'], unique=False)
    enable_tenant_rls("coupon_codes")


def downgrade():
    with op.batch_alter_table('coupon_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_coupon_codes_coupon_batch')

    op.drop_table('coupon_codes')

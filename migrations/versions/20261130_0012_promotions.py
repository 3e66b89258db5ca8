"""promotions: order promotions by spend or quantity tiers, with their budgets

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:34:32
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('promotions',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.Enum('spend', 'quantity', name='promotionkind', native_enum=False, length=20), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('scope', sa.Enum('all', 'items', 'categories', name='couponscope', native_enum=False, length=20), nullable=False),
    sa.Column('scope_ids', sa.JSON(), nullable=False),
    sa.Column('excluded_item_ids', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('exclusive', sa.Boolean(), nullable=False),
    sa.Column('combines_with_coupons', sa.Boolean(), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=True),
    sa.Column('budget_used', sa.BigInteger(), nullable=False),
    sa.Column('funded_by', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'ended', name='couponstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_promotions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_promotions'))
    )
    enable_tenant_rls("promotions")


def downgrade():
    op.drop_table('promotions')

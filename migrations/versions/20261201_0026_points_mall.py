"""the points mall: catalog SKUs offered for points (or points and cash); the task centre's claims

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 05:25:15.492725
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('redemption_items',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('sku_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('cash', sa.BigInteger(), nullable=False),
    sa.Column('per_member_limit', sa.Integer(), nullable=False),
    sa.Column('min_tier_id', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cash >= 0', name=op.f('ck_redemption_items_cash_not_negative')),
    sa.CheckConstraint('per_member_limit >= 0', name=op.f('ck_redemption_items_limit_not_negative')),
    sa.CheckConstraint('points > 0', name=op.f('ck_redemption_items_points_positive')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_redemption_items_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_redemption_items')),
    sa.UniqueConstraint('tenant_id', 'sku_id', name='uq_redemption_items_sku')
    )
    op.create_table('task_claims',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('task', sa.String(length=30), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_task_claims_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_task_claims_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_task_claims')),
    sa.UniqueConstraint('tenant_id', 'consumer_id', 'task', name='uq_task_claims_member_task')
    )
    enable_tenant_rls("redemption_items")
    enable_tenant_rls("task_claims")


def downgrade():
    op.drop_table('task_claims')
    op.drop_table('redemption_items')

"""timed discounts: a price cut on chosen items for a window

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 18:07:20
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('timed_discounts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('item_ids', sa.JSON(), nullable=False),
    sa.Column('percent_bp', sa.Integer(), nullable=False),
    sa.Column('amount_off', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('funded_by', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'ended', name='couponstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_timed_discounts_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_timed_discounts'))
    )
    enable_tenant_rls("timed_discounts")


def downgrade():
    op.drop_table('timed_discounts')

"""hardening: payment accounts per shop

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_accounts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('public', sa.JSON(), nullable=False),
    sa.Column('credentials', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payment_accounts_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_payment_accounts')),
    sa.UniqueConstraint('tenant_id', 'provider', name=op.f('uq_payment_accounts_tenant_id_provider'))
    )
    enable_tenant_rls("payment_accounts")


def downgrade():
    op.drop_table('payment_accounts')

"""stored value: the two parts of a member's balance, recharge plans, the wallet's statement

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 03:15:05.416415
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recharge_plans',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('pay', sa.BigInteger(), nullable=False),
    sa.Column('bonus', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_recharge_plans_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_recharge_plans'))
    )
    op.create_table('wallet_entries',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('bonus', sa.BigInteger(), nullable=False),
    sa.Column('principal_after', sa.BigInteger(), nullable=False),
    sa.Column('bonus_after', sa.BigInteger(), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_wallet_entries_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_wallet_entries_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_wallet_entries'))
    )
    with op.batch_alter_table('wallet_entries', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_entries_member', ['tenant_id', 'consumer_id', 'id'], unique=False)
        batch_op.create_index('ix_wallet_entries_source', ['tenant_id', 'source_kind', 'source_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('bonus', sa.BigInteger(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == "postgresql":  # (SQLite would rebuild the table for it; the updates hold it)
        op.create_check_constraint(op.f("ck_members_wallet_not_negative"), "members", "balance >= 0 AND bonus >= 0")
    enable_tenant_rls("recharge_plans")
    enable_tenant_rls("wallet_entries")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_members_wallet_not_negative"), "members", type_="check")
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('bonus')
        batch_op.drop_column('balance')

    with op.batch_alter_table('wallet_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_entries_source')
        batch_op.drop_index('ix_wallet_entries_member')

    op.drop_table('wallet_entries')
    op.drop_table('recharge_plans')

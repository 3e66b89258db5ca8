"""hardening: payment accounts per shop, refunds' attempts, orders needing attention

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

    # Added in place (no table rebuild on SQLite: orders has rows that others reference); the
    # server defaults stay, as constants, for rows written before.
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default='1970-01-01 00:00:00+00:00'))
        batch_op.add_column(sa.Column('failure', sa.String(length=200), nullable=False, server_default=''))
        batch_op.create_index('ix_refunds_unsettled', ['last_attempt_at'], unique=False,
                              postgresql_where=sa.text("status IN ('pending', 'sending')"),
                              sqlite_where=sa.text("status IN ('pending', 'sending')"))
    op.execute("UPDATE refunds SET last_attempt_at = created_at")

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attention', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attention_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_tenant_id_attention_at'), ['tenant_id', 'attention_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_tenant_id_attention_at'))
        batch_op.drop_column('attention_at')
        batch_op.drop_column('attention')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_unsettled')
        batch_op.drop_column('failure')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('attempts')
    op.drop_table('payment_accounts')

"""sign-up, billing and domains: an identity's confirmed e-mail, a plan's trial length, who
suspended a tenant, what each shop pays for its plan (tenants.billing), and how a custom domain
is proved (tenants.domains)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-02 16:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    # everyone so far was made by an admin, the command line or a shop's owner: taken at their word
    op.execute("UPDATE identities SET email_verified_at = created_at")
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_by', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('deletion_due_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE tenants SET suspended_by = 'admin' WHERE status = 'suspended'")
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('engines', sa.JSON(), nullable=True))
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('is_primary', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('problem', sa.String(length=200), nullable=True))
    op.create_table('subscriptions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('trialing', 'active', 'past_due', 'suspended', name='billingstatus',
                                native_enum=False, length=20), nullable=False),
    sa.Column('trial_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('past_due_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('grace_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('payment_method', sa.String(length=120), nullable=True),
    sa.Column('last_paid', sa.BigInteger(), nullable=True),
    sa.Column('last_payment', sa.String(length=120), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subscriptions_tenant_id_tenants'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_subscriptions_tenant_id'))
    )


def downgrade():
    op.drop_table('subscriptions')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        for column in ('problem', 'checked_at', 'is_primary', 'token'):
            batch_op.drop_column(column)
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('engines')
        batch_op.drop_column('trial_days')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('deletion_due_at')
        batch_op.drop_column('suspended_by')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

"""membership: tiers, members, the points and growth ledgers, what orders earn, sign-ins

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 02:04:09.893605
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_tiers',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('threshold', sa.BigInteger(), nullable=False),
    sa.Column('discount_bp', sa.Integer(), nullable=False),
    sa.Column('free_shipping', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('points_multiplier_bp', sa.Integer(), server_default='10000', nullable=False),
    sa.Column('birthday_points', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_tiers_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_member_tiers')),
    sa.UniqueConstraint('tenant_id', 'threshold', name=op.f('uq_member_tiers_tenant_id_threshold'))
    )
    op.create_table('growth_entries',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('total_after', sa.BigInteger(), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_growth_entries_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_growth_entries_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_growth_entries'))
    )
    with op.batch_alter_table('growth_entries', schema=None) as batch_op:
        batch_op.create_index('ix_growth_entries_member', ['tenant_id', 'consumer_id', 'created_at'], unique=False)

    op.create_table('members',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('tier_id', sa.BigInteger(), nullable=True),
    sa.Column('tier_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('growth', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('points_frozen', sa.BigInteger(), nullable=False),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('tags', sa.String(length=200), nullable=False),
    sa.Column('last_order_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points >= 0', name=op.f('ck_members_points_not_negative')),
    sa.CheckConstraint('points_frozen >= 0', name=op.f('ck_members_frozen_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_members_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_members_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_members')),
    sa.UniqueConstraint('tenant_id', 'consumer_id', name=op.f('uq_members_tenant_id_consumer_id'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_tier', ['tenant_id', 'tier_id'], unique=False)

    op.create_table('order_rewards',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('line_id', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('growth', sa.BigInteger(), nullable=False),
    sa.Column('refunded_units', sa.Integer(), nullable=False),
    sa.Column('points_back', sa.BigInteger(), nullable=False),
    sa.Column('growth_back', sa.BigInteger(), nullable=False),
    sa.Column('thaws_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('thawed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_order_rewards_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_rewards_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_rewards')),
    sa.UniqueConstraint('tenant_id', 'line_id', name=op.f('uq_order_rewards_tenant_id_line_id'))
    )
    with op.batch_alter_table('order_rewards', schema=None) as batch_op:
        batch_op.create_index('ix_order_rewards_order', ['tenant_id', 'order_id'], unique=False)
        batch_op.create_index('ix_order_rewards_thawing', ['thawed', 'thaws_at'], unique=False)

    op.create_table('points_entries',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('order', 'sign_in', 'task', 'promotion', 'birthday', 'adjustment', 'spent', 'returned', 'redeemed', 'reversed', 'expired', name='pointskind', native_enum=False, length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=True),
    sa.Column('money', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_points_entries_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_points_entries_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_points_entries'))
    )
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.create_index('ix_points_entries_expiring', ['expires_at'], unique=False)
        batch_op.create_index('ix_points_entries_member', ['tenant_id', 'consumer_id', 'id'], unique=False)
        batch_op.create_index('ix_points_entries_source', ['tenant_id', 'source_kind', 'source_id'], unique=False)

    op.create_table('sign_ins',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_sign_ins_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sign_ins_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_sign_ins')),
    sa.UniqueConstraint('tenant_id', 'consumer_id', 'day', name=op.f('uq_sign_ins_tenant_id_consumer_id_day'))
    )
    enable_tenant_rls("member_tiers")
    enable_tenant_rls("growth_entries")
    enable_tenant_rls("members")
    enable_tenant_rls("order_rewards")
    enable_tenant_rls("points_entries")
    enable_tenant_rls("sign_ins")


def downgrade():
    op.drop_table('sign_ins')
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_points_entries_source')
        batch_op.drop_index('ix_points_entries_member')
        batch_op.drop_index('ix_points_entries_expiring')

    op.drop_table('points_entries')
    with op.batch_alter_table('order_rewards', schema=None) as batch_op:
        batch_op.drop_index('ix_order_rewards_thawing')
        batch_op.drop_index('ix_order_rewards_order')

    op.drop_table('order_rewards')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_tier')

    op.drop_table('members')
    with op.batch_alter_table('growth_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_growth_entries_member')

    op.drop_table('growth_entries')
    op.drop_table('member_tiers')

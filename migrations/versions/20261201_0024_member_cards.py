"""paid member cards: plans on sale, the cards members hold, activation codes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 02:53:18.183963
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('card_plans',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('period', sa.Enum('month', 'quarter', 'year', 'permanent', name='cardperiod', native_enum=False, length=20), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('first_price', sa.BigInteger(), nullable=False),
    sa.Column('discount_bp', sa.Integer(), nullable=False),
    sa.Column('free_shipping', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('points_multiplier_bp', sa.Integer(), server_default='10000', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_card_plans_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_card_plans'))
    )
    op.create_table('card_codes',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('plan_id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('batch', sa.String(length=40), nullable=False),
    sa.Column('used_by', sa.BigInteger(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'plan_id'], ['card_plans.tenant_id', 'card_plans.id'], name=op.f('fk_card_codes_tenant_id_plan_id_card_plans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_card_codes_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_card_codes')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_card_codes_tenant_id_code'))
    )
    op.create_table('member_cards',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('plan_id', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_member_cards_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'plan_id'], ['card_plans.tenant_id', 'card_plans.id'], name=op.f('fk_member_cards_tenant_id_plan_id_card_plans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_cards_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_member_cards')),
    sa.UniqueConstraint('tenant_id', 'consumer_id', name=op.f('uq_member_cards_tenant_id_consumer_id'))
    )
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.create_index('ix_member_cards_ending', ['ends_at'], unique=False)
    enable_tenant_rls("card_plans")
    enable_tenant_rls("card_codes")
    enable_tenant_rls("member_cards")


def downgrade():
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_member_cards_ending')

    op.drop_table('member_cards')
    op.drop_table('card_codes')
    op.drop_table('card_plans')

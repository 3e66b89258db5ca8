"""automations: triggers and their actions, the log of their runs, the members' inbox

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 02:21:29.892441
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('automations',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('trigger', sa.Enum('registration', 'first_order', 'birthday', 'tier_change', 'dormant', 'points_expiring', name='trigger', native_enum=False, length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('tier_id', sa.BigInteger(), nullable=True),
    sa.Column('coupon_id', sa.BigInteger(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('message_title', sa.String(length=60), nullable=False),
    sa.Column('message_body', sa.String(length=500), nullable=False),
    sa.Column('quiet_start', sa.Integer(), nullable=True),
    sa.Column('quiet_end', sa.Integer(), nullable=True),
    sa.Column('cap_count', sa.Integer(), nullable=False),
    sa.Column('cap_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', name='automationstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_automations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_automations'))
    )
    op.create_table('automation_runs',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('automation_id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('occasion', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'done', 'skipped', name='runstatus', native_enum=False, length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'automation_id'], ['automations.tenant_id', 'automations.id'], name=op.f('fk_automation_runs_tenant_id_automation_id_automations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_automation_runs_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_automation_runs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_automation_runs')),
    sa.UniqueConstraint('tenant_id', 'automation_id', 'consumer_id', 'occasion', name=op.f('uq_automation_runs_tenant_id_automation_id_consumer_id_occasion'))
    )
    with op.batch_alter_table('automation_runs', schema=None) as batch_op:
        batch_op.create_index('ix_automation_runs_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_automation_runs_member', ['tenant_id', 'consumer_id', 'automation_id', 'done_at'], unique=False)

    op.create_table('inbox_messages',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('read', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_inbox_messages_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_inbox_messages_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_inbox_messages'))
    )
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_messages_member', ['tenant_id', 'consumer_id', 'id'], unique=False)
    enable_tenant_rls("automations")
    enable_tenant_rls("automation_runs")
    enable_tenant_rls("inbox_messages")


def downgrade():
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_messages_member')

    op.drop_table('inbox_messages')
    with op.batch_alter_table('automation_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_automation_runs_member')
        batch_op.drop_index('ix_automation_runs_due')

    op.drop_table('automation_runs')
    op.drop_table('automations')

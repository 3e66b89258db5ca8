"""staff API tokens: the keys of the Admin API, each of one staff member of one shop

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:00:00

A token goes with its staff member's membership (ON DELETE CASCADE): removing someone from the
staff must not be refused because of their tokens, and their tokens must stop working.
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_tokens',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('staff_member_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'staff_member_id'], ['staff_members.tenant_id', 'staff_members.id'], name=op.f('fk_staff_tokens_tenant_id_staff_member_id_staff_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_staff_tokens_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_staff_tokens'))
    )
    with op.batch_alter_table('staff_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_tokens_tenant_id_staff_member_id'), ['tenant_id', 'staff_member_id'], unique=False)
    enable_tenant_rls("staff_tokens")


def downgrade():
    with op.batch_alter_table('staff_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_tokens_tenant_id_staff_member_id'))
    op.drop_table('staff_tokens')

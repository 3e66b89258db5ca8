"""sign-up: an identity's confirmed e-mail, a tenant's trial end, a plan's trial length

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
        batch_op.add_column(sa.Column('trial_ends_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_days', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('trial_days')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('trial_ends_at')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

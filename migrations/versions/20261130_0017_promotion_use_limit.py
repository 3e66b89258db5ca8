"""a promotion's cap on the orders it applies to

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 21:25:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('use_limit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('uses', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_column('uses')
        batch_op.drop_column('use_limit')

"""a coupon's price in points (bought in the membership engine's points mall)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 21:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points_price', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_column('points_price')

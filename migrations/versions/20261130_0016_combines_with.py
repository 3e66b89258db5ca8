"""what coupons and promotions combine with: lines at a special price, order promotions

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 20:23:33
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_special_prices', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('combines_with_promotions', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_special_prices', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_column('on_special_prices')

    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_column('combines_with_promotions')
        batch_op.drop_column('on_special_prices')


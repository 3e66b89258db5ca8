"""deposits: a resource's deposit, an order's balance to pay at the shop, each line's share of it, refunds in parts

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02 13:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking_resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_percent', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_booking_resources_deposit_a_part'),
                                         'deposit_percent >= 0 AND deposit_percent < 100')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance_due', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_orders_balance_not_negative'), 'balance_due >= 0')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_later', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_refunds_tenant_id_reason_source_id', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_refunds_tenant_id_reason_source_id_part'),
                                          ['tenant_id', 'reason', 'source_id', 'part'])


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_refunds_tenant_id_reason_source_id_part'), type_='unique')
        batch_op.create_unique_constraint('uq_refunds_tenant_id_reason_source_id', ['tenant_id', 'reason', 'source_id'])
        batch_op.drop_column('part')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('due_later')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_balance_not_negative'), type_='check')
        batch_op.drop_column('balance_due')
    with op.batch_alter_table('booking_resources', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_resources_deposit_a_part'), type_='check')
        batch_op.drop_column('deposit_percent')

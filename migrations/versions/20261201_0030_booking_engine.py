"""the booking engine: bookable resources, staff, sessions and quotas, blocks, bookings; order lines
booked by time (capacity, not stock)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 14:38:01.364565
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_blocks',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('resource_id', sa.BigInteger(), nullable=True),
    sa.Column('staff_id', sa.BigInteger(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_booking_blocks_block_ordered')),
    sa.CheckConstraint('resource_id IS NOT NULL OR staff_id IS NOT NULL', name=op.f('ck_booking_blocks_block_of_something')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_booking_blocks_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_booking_blocks'))
    )
    with op.batch_alter_table('booking_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_booking_blocks_resource', ['tenant_id', 'resource_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_booking_blocks_staff', ['tenant_id', 'staff_id', 'starts_at'], unique=False)

    op.create_table('booking_resources',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('shape', sa.Enum('slot', 'session', 'night', name='shape', native_enum=False, length=20), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('step_minutes', sa.Integer(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('staffed', sa.Boolean(), nullable=False),
    sa.Column('form_fields', sa.JSON(), nullable=False),
    sa.Column('min_stay', sa.Integer(), nullable=False),
    sa.Column('max_stay', sa.Integer(), nullable=False),
    sa.Column('weekend_price', sa.BigInteger(), nullable=True),
    sa.Column('seasons', sa.JSON(), nullable=False),
    sa.Column('cancellation', sa.JSON(), nullable=False),
    sa.Column('lead_minutes', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_booking_resources_capacity_not_negative')),
    sa.CheckConstraint('duration_minutes > 0 AND step_minutes > 0', name=op.f('ck_booking_resources_durations_positive')),
    sa.CheckConstraint('min_stay >= 1 AND max_stay >= min_stay', name=op.f('ck_booking_resources_stays_ordered')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_booking_resources_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_booking_resources')),
    sa.UniqueConstraint('tenant_id', 'item_id', name=op.f('uq_booking_resources_tenant_id_item_id'))
    )
    op.create_table('booking_staff',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('photo', sa.String(length=200), nullable=False),
    sa.Column('bio', sa.String(length=500), nullable=False),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.Column('resource_ids', sa.JSON(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_booking_staff_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_booking_staff'))
    )
    op.create_table('booking_quotas',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('resource_id', sa.BigInteger(), nullable=False),
    sa.Column('session_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sku_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size >= 0', name=op.f('ck_booking_quotas_quota_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'resource_id'], ['booking_resources.tenant_id', 'booking_resources.id'], name=op.f('fk_booking_quotas_tenant_id_resource_id_booking_resources'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_booking_quotas_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_booking_quotas'))
    )
    op.create_table('booking_sessions',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('resource_id', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('on_sale', 'closed', name='sessionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_booking_sessions_session_ordered')),
    sa.ForeignKeyConstraint(['tenant_id', 'resource_id'], ['booking_resources.tenant_id', 'booking_resources.id'], name=op.f('fk_booking_sessions_tenant_id_resource_id_booking_resources'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_booking_sessions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_booking_sessions'))
    )
    with op.batch_alter_table('booking_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_booking_sessions_resource', ['tenant_id', 'resource_id', 'starts_at'], unique=False)

    op.create_table('bookings',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('resource_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('order_line_id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=True),
    sa.Column('sku_id', sa.BigInteger(), nullable=False),
    sa.Column('session_id', sa.BigInteger(), nullable=True),
    sa.Column('staff_id', sa.BigInteger(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_night', sa.Date(), nullable=True),
    sa.Column('last_night', sa.Date(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('refunded_quantity', sa.Integer(), server_default='0', nullable=False),
    sa.Column('guests', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('held', 'confirmed', 'in_progress', 'completed', 'no_show', 'cancelled', name='bookingstatus', native_enum=False, length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('address', sa.JSON(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0 AND refunded_quantity >= 0 AND refunded_quantity <= quantity', name=op.f('ck_bookings_booking_quantities')),
    sa.ForeignKeyConstraint(['tenant_id', 'resource_id'], ['booking_resources.tenant_id', 'booking_resources.id'], name=op.f('fk_bookings_tenant_id_resource_id_booking_resources'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bookings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('tenant_id', 'order_line_id', name=op.f('uq_bookings_tenant_id_order_line_id'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_consumer', ['tenant_id', 'consumer_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_bookings_order', ['tenant_id', 'order_id'], unique=False)
        batch_op.create_index('ix_bookings_resource', ['tenant_id', 'resource_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_bookings_staff', ['tenant_id', 'staff_id', 'starts_at'], unique=False)
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked', sa.Boolean(), server_default=sa.false(), nullable=False))
    for table in ("booking_resources", "booking_staff", "booking_sessions", "booking_quotas", "booking_blocks",
                  "bookings"):
        enable_tenant_rls(table)



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('booked')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_staff')
        batch_op.drop_index('ix_bookings_resource')
        batch_op.drop_index('ix_bookings_order')
        batch_op.drop_index('ix_bookings_consumer')

    op.drop_table('bookings')
    with op.batch_alter_table('booking_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_sessions_resource')

    op.drop_table('booking_sessions')
    op.drop_table('booking_quotas')
    op.drop_table('booking_staff')
    op.drop_table('booking_resources')
    with op.batch_alter_table('booking_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_blocks_staff')
        batch_op.drop_index('ix_booking_blocks_resource')

    op.drop_table('booking_blocks')

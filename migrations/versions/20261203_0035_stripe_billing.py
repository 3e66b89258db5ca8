"""stripe billing: a shop's customer and live subscription at its billing provider, and the
provider's events seen once

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 07:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriptions') as batch:
        batch.add_column(sa.Column('customer_ref', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('provider_subscription', sa.String(length=120), nullable=True))
        batch.create_index(batch.f('ix_subscriptions_customer_ref'), ['customer_ref'], unique=False)
    op.create_table('billing_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_events')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_billing_events_provider_event_id'))
    )


def downgrade():
    op.drop_table('billing_events')
    with op.batch_alter_table('subscriptions') as batch:
        batch.drop_index(batch.f('ix_subscriptions_customer_ref'))
        batch.drop_column('provider_subscription')
        batch.drop_column('customer_ref')

"""subscriptions.ends_at: when a subscription cancelled at the billing provider stops

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 09:05:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriptions') as batch:
        batch.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('subscriptions') as batch:
        batch.drop_column('ends_at')

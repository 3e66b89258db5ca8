"""carts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 02:03:31.694104
"""
from alembic import op
import sqlalchemy as sa

from migrations.tenant_rls import enable_tenant_rls

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('carts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('consumer_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'consumer_id'], ['consumers.tenant_id', 'consumers.id'], name=op.f('fk_carts_tenant_id_consumer_id_consumers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_carts_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_carts')),
    sa.UniqueConstraint('tenant_id', 'consumer_id', name=op.f('uq_carts_tenant_id_consumer_id'))
    )
    op.create_table('cart_lines',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('cart_id', sa.BigInteger(), nullable=False),
    sa.Column('sku_id', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'cart_id'], ['carts.tenant_id', 'carts.id'], name=op.f('fk_cart_lines_tenant_id_cart_id_carts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'sku_id'], ['skus.tenant_id', 'skus.id'], name=op.f('fk_cart_lines_tenant_id_sku_id_skus'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cart_lines_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_cart_lines')),
    sa.UniqueConstraint('tenant_id', 'cart_id', 'sku_id', name=op.f('uq_cart_lines_tenant_id_cart_id_sku_id'))
    )
    for table in ("carts", "cart_lines"):
        enable_tenant_rls(table)


def downgrade():
    op.drop_table('cart_lines')
    op.drop_table('carts')

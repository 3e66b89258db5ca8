"""resellers: white-label partners (core.resellers), their team, the plans they sell at which prices,
their provisioning API's tokens and Idempotency-Keys; tenants and audit rows name their reseller

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-02 19:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('resellers',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', name='resellerstatus', native_enum=False, length=20),
              nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.Column('logo_key', sa.String(length=300), nullable=True),
    sa.Column('support_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resellers')),
    sa.UniqueConstraint('domain', name=op.f('uq_resellers_domain')),
    sa.UniqueConstraint('slug', name=op.f('uq_resellers_slug'))
    )
    op.create_table('reseller_staff',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reseller_id', sa.BigInteger(), nullable=False),
    sa.Column('identity_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'staff', name='resellerrole', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], name=op.f('fk_reseller_staff_identity_id_identities'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reseller_id'], ['resellers.id'], name=op.f('fk_reseller_staff_reseller_id_resellers'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reseller_staff')),
    sa.UniqueConstraint('reseller_id', 'identity_id', name=op.f('uq_reseller_staff_reseller_id_identity_id'))
    )
    op.create_index(op.f('ix_reseller_staff_identity_id'), 'reseller_staff', ['identity_id'], unique=False)
    op.create_table('reseller_prices',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reseller_id', sa.BigInteger(), nullable=False),
    sa.Column('plan_id', sa.BigInteger(), nullable=False),
    sa.Column('wholesale', sa.BigInteger(), nullable=False),
    sa.Column('retail', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_reseller_prices_plan_id_plans'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reseller_id'], ['resellers.id'], name=op.f('fk_reseller_prices_reseller_id_resellers'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reseller_prices')),
    sa.UniqueConstraint('reseller_id', 'plan_id', name=op.f('uq_reseller_prices_reseller_id_plan_id'))
    )
    op.create_index(op.f('ix_reseller_prices_plan_id'), 'reseller_prices', ['plan_id'], unique=False)
    op.create_table('reseller_tokens',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reseller_id', sa.BigInteger(), nullable=False),
    sa.Column('identity_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], name=op.f('fk_reseller_tokens_identity_id_identities'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reseller_id'], ['resellers.id'], name=op.f('fk_reseller_tokens_reseller_id_resellers'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reseller_tokens'))
    )
    op.create_index(op.f('ix_reseller_tokens_reseller_id'), 'reseller_tokens', ['reseller_id'], unique=False)
    op.create_table('platform_idempotency_keys',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_idempotency_keys')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_platform_idempotency_keys_scope_key'))
    )
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenants_reseller_id'), ['reseller_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tenants_reseller_id_resellers'), 'resellers', ['reseller_id'], ['id'],
                                    ondelete='RESTRICT')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reseller_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entries_reseller_id'), ['reseller_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_reseller_id'))
        batch_op.drop_column('reseller_id')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tenants_reseller_id_resellers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tenants_reseller_id'))
    op.drop_table('platform_idempotency_keys')
    op.drop_index(op.f('ix_reseller_tokens_reseller_id'), table_name='reseller_tokens')
    op.drop_table('reseller_tokens')
    op.drop_index(op.f('ix_reseller_prices_plan_id'), table_name='reseller_prices')
    op.drop_table('reseller_prices')
    op.drop_index(op.f('ix_reseller_staff_identity_id'), table_name='reseller_staff')
    op.drop_table('reseller_staff')
    op.drop_table('resellers')

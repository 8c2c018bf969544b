"""identity and read model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations'))
    )
    op.create_table('rm_attention',
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=50), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('sentence', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('administration_id', 'subject_type', 'subject_id', 'reason', name=op.f('pk_rm_attention'))
    )
    with op.batch_alter_table('rm_attention', schema=None) as batch_op:
        batch_op.create_index('ix_rm_attention_reason', ['administration_id', 'reason', 'open'], unique=False)

    op.create_table('rm_attention_counts',
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=50), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('administration_id', 'subject_type', 'reason', name=op.f('pk_rm_attention_counts'))
    )
    op.create_table('rm_debtors',
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('debtor_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('emails', sa.JSON(), nullable=False),
    sa.Column('phone', sa.String(length=100), nullable=True),
    sa.Column('address_lines', sa.JSON(), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('open_invoices', sa.Integer(), nullable=False),
    sa.Column('open_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('administration_id', 'debtor_id', name=op.f('pk_rm_debtors'))
    )
    with op.batch_alter_table('rm_debtors', schema=None) as batch_op:
        batch_op.create_index('ix_rm_debtors_name', ['administration_id', 'name'], unique=False)

    op.create_table('rm_due_totals',
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('administration_id', 'due_date', 'currency', name=op.f('pk_rm_due_totals'))
    )
    op.create_table('rm_import_runs',
    sa.Column('run_id', sa.String(length=100), nullable=False),
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_rm_import_runs'))
    )
    with op.batch_alter_table('rm_import_runs', schema=None) as batch_op:
        batch_op.create_index('ix_rm_import_runs_adm', ['administration_id', 'started_at'], unique=False)

    op.create_table('rm_invoices',
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('invoice_id', sa.String(length=100), nullable=False),
    sa.Column('import_version', sa.Integer(), nullable=False),
    sa.Column('dunning_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('number', sa.String(length=100), nullable=True),
    sa.Column('debtor_id', sa.String(length=100), nullable=True),
    sa.Column('debtor_name', sa.String(length=300), nullable=True),
    sa.Column('invoice_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('open_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('phase', sa.String(length=50), nullable=False),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('next_step_id', sa.String(length=100), nullable=True),
    sa.Column('next_step_on', sa.Date(), nullable=True),
    sa.Column('blocked_by', sa.String(length=100), nullable=True),
    sa.Column('pdf_url', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('administration_id', 'invoice_id', name=op.f('pk_rm_invoices'))
    )
    with op.batch_alter_table('rm_invoices', schema=None) as batch_op:
        batch_op.create_index('ix_rm_invoices_amount', ['administration_id', 'status', 'open_amount', 'invoice_id'], unique=False)
        batch_op.create_index('ix_rm_invoices_debtor', ['administration_id', 'debtor_id'], unique=False)
        batch_op.create_index('ix_rm_invoices_due', ['administration_id', 'status', 'due_date', 'invoice_id'], unique=False)
        batch_op.create_index('ix_rm_invoices_number', ['administration_id', 'number'], unique=False)
        batch_op.create_index('ix_rm_invoices_phase', ['administration_id', 'phase', 'due_date'], unique=False)

    op.create_table('rm_message_invoices',
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('invoice_id', sa.String(length=100), nullable=False),
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('message_id', 'invoice_id', name=op.f('pk_rm_message_invoices'))
    )
    with op.batch_alter_table('rm_message_invoices', schema=None) as batch_op:
        batch_op.create_index('ix_rm_message_invoices_invoice', ['administration_id', 'invoice_id'], unique=False)

    op.create_table('rm_messages',
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('debtor_id', sa.String(length=100), nullable=False),
    sa.Column('thread_id', sa.String(length=100), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('invoice_ids', sa.JSON(), nullable=False),
    sa.Column('read', sa.Boolean(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_rm_messages'))
    )
    with op.batch_alter_table('rm_messages', schema=None) as batch_op:
        batch_op.create_index('ix_rm_messages_debtor', ['administration_id', 'debtor_id', 'created_at'], unique=False)
        batch_op.create_index('ix_rm_messages_inbox', ['administration_id', 'direction', 'read', 'created_at'], unique=False)

    op.create_table('rm_phase_totals',
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('phase', sa.String(length=50), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('administration_id', 'phase', 'currency', name=op.f('pk_rm_phase_totals'))
    )
    op.create_table('rm_steps',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('invoice_id', sa.String(length=100), nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=False),
    sa.Column('executed_on', sa.Date(), nullable=False),
    sa.Column('phase', sa.String(length=50), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('legally_required', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_rm_steps'))
    )
    with op.batch_alter_table('rm_steps', schema=None) as batch_op:
        batch_op.create_index('ix_rm_steps_invoice', ['administration_id', 'invoice_id', 'at'], unique=False)

    op.create_table('administrations',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_administrations_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_administrations'))
    )
    with op.batch_alter_table('administrations', schema=None) as batch_op:
        batch_op.create_index('ix_administrations_organisation', ['organisation_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['administration_id'], ['administrations.id'], name=op.f('fk_api_tokens_administration_id_administrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('memberships',
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('administration_id', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['administration_id'], ['administrations.id'], name=op.f('fk_memberships_administration_id_administrations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'administration_id', name=op.f('pk_memberships'))
    )
    op.create_table('refresh_tokens',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('family_id', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_refresh_tokens_family', ['family_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_refresh_tokens_family')

    op.drop_table('refresh_tokens')
    op.drop_table('memberships')
    op.drop_table('api_tokens')
    op.drop_table('users')
    with op.batch_alter_table('administrations', schema=None) as batch_op:
        batch_op.drop_index('ix_administrations_organisation')

    op.drop_table('administrations')
    with op.batch_alter_table('rm_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_steps_invoice')

    op.drop_table('rm_steps')
    op.drop_table('rm_phase_totals')
    with op.batch_alter_table('rm_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_messages_inbox')
        batch_op.drop_index('ix_rm_messages_debtor')

    op.drop_table('rm_messages')
    with op.batch_alter_table('rm_message_invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_message_invoices_invoice')

    op.drop_table('rm_message_invoices')
    with op.batch_alter_table('rm_invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_invoices_phase')
        batch_op.drop_index('ix_rm_invoices_number')
        batch_op.drop_index('ix_rm_invoices_due')
        batch_op.drop_index('ix_rm_invoices_debtor')
        batch_op.drop_index('ix_rm_invoices_amount')

    op.drop_table('rm_invoices')
    with op.batch_alter_table('rm_import_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_import_runs_adm')

    op.drop_table('rm_import_runs')
    op.drop_table('rm_due_totals')
    with op.batch_alter_table('rm_debtors', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_debtors_name')

    op.drop_table('rm_debtors')
    op.drop_table('rm_attention_counts')
    with op.batch_alter_table('rm_attention', schema=None) as batch_op:
        batch_op.drop_index('ix_rm_attention_reason')

    op.drop_table('rm_attention')
    op.drop_table('organisations')

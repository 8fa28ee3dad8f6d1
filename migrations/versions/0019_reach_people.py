"""Issue 16: reach people.

Messages (notifications, one per message to one person, unique by idempotency key) and each person's choices
(notification_preferences); jobs that run in the worker (attempts, started_at, the file a job makes); action
owners as users (actions.owner_id) and their RAG and evidence on each update; each agency's safeguarding lead and
whether its staff may sign in with a password; single sign-on (users.pending_approval, sso_issuer, sso_subject;
how each sign-in was made: user_sessions.method, provider, amr, reauthenticated_at).

On SQLite, agencies gets its columns by ALTER TABLE ADD COLUMN, not a batch copy, so the lower(name) index of
migration 0010 is kept.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 19:44:07

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'event', name='uq_notification_preferences_user_event')
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_reference', sa.String(length=120), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_notifications_idempotency_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('action_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rag', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=True))

    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_actions_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_actions_owner_id_users'), 'users', ['owner_id'], ['id'])

    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a column with its reference, never a constraint
        op.execute(
            'ALTER TABLE agencies ADD COLUMN safeguarding_lead_id INTEGER '
            'CONSTRAINT fk_agencies_safeguarding_lead_id_users REFERENCES users (id)'
        )
    else:
        op.add_column('agencies', sa.Column('safeguarding_lead_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'fk_agencies_safeguarding_lead_id_users', 'agencies', 'users', ['safeguarding_lead_id'], ['id']
        )
    op.add_column('agencies', sa.Column('password_sign_in', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('file_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('file_mimetype', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('file_content', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=16), server_default='password', nullable=False))
        batch_op.add_column(sa.Column('provider', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('amr', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reauthenticated_at', sa.DateTime(timezone=True), nullable=True))

    # Single sign-on's attempts, each used once (issue 16, sso).
    op.create_table('sso_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_attempts')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_sso_attempts_key_hash'))
    )
    with op.batch_alter_table('sso_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_attempts_nonce_hash'), ['nonce_hash'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_approval', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('sso_issuer', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))



def downgrade():
    with op.batch_alter_table('sso_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_attempts_nonce_hash'))

    op.drop_table('sso_attempts')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sso_subject')
        batch_op.drop_column('sso_issuer')
        batch_op.drop_column('pending_approval')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('reauthenticated_at')
        batch_op.drop_column('amr')
        batch_op.drop_column('provider')
        batch_op.drop_column('method')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('file_content')
        batch_op.drop_column('file_mimetype')
        batch_op.drop_column('file_name')
        batch_op.drop_column('started_at')
        batch_op.drop_column('attempts')

    op.drop_column('agencies', 'password_sign_in')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_agencies_safeguarding_lead_id_users', 'agencies', type_='foreignkey')
    op.drop_column('agencies', 'safeguarding_lead_id')

    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_actions_owner_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_actions_owner_id'))
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('action_updates', schema=None) as batch_op:
        batch_op.drop_column('evidence')
        batch_op.drop_column('rag')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_status'))
        batch_op.drop_index(batch_op.f('ix_notifications_event'))
        batch_op.drop_index(batch_op.f('ix_notifications_created_at'))

    op.drop_table('notifications')
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))

    op.drop_table('notification_preferences')

"""accounts: users, sessions, API tokens; an owner and a size for every architecture, dataset
and run. Work saved before accounts existed belongs to the local user (AUTH=none's one user),
who becomes the first admin when accounts are set up: nothing is lost either way.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 19:52:47.297475
"""

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
LOCAL_EMAIL = 'local@localhost'  # app.accounts.service.LOCAL_EMAIL, as it was here


def upgrade() -> None:
    op.create_table('user',
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('quota_active_runs', sa.Integer(), nullable=True),
    sa.Column('quota_storage_bytes', sa.Integer(), nullable=True),
    sa.Column('quota_datasets', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('is_local', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'member')", name='user_role'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_email'), ['email'], unique=True)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('web_session',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('architecture', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_architecture_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key('fk_architecture_owner_id_user', 'user', ['owner_id'], ['id'])

    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('size_bytes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_dataset_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key('fk_dataset_owner_id_user', 'user', ['owner_id'], ['id'])

    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('size_bytes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_run_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key('fk_run_owner_id_user', 'user', ['owner_id'], ['id'])

    # The local user owns what was made before accounts (everything but built-in data).
    user = sa.table('user', sa.column('email', sa.String),
                    sa.column('display_name', sa.String), sa.column('role', sa.String),
                    sa.column('disabled', sa.Boolean), sa.column('is_local', sa.Boolean),
                    sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(user, [{'email': LOCAL_EMAIL, 'display_name': 'Local user',
                           'role': 'admin', 'disabled': False, 'is_local': True,
                           'created_at': datetime.now(timezone.utc)}])
    for table, where in (('architecture', ''), ('run', ''), ('dataset', ' WHERE builtin IS NULL')):
        op.execute(f'UPDATE {table} SET owner_id = (SELECT id FROM "user" WHERE is_local){where}')



def downgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_constraint('fk_run_owner_id_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_run_owner_id'))
        batch_op.drop_column('size_bytes')
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_constraint('fk_dataset_owner_id_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_dataset_owner_id'))
        batch_op.drop_column('size_bytes')
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('architecture', schema=None) as batch_op:
        batch_op.drop_constraint('fk_architecture_owner_id_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_architecture_owner_id'))
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))

    op.drop_table('web_session')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_token_token_hash'))

    op.drop_table('api_token')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_email'))

    op.drop_table('user')

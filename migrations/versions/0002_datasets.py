"""datasets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:20:53.899464
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dataset',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('builtin', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('num_train', sa.Integer(), nullable=False),
    sa.Column('num_test', sa.Integer(), nullable=False),
    sa.Column('input_shape', sa.JSON(), nullable=False),
    sa.Column('dtype', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('class_names', sa.JSON(), nullable=False),
    sa.Column('class_counts', sa.JSON(), nullable=False),
    sa.Column('value_min', sa.Float(), nullable=False),
    sa.Column('value_max', sa.Float(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=True),
    sa.Column('notes', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('builtin')
    )


def downgrade() -> None:
    op.drop_table('dataset')

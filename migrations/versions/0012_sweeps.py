"""Sweeps (issue 16): a `sweep` table (the base run body, the grid, the sample asked for) and,
on each run, its sweep (`run.sweep_id`, SET NULL if the sweep row goes) and the settings of
its combination (`run.sweep_params`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('sweep',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('owner_id', BIGINT, nullable=True),
    sa.Column('base', sa.JSON(), nullable=False),
    sa.Column('grid', sa.JSON(), nullable=False),
    sa.Column('trials', BIGINT, nullable=True),
    sa.Column('seed', BIGINT, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id']),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sweep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweep_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sweep_id', BIGINT, nullable=True))
        batch_op.add_column(sa.Column('sweep_params', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_run_sweep_id'), ['sweep_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_run_sweep_id_sweep', 'sweep', ['sweep_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_constraint('fk_run_sweep_id_sweep', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_run_sweep_id'))
        batch_op.drop_column('sweep_params')
        batch_op.drop_column('sweep_id')

    with op.batch_alter_table('sweep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweep_owner_id'))

    op.drop_table('sweep')

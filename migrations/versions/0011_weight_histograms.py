"""runweights: each epoch's weight histograms of a run's layers (issue 16), one row per
(run, epoch), committed with the epoch's metrics and gone with the run.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('runweights',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.Column('histograms', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'epoch')
    )


def downgrade() -> None:
    op.drop_table('runweights')

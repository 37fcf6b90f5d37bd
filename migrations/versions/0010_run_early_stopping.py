"""run.early_stopping: what EarlyStopping did in a completed run (stopped at which epoch,
its best epoch, whose weights the model keeps), so the run page can say "stopped early at
epoch k of N, weights of epoch j kept" from the record rather than guess.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('early_stopping', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_column('early_stopping')

"""The dataset a stack is built against in the builder (issue 15): `architecture.dataset_id`,
nullable (a stack needs none), set to NULL when that dataset is deleted; the train page
preselects it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('architecture', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dataset_id', BIGINT, nullable=True))
        batch_op.create_index(
            batch_op.f('ix_architecture_dataset_id'), ['dataset_id'], unique=False
        )
        batch_op.create_foreign_key(
            'fk_architecture_dataset_id_dataset', 'dataset', ['dataset_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('architecture', schema=None) as batch_op:
        batch_op.drop_constraint('fk_architecture_dataset_id_dataset', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_architecture_dataset_id'))
        batch_op.drop_column('dataset_id')

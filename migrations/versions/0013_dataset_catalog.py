"""dataset.catalog_name: a dataset added from the tutorial catalog (MNIST, Fashion-MNIST,
CIFAR-10) says which entry it is, and each user has at most one of each (issue 16).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalog_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.create_unique_constraint('dataset_catalog', ['owner_id', 'catalog_name'])


def downgrade() -> None:
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_constraint('dataset_catalog', type_='unique')
        batch_op.drop_column('catalog_name')

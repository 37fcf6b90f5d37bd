"""architecture version: +1 on every save, the ETag of GET and the If-Match of PUT, so an
older save cannot silently replace a newer one. Existing architectures start at 1.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 20:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('architecture', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('architecture', schema=None) as batch_op:
        batch_op.drop_column('version')

"""catalogjob: a tutorial dataset being added, seen by every web process (its stage, bytes
and the adding process's heartbeat), so WEB_WORKERS > 1 shows one addition, not one per
process (issue 16).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('catalogjob',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('bytes_done', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bytes_total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('error_status', sa.Integer(), nullable=True),
    sa.Column('process', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'name', name='catalogjob_owner_name')
    )
    with op.batch_alter_table('catalogjob', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogjob_owner_id'), ['owner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('catalogjob', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogjob_owner_id'))

    op.drop_table('catalogjob')

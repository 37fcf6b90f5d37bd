"""64-bit ids, foreign keys, sizes and quotas on PostgreSQL (INTEGER there is 32-bit: an id
from 2**31 on, or a quota over 2 GiB, did not fit). SQLite's INTEGER is already 64-bit and an
INTEGER PRIMARY KEY is the rowid, so nothing changes there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> its columns that may pass 2**31 (the first of each is its serial primary key,
# whose sequence is widened too).
COLUMNS: dict[str, list[str]] = {
    'user': ['id', 'quota_active_runs', 'quota_storage_bytes', 'quota_datasets'],
    'architecture': ['id', 'owner_id'],
    'dataset': ['id', 'owner_id', 'size_bytes', 'num_train', 'num_test'],
    'run': ['id', 'owner_id', 'architecture_id', 'dataset_id', 'size_bytes'],
    'runmetric': ['id', 'run_id'],
    'web_session': ['user_id'],
    'api_token': ['id', 'user_id'],
}
SERIAL = ['user', 'architecture', 'dataset', 'run', 'runmetric', 'api_token']


def _alter(to: type[sa.types.TypeEngine], sequence_as: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    frm = sa.Integer if to is sa.BigInteger else sa.BigInteger
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=to(), existing_type=frm())
    for table in SERIAL:
        # A serial's sequence is typed too (AS integer stops at 2**31 - 1).
        op.execute(
            f"DO $$ DECLARE s text := pg_get_serial_sequence('\"{table}\"', 'id'); "
            f"BEGIN IF s IS NOT NULL THEN EXECUTE 'ALTER SEQUENCE ' || s || ' AS {sequence_as}'; "
            f"END IF; END $$"
        )


def upgrade() -> None:
    _alter(sa.BigInteger, 'bigint')


def downgrade() -> None:
    _alter(sa.Integer, 'integer')

"""The dataset a stack is built against in the builder (issue 15).

Reserved: empty until the change that needs it fills it in (several changes are under way at
once, and each must find the chain of revisions whole).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

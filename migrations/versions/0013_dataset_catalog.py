"""Datasets added from the tutorial catalog (MNIST, Fashion-MNIST, CIFAR-10) (issue 16).

Reserved: empty until the change that needs it fills it in (several changes are under way at
once, and each must find the chain of revisions whole).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""An accounts-mode app (AUTH=accounts, a first admin from ADMIN_EMAIL/ADMIN_PASSWORD)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.helpers.accounts import accounts_settings


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(accounts_settings(tmp_path / "data"))) as client:
        yield client

"""The API keeps its own OpenAPI contract: schemathesis generates requests from /openapi.json
and sends them in-process (ASGI) to an app on a temporary data dir, once with AUTH=none and once
with AUTH=accounts, where each request goes as an admin, as a member (whose requests for the
admin's objects are 404s, and for users 403s) or as nobody (401s), by bearer API token.

Any finding fails the test: a 5xx, a status the operation does not declare, a content type or
a body that does not match what is declared. Valid and invalid requests both (schemathesis's
positive and negative modes), EXAMPLES per operation and mode; the seed is fixed (derandomize),
so a run takes about the same time (~25 s each) and finds the same things every time. The SSE
streams are left out: they answer until their run ends (/runs/live is a page, not in the
schema)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans

from app.config import Settings
from app.main import create_app
from tests.helpers.accounts import accounts_settings, admin, member, objects

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 20  # per operation, mode and auth mode: ~25 s each (40 took ~40 s for one)
CAP = 64 * 1024  # body caps: generated uploads stay small, and the 413s are exercised too
CAPS = {"max_body_bytes": CAP, "max_upload_bytes": CAP, "max_image_bytes": CAP}
Headers = dict[str, str]


@pytest.fixture
def api_schema(tmp_path) -> Iterator[schemathesis.BaseSchema]:
    app = create_app(
        Settings(data_dir=tmp_path / "data", auth="none", workers=0, predictors=0, **CAPS)
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events$")
    shutdown_lifespans()  # the app's lifespan, started by schemathesis's first request


@pytest.fixture
def accounts_schema(tmp_path) -> Iterator[tuple[schemathesis.BaseSchema, list[Headers]]]:
    """AUTH=accounts with an admin who owns one of everything, a member, and nobody."""
    app = create_app(accounts_settings(tmp_path / "data", **CAPS))
    with TestClient(app) as client:
        boss = admin(client)
        alice = member(client, boss, "alice@example.com")
        objects(client, boss)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events$")
    # Revoking a token could revoke the one the run acts with: the AUTH=none run covers it.
    schema = schema.exclude(method="DELETE", path="/api/tokens/{token_id}")
    yield schema, [boss.headers, alice.headers, {}]
    shutdown_lifespans()


def _finding(operation, mode: GenerationMode, identities: list[Headers]) -> str | None:
    """The first failure (shrunk by Hypothesis) of one operation in one mode, or None."""

    @given(case=operation.as_strategy(generation_mode=mode), who=st.sampled_from(identities))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case, who: Headers) -> None:
        case.call_and_validate(headers=who, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:  # nothing about it can be invalid (an operation without parameters)
        return None
    # Every operation is tried, then all findings are listed (FailureGroup: several checks).
    except (Exception, FailureGroup) as error:
        return f"{operation.label} ({mode}): {error}"
    return None


def _findings(schema: schemathesis.BaseSchema, identities: list[Headers]) -> list[str]:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, [op.label for op in operations]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return [f for op in operations for mode in modes if (f := _finding(op, mode, identities))]


def test_api_keeps_its_contract(api_schema: schemathesis.BaseSchema) -> None:
    findings = _findings(api_schema, [{}])
    assert not findings, "\n\n".join(findings)


def test_api_keeps_its_contract_with_accounts(
    accounts_schema: tuple[schemathesis.BaseSchema, list[Headers]],
) -> None:
    findings = _findings(*accounts_schema)
    assert not findings, "\n\n".join(findings)

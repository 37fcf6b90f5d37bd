"""The API keeps its own OpenAPI contract: schemathesis generates requests from /openapi.json
and sends them in-process (ASGI) to an AUTH=none app on a temporary data dir.

Any finding fails the test: a 5xx, a status the operation does not declare, a content type or
a body that does not match what is declared. Valid and invalid requests both (schemathesis's
positive and negative modes), 40 per operation and mode; the seed is fixed (derandomize), so a
run takes about the same time (~40 s) and finds the same things every time. The SSE streams
are left out: they answer until their run ends (/runs/live is a page, not in the schema)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 40  # per operation and mode: ~40 s in all (60 took 54 s, 25 took 23 s)
CAP = 64 * 1024  # body caps: generated uploads stay small, and the 413s are exercised too


@pytest.fixture
def api_schema(tmp_path) -> Iterator[schemathesis.BaseSchema]:
    app = create_app(
        Settings(
            data_dir=tmp_path / "data",
            auth="none",
            workers=0,
            predictors=0,
            max_body_bytes=CAP,
            max_upload_bytes=CAP,
            max_image_bytes=CAP,
        )
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events$")
    shutdown_lifespans()  # the app's lifespan, started by schemathesis's first request


def _finding(operation, mode: GenerationMode) -> str | None:
    """The first failure (shrunk by Hypothesis) of one operation in one mode, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        check()
    except Unsatisfiable:  # nothing about it can be invalid (an operation without parameters)
        return None
    # Every operation is tried, then all findings are listed (FailureGroup: several checks).
    except (Exception, FailureGroup) as error:
        return f"{operation.label} ({mode}): {error}"
    return None


def test_api_keeps_its_contract(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30, [op.label for op in operations]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    findings = [f for op in operations for mode in modes if (f := _finding(op, mode))]
    assert not findings, "\n\n".join(findings)

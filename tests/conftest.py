"""Shared fixtures: a real database (the `backend` fixture: SQLite, and PostgreSQL too for a
test marked `both_databases`), a temporary data dir, and the app on top of it.

Constants and helpers live in tests/helpers/ (nothing imports from a conftest)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.db import make_engine, migrate
from app.main import create_app

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TestClient sends `Host: testserver`; the Host allow-list answers it in tests only (as
# Django's test runner adds "testserver" to ALLOWED_HOSTS). A Settings(allowed_hosts=...)
# given in a test replaces it.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# Nothing downloads from the internet in tests: the tutorial catalog reads a mirror folder
# that does not exist (503) unless a test names its own mirror (tests/helpers/catalog_files.py).
os.environ.setdefault("DATASETS_MIRROR", "/nonexistent/layerstack-tests-have-no-network")
# Before any test module imports a helper: the helpers' asserts (submit, wait_for,
# assert_same_as_keras...) then explain a failure as a test's own asserts do.
pytest.register_assert_rewrite("tests.helpers")

from tests.helpers.db import (  # noqa: E402  (after register_assert_rewrite, as said above)
    BACKENDS,
    database_url_for,
    drop_session_database,
    require_postgres,
)


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_session_database()
    workeroutput = getattr(session.config, "workeroutput", None)  # in an xdist worker
    if workeroutput is not None:
        from tests.helpers import shared_servers

        workeroutput["left_behind"] = shared_servers.left_behind


@pytest.hookimpl(optionalhook=True)  # xdist's hook: unknown to a run without xdist
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    """xdist: a worker's list of runs left on its trainers, for the summary below."""
    from tests.helpers import shared_servers

    shared_servers.left_behind += getattr(node, "workeroutput", {}).get("left_behind", [])


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import shared_servers

    if shared_servers.left_behind:
        terminalreporter.section("runs left on the shared trainers (cancelled after the test)")
        for line in shared_servers.left_behind:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def shared_trainers_left_idle(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used a shared trainer, nothing of its stays queued or running
    (tests/helpers/shared_servers.py says why)."""
    yield
    from tests.helpers import shared_servers

    if shared_servers.NAMES & set(request.fixturenames) and shared_servers.started:
        shared_servers.settle(request.node.nodeid)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that uses a database runs on SQLite ([sqlite]); one marked `both_databases`
    (its SQL differs by database: state changes, leases, LISTEN/NOTIFY, quotas, versions,
    migrations, 64-bit ids, concurrency) on PostgreSQL too ([postgresql]). A test may also
    name its own, e.g. @pytest.mark.parametrize("backend", ["postgresql"], indirect=True)."""
    if "backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "backend" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return
    both = metafunc.definition.get_closest_marker("both_databases") is not None
    metafunc.parametrize("backend", BACKENDS if both else BACKENDS[:1], indirect=True)


# Fixtures that start a server with a TensorFlow worker, or import Keras here.
KERAS_FIXTURES = {"trainer", "postgres_trainer", "each_trainer", "digits_cnn_run", "keras",
                  "mnist_dataset"}  # fmt: skip


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from what a test uses, so `-m` selections (make test-fast) cannot miss one:
    `postgresql` on every test that needs the test PostgreSQL, `keras` on every test whose
    fixtures import TensorFlow. And where tests run under xdist (--dist loadgroup): the Ray
    tests in one process (one cluster), and a module whose tests share a module-scoped
    fixture (a server, a trained run) in one process, so that fixture is made once."""
    for item in items:
        if item.get_closest_marker("ray"):
            item.add_marker(pytest.mark.xdist_group("ray"))
        elif _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_postgres = "postgresql" in (params.get("backend"), params.get("each_trainer"))
        if on_postgres or "postgres_trainer" in names:
            item.add_marker(pytest.mark.postgresql)
        if names & KERAS_FIXTURES:
            item.add_marker(pytest.mark.keras)


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definition.scope in ("module", "class", "package")
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
    )


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> None:
    """Apps in this process hash passwords at Argon2id's least cost (servers started as
    processes keep the production cost; tests/accounts/test_passwords.py pins it)."""
    from app.accounts.passwords import use_cost
    from tests.helpers.accounts import TEST_HASH_COST

    use_cost(**TEST_HASH_COST)


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> str:
    """The database under the test (pytest_generate_tests above picks which): [sqlite], and
    [postgresql] for a test marked `both_databases`.

    On PostgreSQL, DATABASE_URL (a schema of the session's database for this test's data dir,
    tmp_path / "data") is in the environment for the whole test, so every Settings() the test
    makes, and every LiveServer it starts, uses it."""
    if request.param not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, received {request.param!r}")
    if request.param == "postgresql":
        require_postgres()
        monkeypatch.setenv("DATABASE_URL", database_url_for(tmp_path / "data", "postgresql"))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    return request.param


@pytest.fixture
def settings(tmp_path: Path, backend: str) -> Settings:
    data_dir = tmp_path / "data"
    return Settings(  # no TensorFlow
        data_dir=data_dir, database_url=database_url_for(data_dir, backend), workers=0, predictors=0
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The test's database, migrated to head, without an app."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client  # the app's lifespan disposes its engine on the way out


@pytest.fixture
def accounts(tmp_path: Path, backend: str) -> Iterator[TestClient]:
    """An accounts-mode app (AUTH=accounts, a first admin from ADMIN_EMAIL/ADMIN_PASSWORD)."""
    # Imported here, not at the top: the helpers' asserts are rewritten only when they are
    # imported after register_assert_rewrite above.
    from tests.helpers.accounts import accounts_settings

    with TestClient(create_app(accounts_settings(tmp_path / "data"))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def keras():
    """Keras in the test process, imported once per session (seconds), only when asked for."""
    import keras as keras_module

    return keras_module


def shared(live):  # type: ignore[no-untyped-def]
    from tests.helpers import shared_servers

    shared_servers.started.append(live)
    return live


def unshare(live) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import shared_servers

    shared_servers.started.remove(live)


@pytest.fixture(scope="session")
def trainer(tmp_path_factory):
    """A real server with a training worker and the inference process, shared by the
    training and prediction tests so TensorFlow is imported once per process per session."""
    from tests.helpers.live_server import LiveServer

    data_dir = tmp_path_factory.mktemp("trainer") / "data"
    live = LiveServer(data_dir, backend="sqlite", WORKERS="1", PREDICTORS="1")
    yield shared(live.start())
    unshare(live)
    live.stop()


@pytest.fixture(scope="session")
def postgres_trainer(tmp_path_factory):
    """The trainer's twin on PostgreSQL (a worker, no inference process), started only when a
    test asks for it: the run lifecycle (create, epochs over SSE, done, cancel, resume, delete)
    is trained for real on both databases; the rest of real training stays on SQLite, since
    the database code under it is the same and each leg costs minutes."""
    from tests.helpers.live_server import LiveServer

    require_postgres()
    data_dir = tmp_path_factory.mktemp("postgres-trainer") / "data"
    live = LiveServer(data_dir, backend="postgresql", WORKERS="1")
    yield shared(live.start())
    unshare(live)
    live.stop()


@pytest.fixture(params=BACKENDS)
def each_trainer(request: pytest.FixtureRequest):
    """`trainer` ([sqlite]), then `postgres_trainer` ([postgresql])."""
    return request.getfixturevalue("trainer" if request.param == "sqlite" else "postgres_trainer")


@pytest.fixture(scope="session")
def mnist_dataset(trainer) -> dict:
    """The real MNIST test set uploaded once to the shared server (8,000 train / 2,000 test)."""
    import httpx

    from tests.helpers.images import MNIST_IMAGES, MNIST_LABELS, mnist_file

    files = [
        ("files", (name, mnist_file(name).read_bytes())) for name in (MNIST_IMAGES, MNIST_LABELS)
    ]
    response = httpx.post(
        f"{trainer.url}/api/datasets", data={"name": "mnist"}, files=files, timeout=120
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="session")
def digits_cnn_run(trainer) -> dict:
    """A small CNN trained once on the built-in digits (8x8), for the tests that look inside
    a model (activations, filters, saliency, confusion-cell examples) in the API and pages."""
    from tests.helpers.runs import submit, wait_for
    from tests.helpers.stacks import DIGITS_CNN

    run = wait_for(trainer, submit(trainer, DIGITS_CNN, epochs=20, batch_size=32)["id"])
    assert run["status"] == "completed", run["error"]
    return run

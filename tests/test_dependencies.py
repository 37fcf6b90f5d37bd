"""Everything the server, the CLI and the Docker image import at run time is a runtime
dependency: `make run` and `pip install .` install only [project.dependencies], so a module
that only the dev extra brings crashes a fresh clone (httpx once did, through
layerstack/__init__.py) while the tests, which run with the dev extra, pass.

Read from the source (ast), lazy imports inside functions included, and from
`importlib.util.find_spec("...")` look-ups: it cannot be fooled by what happens to be
installed in the test environment, except through `packages_distributions()`, which only
names the distribution that provides a module.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import packages_distributions

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.paths import REPO

RUNTIME_CODE = ("app", "layerstack", "migrations")

# Modules imported only on a code path that needs an extra, each with that path. Anything
# else imported at run time must come from [project.dependencies].
OPTIONAL = {
    # EXECUTOR=ray: only the dispatcher process and the Ray tasks import it
    # (app/executors/dispatcher.py, app/executors/ray_task.py); `pip install layerstack[ray]`.
    "ray": "ray",
    # layerstack.Client.history() returns a DataFrame when pandas is installed, plain dicts
    # otherwise (layerstack/client.py imports it inside a try); never needed to run.
    "pandas": None,
}


def imported_top_names(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno
        elif (  # importlib.util.find_spec("sklearn"): a module used by its files
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "find_spec"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value.split(".")[0], node.lineno


@cache
def third_party_imports() -> dict[str, list[str]]:
    """Top-level module -> where it is imported ("path:line")."""
    ours = set(RUNTIME_CODE)
    found: dict[str, list[str]] = {}
    for folder in RUNTIME_CODE:
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for name, line in imported_top_names(tree):
                if name in sys.stdlib_module_names or name in ours or name == "__future__":
                    continue
                found.setdefault(name, []).append(f"{path.relative_to(REPO)}:{line}")
    return found


def declared(extra: str | None = None) -> set[str]:
    """Canonical distribution names in [project.dependencies] (or one extra)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {canonicalize_name(Requirement(line).name) for line in lines}


@cache
def _distributions() -> dict[str, list[str]]:
    return packages_distributions()  # reads every installed distribution: seconds


def providers(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _distributions().get(module, [])}


def undeclared(imports: dict[str, list[str]], runtime: set[str]) -> list[str]:
    problems = []
    for module, places in sorted(imports.items()):
        if module in OPTIONAL:
            continue
        names = providers(module)
        if not names:
            where = places[0]
            problems.append(f"{module} (imported at {where}) is provided by no installed "
                            "distribution: declare it in [project.dependencies]")  # fmt: skip
        elif not names & runtime:
            where, given_by = ", ".join(places[:3]), "/".join(sorted(names))
            problems.append(f"{module} (imported at {where}) comes from {given_by}, "
                            "which is not in [project.dependencies]")  # fmt: skip
    return problems


def test_every_runtime_import_is_a_runtime_dependency():
    assert undeclared(third_party_imports(), declared()) == []


def test_the_check_catches_a_dev_only_import():
    """What the test above would say if httpx were still only in the dev extra."""
    runtime = declared() - {"httpx"}
    problems = undeclared(third_party_imports(), runtime)
    assert len(problems) == 1 and problems[0].startswith("httpx (imported at layerstack/")


def test_optional_imports_are_in_their_extra_and_really_imported():
    imports = third_party_imports()
    for module, extra in OPTIONAL.items():
        assert module in imports, f"{module} is listed as optional but nothing imports it"
        if extra is not None:
            assert providers(module) & declared(extra), f"{module} is not in the {extra} extra"


@pytest.mark.parametrize("module", sorted(OPTIONAL))
def test_optional_imports_are_guarded_where_the_server_starts(module):
    """The web process and the CLI start without the optional modules: none of them is
    imported at the top of a module outside the code paths named in OPTIONAL."""
    allowed = {"ray": ("app/executors/dispatcher.py", "app/executors/ray_task.py")}
    places = third_party_imports()[module]
    top_level = []
    for place in places:
        path, line = place.rsplit(":", 1)
        tree = ast.parse((REPO / path).read_text())
        if any(getattr(node, "lineno", None) == int(line) for node in tree.body):
            top_level.append(path)
    assert [p for p in top_level if p not in allowed.get(module, ())] == []

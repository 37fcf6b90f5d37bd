"""The code's layout keeps its promises: each rule here is one a reader relies on to find
their way, checked by reading the source (ast), so a change that breaks one fails here.

- Only app/ml imports TensorFlow/Keras (the web process never loads it).
- Handlers get what they need through app.deps; only deps and main touch app.state.
- Run statuses and dataset formats are spelled only in app/models/enums.py.
- Paths under DATA_DIR are built only in app/paths.py.
- No module imports another module's _private name.
- Front-end scripts stay small ES modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import DatasetFormat, RunStatus

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app"
JS = REPO / "static" / "js"
MAX_JS_LINES = 300


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(APP.rglob("*.py")):
        yield str(path.relative_to(REPO)), ast.parse(path.read_text(), str(path))


def imported_modules(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]


def strings(tree: ast.Module) -> Iterator[ast.Constant]:
    """String constants that are values, not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        is_string = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_string and id(node) not in docstrings:
            yield node


def test_only_app_ml_imports_tensorflow_or_keras():
    offenders = [
        f"{name} imports {module}"
        for name, tree in modules()
        for module, _ in imported_modules(tree)
        if module.split(".")[0] in ("tensorflow", "keras") and not name.startswith("app/ml/")
    ]
    assert offenders == []


def test_only_deps_and_main_touch_app_state():
    offenders = [
        f"{name}:{node.lineno}"
        for name, tree in modules()
        if name not in ("app/deps.py", "app/main.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "state"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "app"
    ]
    assert offenders == [], "use a dependency from app/deps.py instead of request.app.state"


@pytest.mark.parametrize("names", [RunStatus, DatasetFormat], ids=lambda e: e.__name__)
def test_state_names_are_spelled_only_in_the_enum_module(names):
    values = {member.value for member in names}
    offenders = [
        f"{name}:{node.lineno} {node.value!r}"
        for name, tree in modules()
        if name != "app/models/enums.py"
        for node in strings(tree)
        if node.value in values
    ]
    assert offenders == [], f"use {names.__name__} members instead of string literals"


# What lives directly under DATA_DIR or inside a run's folder: joined only in app/paths.py.
LAYOUT_NAMES = {"runs", "datasets", "tmp", "model.keras", "checkpoint.npz", "layerstack.db"}
# Reads scikit-learn's own sklearn/datasets/data folder, not DATA_DIR.
NOT_DATA_DIR = {"app/paths.py", "app/datasets/digits.py"}


def test_data_dir_paths_are_built_only_in_the_paths_module():
    offenders = [
        f"{name}:{node.lineno} / {node.right.value!r}"
        for name, tree in modules()
        if name not in NOT_DATA_DIR
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and isinstance(node.right, ast.Constant)
        and node.right.value in LAYOUT_NAMES
    ]
    assert offenders == [], "use app.paths.DataPaths"


def test_no_module_imports_another_modules_private_names():
    offenders = [
        f"{name}: from {module} import {imported}"
        for name, tree in modules()
        for module, names in imported_modules(tree)
        if module.startswith("app")
        for imported in names
        if imported.startswith("_")
    ]
    assert offenders == []


def test_front_end_scripts_are_small():
    sizes = {
        str(path.relative_to(REPO)): len(path.read_text().splitlines()) for path in JS.rglob("*.js")
    }
    assert sizes, "no scripts found under static/js"
    assert {path: n for path, n in sizes.items() if n > MAX_JS_LINES} == {}


def test_the_checks_above_can_fail(tmp_path):
    """Each AST rule, fed a module that breaks it, finds the offence."""
    bad = ast.parse(
        "import keras\nfrom app.x import _hidden\nstatus = 'running'\n"
        "path = root / 'runs'\nrequest.app.state.pool\n"
    )
    assert next(m for m, _ in imported_modules(bad)) == "keras"
    assert any(n.startswith("_") for _, ns in imported_modules(bad) for n in ns)
    assert "running" in {node.value for node in strings(bad)}
    divisions = [n for n in ast.walk(bad) if isinstance(n, ast.BinOp)]
    assert divisions and divisions[0].right.value in LAYOUT_NAMES  # type: ignore[attr-defined]
    assert any(isinstance(n, ast.Attribute) and n.attr == "state" for n in ast.walk(bad))

"""A Keras Sequential model read from pasted Python, without running any of it.

The source is parsed with `ast` and only read: literals are evaluated by hand, calls are
matched against the catalog by name, and nothing is ever imported, compiled to code or run.
Statements that do not build the model (print, plots, evaluate) are listed in `ignored`.
Compile values the catalog rejects ('sgd' as a loss, misspelled classes or arguments) are
left out of `architecture.compile`, so the import is valid as returned; each one is listed in
`ignored` with its line and the catalog's fix ("Did you mean 'BinaryCrossentropy'?").
Columns are 1-based, as editors count them.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.catalog import (
    INITIALIZERS,
    LAYER_TYPES,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    REGULARIZERS,
    Invalid,
    Registry,
    check_compile,
)
from app.catalog.problems import suggest

MAX_SOURCE_CHARS = 200_000
_CODE_LAYERS = ("Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer")
_INPUTS = ("Input", "InputLayer")
_REGISTRIES = {
    "optimizers": OPTIMIZERS, "losses": LOSSES, "metrics": METRICS,
    "initializers": INITIALIZERS, "regularizers": REGULARIZERS,
}  # fmt: skip
_COMPILE = {"optimizer": OPTIMIZERS, "loss": LOSSES, "metrics": METRICS}
_KERAS_ROOTS = {"layers", "models", "activations", *_REGISTRIES}
# Keras's signatures and the catalog's arg order part after this many leading arguments.
_POSITIONAL = {"Dropout": 1, "RandomContrast": 1, "LSTM": 3, "GRU": 3, "SimpleRNN": 3,
               "Embedding": 4, "LayerNormalization": 4}  # fmt: skip
_FIT_POSITIONAL = ("x", "y", "batch_size", "epochs")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}  # fmt: skip
_BIGGEST = 1e18  # no layer argument is larger; keeps `10**10**10` from eating the CPU


class ImportProblem(ValueError):
    """Why the source cannot be imported, and where (1-based line and column)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message, self.line, self.column = message, line, column


class _Ref(NamedTuple):
    module: tuple[str, ...]  # ("layers",), ("optimizers",), or () for a bare name
    name: str
    qualified: bool  # written (or imported) as tf.keras.X / keras.X


@dataclass
class _Model:
    line: int
    name: str = "Imported"
    input_shape: Any = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    compile: dict[str, Any] = field(default_factory=dict)
    fit: dict[str, Any] = field(default_factory=dict)


def _fail(node: ast.AST, message: str) -> ImportProblem:
    return ImportProblem(message, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


def _number(value: Any, node: ast.AST) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(node, f"only numbers can be computed here; got {ast.unparse(node)!r}")
    return value


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.aliases: dict[str, str] = {}  # local name -> dotted path it was imported as
        self.models: dict[str, _Model] = {}
        self.last: _Model | None = None
        self.ignored: list[dict[str, Any]] = []

    def note(self, node: ast.AST, message: str) -> None:
        self.ignored.append({"line": getattr(node, "lineno", 1), "message": message})

    def snippet(self, node: ast.AST) -> str:
        text = (ast.get_source_segment(self.source, node) or ast.unparse(node)).splitlines()[0]
        return text if len(text) <= 60 else text[:57] + "..."

    def ref(self, node: ast.AST) -> _Ref | None:
        """What a (dotted) name means in Keras terms, or None when it is not Keras's."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        imported = node.id in self.aliases
        parts = [*self.aliases.get(node.id, node.id).split("."), *parts]
        if parts[0] == "tensorflow":
            parts[0] = "tf"
        if parts[:2] == ["tf", "keras"] or parts[0] == "keras":
            rest, qualified = parts[2 if parts[0] == "tf" else 1 :], True
        elif parts[:2] == ["tf", "nn"] and len(parts) == 3:  # activation=tf.nn.relu
            rest, qualified = ["activations", parts[2]], True
        elif not imported and (len(parts) == 1 or parts[0] in _KERAS_ROOTS):
            rest, qualified = parts, False  # snippets often skip their imports
        else:
            return None
        if not rest:
            return None
        return _Ref(tuple(rest[:-1]), rest[-1], qualified or len(rest) > 1)

    def value(self, node: ast.AST, registry: Registry | None = None) -> Any:
        """A literal argument, computed by hand; Keras objects become {"name": ...} dicts."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | None):
            return node.value
        if isinstance(node, ast.Tuple | ast.List):
            return [self.value(e, registry) for e in node.elts]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            number = _number(self.value(node.operand), node)
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return self.arithmetic(node)
        if isinstance(node, ast.Call):
            return self.keras_object(node, registry)
        if isinstance(node, ast.JoinedStr):
            raise _fail(node, "f-strings are not imported: write the string itself")
        ref = self.ref(node) if isinstance(node, ast.Name | ast.Attribute) else None
        if ref is not None and ref.module and ref.module[-1] in {"activations", *_REGISTRIES}:
            return ref.name  # a function passed by name: tf.keras.losses.mse -> "mse"
        raise _fail(
            node,
            f"cannot read {self.snippet(node)!r}: only literal values (numbers, strings, "
            f"True/False/None, lists) and Keras objects are imported; write the value itself",
        )

    def arithmetic(self, node: ast.BinOp) -> int | float:
        left, right = _number(self.value(node.left), node), _number(self.value(node.right), node)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise _fail(node, f"the exponent in {self.snippet(node)!r} is too large")
        try:
            result = _OPS[type(node.op)](left, right)
        except (ArithmeticError, ValueError) as error:
            raise _fail(node, f"cannot compute {self.snippet(node)!r}: {error}") from None
        if not isinstance(result, int | float) or abs(result) > _BIGGEST:
            raise _fail(node, f"{self.snippet(node)!r} is not a usable number")
        return result

    def keras_object(self, call: ast.Call, registry: Registry | None) -> dict[str, Any]:
        """tf.keras.optimizers.SGD(momentum=0.9) -> {"name": "SGD", "momentum": 0.9}."""
        ref = self.ref(call.func)
        if ref is not None and ref.module:
            registry = _REGISTRIES.get(ref.module[-1])
        spec = registry.find(ref.name) if ref is not None and registry is not None else None
        if ref is None or registry is None or (spec is None and not ref.qualified):
            raise _fail(
                call,
                f"cannot run {self.snippet(call.func)}(...): only Keras optimizers, losses, "
                f"metrics, initializers and regularizers are read inside arguments",
            )
        out: dict[str, Any] = {"name": spec.name if spec else ref.name}
        if call.args and (spec is None or registry is METRICS or len(call.args) > len(spec.args)):
            raise _fail(call.args[0], f"pass the arguments of {ref.name} by name")
        for arg, node in zip(spec.args if spec else (), call.args, strict=False):
            out[arg.name] = self.value(node)
        for kw in call.keywords:
            if kw.arg is None:
                raise _fail(kw, f"cannot read **{self.snippet(kw.value)}: name each argument")
            out[kw.arg] = self.value(kw.value)
        return out

    def layer(self, node: ast.AST, model: _Model) -> None:
        ref = self.ref(node.func) if isinstance(node, ast.Call) else None
        if not isinstance(node, ast.Call) or ref is None or ref.module[:1] not in {(), ("layers",)}:
            what = self.snippet(node.func if isinstance(node, ast.Call) else node)
            raise _fail(node, f"{what} is not a Keras layer; only the catalog's layers are read")
        if ref.name in _CODE_LAYERS:
            raise _fail(
                node,
                f"{ref.name} is not supported: it runs arbitrary code. Activation, "
                f"Rescaling or Reshape cover most of its uses",
            )
        if ref.name in _INPUTS:
            return self.input(node, model)
        kind = LAYER_TYPES.get(ref.name)
        if kind is None:
            hint = suggest(ref.name, list(LAYER_TYPES))
            raise _fail(
                node, f"unknown layer {ref.name}" + (f"; did you mean {hint}?" if hint else "")
            )
        limit = _POSITIONAL.get(kind.name, len(kind.args))
        if len(node.args) > limit:
            raise _fail(
                node.args[limit],
                f"{kind.name} takes at most {limit} positional "
                f"argument(s); pass `{kind.args[limit].name}` and the "
                f"rest by name",
            )
        args = {a.name: self.value(n) for a, n in zip(kind.args, node.args, strict=False)}
        entry: dict[str, Any] = {"type": kind.name, "args": args}
        for kw in node.keywords:
            if kw.arg is None or kw.arg in args:
                raise _fail(kw, f"{kind.name}: name each argument once")
            registry = (
                INITIALIZERS
                if kw.arg.endswith("initializer")
                else (REGULARIZERS if kw.arg.endswith("regularizer") else None)
            )
            if kw.arg == "name":
                entry["name"] = self.value(kw.value)
            else:
                args[kw.arg] = self.value(kw.value, registry)
        model.layers.append(entry)

    def input(self, call: ast.Call, model: _Model) -> None:
        given = [kw.value for kw in call.keywords if kw.arg in ("shape", "input_shape")]
        nodes = [*call.args[:1], *given]
        if model.layers or not nodes:
            raise _fail(call, "an Input with a shape=(...) may only come first")
        model.input_shape = self.value(nodes[0])

    def sequential(self, target: str, call: ast.Call) -> None:
        model = _Model(call.lineno)
        if target in self.models:
            self.note(
                call, f"replaces the model {target!r} defined on line {self.models[target].line}"
            )
        self.models[target] = self.last = model
        layers = [*call.args[:1], *(kw.value for kw in call.keywords if kw.arg == "layers")]
        for kw in call.keywords:
            if kw.arg == "name":
                model.name = str(self.value(kw.value))
        for given in layers[:1]:
            if not isinstance(given, ast.List | ast.Tuple):
                raise _fail(given, "list the layers inside Sequential([...]) to import them")
            for element in given.elts:
                self.layer(element, model)

    def compile(self, call: ast.Call, model: _Model) -> None:
        given = dict(zip(("optimizer", "loss"), call.args, strict=False))
        for kw in call.keywords:
            if kw.arg in ("optimizer", "loss", "metrics"):
                given[kw.arg] = kw.value
            else:
                self.note(kw.value, f"compile argument `{kw.arg}` is not imported")
        model.compile = {}
        for name, node in given.items():
            if name != "metrics":
                checked = self.checked(name, node, _COMPILE[name])
                if checked is not None:
                    model.compile[name] = checked
                continue
            items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
            metrics = [self.checked(name, item, METRICS) for item in items]
            model.compile[name] = [m for m in metrics if m is not None]

    def checked(self, name: str, node: ast.AST, registry: Registry) -> Any:
        """The value as check_compile accepts it; what it rejects is left out and noted."""
        value = self.value(node, registry)
        depth = 3 if name == "metrics" else 2  # where an object's argument sits in a loc
        while True:
            try:
                checked = check_compile({name: [value] if name == "metrics" else value})[name]
                return checked[0] if name == "metrics" else checked
            except Invalid as invalid:
                problem = invalid.problems[0]
                bad = problem.loc[depth] if len(problem.loc) > depth else None
                if isinstance(value, dict) and bad in value:
                    self.note(node, f"{problem.msg} `{bad}` was left out.")
                    value = {k: v for k, v in value.items() if k != bad}
                    continue
                self.note(
                    node,
                    f"{problem.msg} The {name.removesuffix('metrics') or 'metric'} "
                    f"{self.snippet(node)} was left out.",
                )
                return None

    def fit(self, call: ast.Call, model: _Model) -> None:
        given = dict(zip(_FIT_POSITIONAL, call.args, strict=False))
        given.update({kw.arg: kw.value for kw in call.keywords if kw.arg})
        model.fit = {}
        for name, node in given.items():
            if name in ("x", "y"):
                continue  # the data: the studio picks a dataset instead
            if name not in ("epochs", "batch_size"):
                self.note(node, f"fit argument `{name}` is not imported")
                continue
            try:
                model.fit[name] = self.value(node)
            except ImportProblem as problem:
                self.note(node, f"fit {name} was left out: {problem.message}")

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                local = alias.asname or alias.name.split(".")[0]
                self.aliases[local] = alias.name if alias.asname else local
            return
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                self.aliases[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
            return
        call = stmt.value if isinstance(stmt, ast.Assign | ast.Expr) else None
        if isinstance(call, ast.Call):
            ref = self.ref(call.func)
            if (
                isinstance(stmt, ast.Assign)
                and ref
                and ref.name == "Sequential"
                and len(stmt.targets) == 1
                and ref.module in {(), ("models",)}
            ):
                return self.sequential(ast.unparse(stmt.targets[0]), call)
            owner = call.func.value if isinstance(call.func, ast.Attribute) else None
            model = self.models.get(ast.unparse(owner)) if owner else None
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if model is not None and method == "add" and len(call.args) == 1:
                return self.layer(call.args[0], model)
            if model is not None and method in ("compile", "fit"):
                return getattr(self, method)(call, model)
        self.note(stmt, f"not part of the model: {self.snippet(stmt)}")


def import_python(source: str) -> dict[str, Any]:
    """The Sequential model a Python source builds, as an architecture; never runs the source."""
    if len(source) > MAX_SOURCE_CHARS:
        raise ImportProblem(
            f"the source has {len(source)} characters; the limit is {MAX_SOURCE_CHARS}", 1, 1
        )
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ImportProblem(
            f"not valid Python: {error.msg}", error.lineno or 1, error.offset or 1
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise ImportProblem(f"not valid Python: {error}", 1, 1) from None
    reader = _Reader(source)
    try:
        for stmt in tree.body:
            reader.statement(stmt)
    except RecursionError:
        raise ImportProblem("the source nests too deeply to read", 1, 1) from None
    model = reader.last
    if model is None:
        raise ImportProblem(
            "no Sequential model found: write `model = Sequential([...])` or "
            "`model = Sequential()` followed by `model.add(...)`",
            1,
            1,
        )
    architecture = {
        "name": model.name,
        "input_shape": model.input_shape,
        "layers": model.layers,
        "compile": model.compile,
    }
    ignored = sorted(reader.ignored, key=lambda entry: entry["line"])
    return {"architecture": architecture, "fit": model.fit, "ignored": ignored}

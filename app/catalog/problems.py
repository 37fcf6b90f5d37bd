"""Problems found in a request, in FastAPI's error shape, raised together as `Invalid`, and
the words every message uses: what was received, and which name was probably meant."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    loc: tuple[str | int, ...]
    msg: str
    type: str
    input: Any = None
    fix: dict[str, Any] | None = None  # a one-click action a UI can offer

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"loc": list(self.loc), "msg": self.msg, "type": self.type}
        if self.input is not None:
            out["input"] = self.input
        if self.fix is not None:
            out["fix"] = self.fix
        return out


class Invalid(ValueError):
    """One or more problems; the API answers 422 with all of them, and with `context` (what
    could still be worked out, e.g. the summary rows before a faulty layer) beside them."""

    def __init__(self, problems: list[Problem], context: dict[str, Any] | None = None) -> None:
        super().__init__("; ".join(p.msg for p in problems))
        self.problems = problems
        self.context = context or {}


def invalid(
    loc: tuple[str | int, ...],
    msg: str,
    type: str,
    input: Any = None,
    fix: dict[str, Any] | None = None,
) -> Invalid:
    """One problem, ready to raise: `raise invalid(("layers", 0), "...", "layer_type", raw)`."""
    return Invalid([Problem(loc, msg, type, input, fix)])


def prefixed(invalid: Invalid, *prefix: str | int) -> Invalid:
    """The same problems, located inside a bigger request (e.g. under "architecture")."""
    return Invalid(
        [Problem((*prefix, *p.loc), p.msg, p.type, p.input, p.fix) for p in invalid.problems]
    )


def received(name: str, value: Any) -> str:
    """Keras's phrase for the offending value, with its JSON type when that is the problem."""
    if isinstance(value, bool):
        return f"Received: {name}={'true' if value else 'false'} (a boolean)"
    if isinstance(value, str):
        return f"Received: {name}={value!r} (a string)"
    if value is None:
        return f"Received: {name}=null"
    if isinstance(value, dict):
        return f"Received: {name}={value!r} (an object)"
    return f"Received: {name}={value!r}"


def article(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def suggest(value: str, options: Sequence[str]) -> str | None:
    """The option a misspelled name most likely meant: case, `_` and `-` are ignored first."""

    def norm(s: str) -> str:
        return "".join(c for c in s.lower() if c.isalnum())

    bare = value.rsplit(".", 1)[-1]
    # A CamelCase guess (Binary_CrossEntropy) wants the class name, a snake_case one the id.
    camel = any(c.isupper() for c in bare)
    wanted = norm(bare)
    by_norm = {norm(o): o for o in sorted(options, key=lambda o: o[:1].isupper() == camel)}
    if wanted in by_norm:
        return by_norm[wanted]
    close = difflib.get_close_matches(wanted, list(by_norm), n=1, cutoff=0.75)
    return by_norm[close[0]] if close else None


def did_you_mean(value: Any, options: Sequence[str]) -> str:
    hint = suggest(value, options) if isinstance(value, str) else None
    return f" Did you mean {hint!r}?" if hint else ""

"""Problems found in a request, in FastAPI's error shape, raised together as `Invalid`."""

from __future__ import annotations

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
    """One or more problems; the API answers 422 with all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.msg for p in problems))
        self.problems = problems

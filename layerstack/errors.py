"""One exception for every answer the API refuses, carrying its status and its problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Problem:
    """One problem the server found: where (`loc`, e.g. ("body", "fit", "epochs")), what
    (`msg`), its kind, and for a stack's problems what was received and a fix it offers."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = ""
    input: Any = None
    fix: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Problem:
        known = {"loc", "msg", "type", "input", "fix"}
        return cls(
            loc=tuple(raw.get("loc") or ()),
            msg=str(raw.get("msg", "")),
            type=str(raw.get("type", "")),
            input=raw.get("input"),
            fix=raw.get("fix"),
            extra={k: v for k, v in raw.items() if k not in known},
        )


class LayerstackError(Exception):
    """The server's answer was not a success (or the server could not be reached: status 0).
    str(error) is the server's own message; `problems` lists a 422's problems one by one."""

    def __init__(
        self,
        message: str,
        status: int = 0,
        problems: list[Problem] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.status = message, status
        self.problems = problems or []
        self.body, self.headers = body, headers or {}

    @classmethod
    def from_response(cls, response: httpx.Response) -> LayerstackError:
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list):
            problems = [Problem.of(p) for p in detail if isinstance(p, dict)]
            message = "; ".join(_where(p) + p.msg for p in problems) or "invalid request"
        elif isinstance(detail, str):
            problems, message = [], detail
        else:
            problems = []
            message = f"{response.request.method} {response.request.url.path} answered " + (
                f"{response.status_code}: {response.text[:200]}"
            )
        return cls(message, response.status_code, problems, body, dict(response.headers))


def _where(problem: Problem) -> str:
    parts = [str(p) for p in problem.loc if p not in ("body", "query", "path")]
    return f"{'.'.join(parts)}: " if parts else ""

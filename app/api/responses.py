"""The error statuses a route documents in its OpenAPI `responses`, in one line each."""

from typing import Any

Responses = dict[int | str, dict[str, Any]]


def described(texts: dict[int, str]) -> Responses:
    """{404: "No run with this id"} -> {404: {"description": "No run with this id"}}."""
    return {status: {"description": text} for status, text in texts.items()}

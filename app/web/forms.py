"""What the account pages' htmx forms send, made into the API's own request models.

A form sends every field as text, an empty one included; here an empty optional field means
"none" (a quota: the server's default; a password: unchanged). The checks are the API
models' own (UserCreate, UserUpdate, TokenCreate), so a page accepts exactly what the API
does; their errors are answered as the API's 422, each message naming the field by its label.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.catalog.problems import Invalid, Problem

Model = TypeVar("Model", bound=BaseModel)
GB = 1024**3  # the users page takes storage quotas in GB, as the pages print sizes

LABELS = {
    "email": "Email",
    "display_name": "Name",
    "password": "Password",
    "role": "Role",
    "name": "Token name",
    "expires_in_days": "Expires in (days)",
    "quota_active_runs": "Active runs quota",
    "quota_storage_bytes": "Storage quota",
    "quota_datasets": "Datasets quota",
}


def blank_is_none(value: Any) -> Any:
    """A field left empty in a form is no value at all."""
    return None if isinstance(value, str) and not value.strip() else value


def gb_to_bytes(gb: float | None) -> int | None:
    return None if gb is None else round(gb * GB)


def checked(model: type[Model], data: dict[str, Any]) -> Model:
    """`model` made from a form's fields; a 422 whose messages name each field's label."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_problem(e) for e in error.errors(include_url=False)]
        raise Invalid(problems) from None


def _problem(error: Any) -> Problem:
    field = str(error["loc"][0]) if error["loc"] else ""
    label = LABELS.get(field, field.replace("_", " ").capitalize())
    message = error["msg"]
    if error["type"] == "string_pattern_mismatch":  # only an email has a pattern
        message = "expected an address like name@example.com"
    received = error.get("input")
    shown = "" if field == "password" or isinstance(received, dict) else f" Received: {received!r}."
    return Problem(tuple(error["loc"]), f"{label}: {message}.{shown}", error["type"])

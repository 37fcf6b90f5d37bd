"""Path ids and paging, bounded as SQLite stores them: an id is 1..2**63-1 and paging stays
within 64 bits too, so a wild number is a 422 naming the bound, never an overflow (500). And
the versions an If-Match header names, for the objects that carry one (architectures, users)."""

import re
from typing import Annotated

from fastapi import Path, Query

from app.models.common import MAX_ID

MAX_LIMIT = 500

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The object's id (1 to 2**63-1)")]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only those with this id")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many to skip")]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many (1 to {MAX_LIMIT})")
]


def expected_versions(if_match: str | None) -> list[int] | None:
    """The versions an `If-Match` header accepts; None (any version) for `*` or no header.

    Our ETags are strong ("3"): a weak or foreign tag matches nothing, as RFC 9110 says."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = (tag.strip() for tag in if_match.split(","))
    return [int(tag[1:-1]) for tag in tags if re.fullmatch(r'"[0-9]{1,18}"', tag)]

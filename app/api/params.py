"""Path ids and paging, bounded as SQLite stores them: an id is 1..2**63-1 and paging stays
within 64 bits too, so a wild number is a 422 naming the bound, never an overflow (500)."""

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

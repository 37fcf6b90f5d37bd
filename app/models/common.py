"""What every table shares: UTC timestamps and 64-bit integer columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator
from sqlalchemy import BigInteger, Integer

MAX_ID = 2**63 - 1  # SQLite's INTEGER: a larger number cannot even be bound to a query

# Ids, foreign keys, sizes and quotas: BIGINT on PostgreSQL (its INTEGER stops at 2**31 - 1);
# SQLite's INTEGER is 64-bit already, and only INTEGER PRIMARY KEY is the rowid.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes, PostgreSQL aware ones in the session's time zone;
    # every time we store is UTC, and every time we answer is too.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


UTCDateTime = Annotated[datetime, AfterValidator(as_utc)]

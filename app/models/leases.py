"""Leases: one holder at a time for a named job, across processes and hosts, kept in the
database so it works wherever the database is shared (SQLite on one machine, PostgreSQL for
many). The Ray dispatcher holds "dispatcher": only one acts, however many are started."""

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel


class Lease(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))

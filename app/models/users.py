"""Users, their server-side sign-in sessions and their personal API tokens.

Secrets are never stored: a session id and an API token are random strings of 256 bits
whose SHA-256 is the key looked up; passwords are Argon2 hashes (app/accounts/passwords.py).
"""

from datetime import datetime

import pydantic
from pydantic import BaseModel, ConfigDict
from sqlalchemy import CheckConstraint, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import MAX_ID, BigInt, UTCDateTime, utcnow
from app.models.enums import UserRole

ROLES = tuple(str(r) for r in UserRole)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


class UserBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(default=UserRole.MEMBER, max_length=20)
    disabled: bool = False
    # Per-user quotas; null: the server's default (QUOTA_* settings).
    quota_active_runs: int | None = Field(default=None, ge=0, le=MAX_ID, sa_type=BigInt)
    quota_storage_bytes: int | None = Field(default=None, ge=0, le=MAX_ID, sa_type=BigInt)
    quota_datasets: int | None = Field(default=None, ge=0, le=MAX_ID, sa_type=BigInt)


class User(UserBase, table=True):
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="user_role"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    password_hash: str | None = Field(default=None, max_length=300)
    # The one implicit user of AUTH=none; becomes the first admin when accounts are set up.
    is_local: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_seen_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # +1 on every change made to the user (not on sign-ins): the ETag of GET and the If-Match
    # of PATCH, so an admin's form opened earlier cannot silently undo a newer change.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the secret, this row its hash."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)  # sha256 hex of the cookie's secret
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True, sa_type=BigInt)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True, sa_type=BigInt)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=20)  # shown in lists, so a person can tell tokens apart
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class UserPublic(UserBase):
    id: int
    version: int
    created_at: UTCDateTime
    last_seen_at: UTCDateTime | None


class UsersPublic(SQLModel):
    data: list[UserPublic]
    count: int


class Usage(BaseModel):
    """What a user uses against their quotas."""

    active_runs: int
    storage_bytes: int
    datasets: int


class MePublic(UserPublic):
    usage: Usage
    quotas: Usage  # the limits in force (the user's own, or the server's defaults)
    auth: str  # the server's AUTH mode: "none" or "accounts"


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = pydantic.Field(max_length=254)
    password: str = pydantic.Field(max_length=1000)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = pydantic.Field(max_length=254, pattern=EMAIL_PATTERN)
    display_name: str = pydantic.Field(default="", max_length=200)
    password: str = pydantic.Field(min_length=8, max_length=1000)
    role: UserRole = UserRole.MEMBER


class UserUpdate(BaseModel):
    """What an admin may change about a user; a new password ends that user's sessions."""

    model_config = ConfigDict(extra="forbid")
    display_name: str | None = pydantic.Field(default=None, max_length=200)
    role: UserRole | None = None
    disabled: bool | None = None
    password: str | None = pydantic.Field(default=None, min_length=8, max_length=1000)
    quota_active_runs: int | None = pydantic.Field(default=None, ge=0, le=MAX_ID)
    quota_storage_bytes: int | None = pydantic.Field(default=None, ge=0, le=MAX_ID)
    quota_datasets: int | None = pydantic.Field(default=None, ge=0, le=MAX_ID)


class MeUpdate(BaseModel):
    """What a user may change about themselves; a new password needs the current one."""

    model_config = ConfigDict(extra="forbid")
    display_name: str | None = pydantic.Field(default=None, max_length=200)
    current_password: str | None = pydantic.Field(default=None, max_length=1000)
    new_password: str | None = pydantic.Field(default=None, min_length=8, max_length=1000)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = pydantic.Field(min_length=1, max_length=100)
    expires_in_days: int | None = pydantic.Field(
        default=90, ge=1, le=3650, description="null: never expires"
    )


class TokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    created_at: UTCDateTime
    expires_at: UTCDateTime | None
    last_used_at: UTCDateTime | None


class TokenCreated(TokenPublic):
    token: str = pydantic.Field(description="Shown once: store it now")


class TokensPublic(SQLModel):
    data: list[TokenPublic]
    count: int

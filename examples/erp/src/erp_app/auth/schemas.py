"""Bodies of the auth routes. A password is a ``SecretStr``: it never shows in a repr."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from erp_app.platform.security import Principal

__all__ = ["LoginRequest", "MeResponse", "RoleName", "UserCreate", "UserOut"]

RoleName = Literal["admin", "user", "viewer"]


_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL)


def _utf8(value: str) -> str:
    """Reject lone surrogates (valid in JSON escapes, not in UTF-8): they could not be
    stored, nor hashed."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=_PRINTABLE, examples=["admin"])
    # Bounded: argon2 hashes any length, but a megabyte password is a cheap DoS.
    password: SecretStr = Field(min_length=1, max_length=1024)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return _utf8(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr) -> SecretStr:
        _utf8(value.get_secret_value())
        return value


class MeResponse(BaseModel):
    """Who is logged in, and what they may do."""

    username: str
    roles: list[str]
    permissions: list[str]

    @classmethod
    def of(cls, principal: Principal) -> MeResponse:
        return cls(
            username=principal.username,
            roles=list(principal.roles),
            permissions=sorted(principal.permissions),
        )


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: SecretStr = Field(min_length=8, max_length=1024)
    roles: list[RoleName] = Field(min_length=1, max_length=3)
    display_name: str | None = Field(default=None, max_length=128, pattern=_PRINTABLE)

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str | None) -> str | None:
        return None if value is None else _utf8(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr) -> SecretStr:
        _utf8(value.get_secret_value())
        return value


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str | None
    roles: list[str]
    is_active: bool
    created_at: datetime

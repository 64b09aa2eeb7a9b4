"""Bodies of the auth routes. A password is a ``SecretStr``: it never shows in a repr."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from erp_app.platform.security import Principal

__all__ = ["LoginRequest", "MeResponse", "RoleName", "UserCreate", "UserOut"]

RoleName = Literal["admin", "user", "viewer"]


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, examples=["admin"])
    # Bounded: argon2 hashes any length, but a megabyte password is a cheap DoS.
    password: SecretStr = Field(min_length=1, max_length=1024)


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
    display_name: str | None = Field(default=None, max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str | None
    roles: list[str]
    is_active: bool
    created_at: datetime

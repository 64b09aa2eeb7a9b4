"""What ``GET /api/system`` answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["PlatformInfo", "SystemInfo"]


class PlatformInfo(BaseModel):
    python: str = Field(examples=["3.11.9"])
    implementation: str = Field(examples=["CPython"])
    system: str = Field(examples=["Linux"])
    release: str
    machine: str


class SystemInfo(BaseModel):
    """The running service: version, uptime, where it runs and how it is configured."""

    version: str
    environment: str
    started_at: str = Field(description="ISO 8601, UTC")
    uptime: float = Field(description="seconds since start")
    pid: int
    platform: PlatformInfo
    database: str = Field(description="sqlite | postgres")
    session_store: str = Field(description="redis | memory: the store serving now")
    configuration: dict[str, Any] = Field(
        description="Every setting by its environment name; every secret shown as ***"
    )

"""The status snapshot: what ``/api/status`` answers and what the page renders.

Every item carries a ``tone`` (``ok``, ``warn``, ``bad`` or ``off``) decided on the server,
so the page's template and its script colour things the same way without a second copy
of the rules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["BreakerOut", "ComponentOut", "ProviderOut", "SessionStoreOut", "StatusOut", "Tone"]

Tone = Literal["ok", "warn", "bad", "off"]


class ComponentOut(BaseModel):
    name: str
    status: Literal["healthy", "degraded", "unhealthy"]
    tone: Tone
    critical: bool
    latency_ms: float | None
    error: str | None = None


class BreakerOut(BaseModel):
    name: str
    state: Literal["closed", "open", "half_open", "forced_open", "forced_closed"]
    tone: Tone
    successful_calls: int
    failed_calls: int
    rejected_calls: int
    consecutive_failures: int
    retry_after: float = Field(description="seconds until a trial call (0 unless open)")


class SessionStoreOut(BaseModel):
    active: str = Field(description="the store serving now: redis or memory")
    tone: Tone
    redis_configured: bool
    failovers: int
    failbacks: int
    sessions: int | None = Field(description="sessions in memory (None while Redis serves)")


class ProviderOut(BaseModel):
    position: int = Field(description="1 is asked first")
    provider: str
    status: Literal["healthy", "degraded", "unavailable"]
    tone: Tone
    latency_ms: float
    error: str | None = None


class StatusOut(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    tone: Tone
    timestamp: str
    version: str
    environment: str
    uptime: float
    components: list[ComponentOut]
    breakers: list[BreakerOut]
    sessions: SessionStoreOut
    ai_overall: Literal["healthy", "degraded", "unavailable"]
    ai_tone: Tone
    providers: list[ProviderOut]

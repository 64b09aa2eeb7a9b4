"""Request and response bodies of the AI routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=8000)
    max_tokens: int = Field(default=256, ge=1, le=4096)


class CompletionResponse(BaseModel):
    text: str
    provider: str
    model: str
    latency_ms: float


class ProviderHealthOut(BaseModel):
    provider: str
    status: Literal["healthy", "degraded", "unavailable"]
    latency_ms: float
    error: str | None = None


class AIHealthResponse(BaseModel):
    overall: Literal["healthy", "degraded", "unavailable"]
    providers: list[ProviderHealthOut]
    timestamp: str


class BestProviderResponse(BaseModel):
    provider: str | None

"""AI routes: complete through the chain; the providers' health in the chain's order."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from erp_app.ai.schemas import (
    AIHealthResponse,
    BestProviderResponse,
    CompletionRequest,
    CompletionResponse,
    ProviderHealthOut,
)
from erp_app.platform.ai import AI
from erp_app.platform.errors import AIProviderError, NotFoundError, error_responses
from erp_app.platform.security import public

# Open to everyone by design (probes, Prometheus, the status page, visitors); declared so.
router = APIRouter(prefix="/api/ai", tags=["ai"], dependencies=[public()])


def _ai(request: Request) -> AI:
    ai: AI = request.app.state.ai
    return ai


@router.post(
    "/complete",
    response_model=CompletionResponse,
    summary="A completion from the first provider that answers",
    responses=error_responses(400, 413, 422, 502),
)
async def complete(body: CompletionRequest, request: Request) -> CompletionResponse:
    """Providers in order openai, ollama, anthropic, fallback; open circuits are skipped."""
    try:
        completion = await _ai(request).complete(body.prompt, body.max_tokens)
    except Exception as exc:  # the local provider makes this rare: every provider failed
        raise AIProviderError(
            "no AI provider could answer", details={"reason": type(exc).__name__}
        ) from exc
    return CompletionResponse(
        text=completion.text,
        provider=completion.provider,
        model=completion.model,
        latency_ms=completion.latency_ms,
    )


@router.get("/health", response_model=AIHealthResponse, summary="Every provider's health")
async def ai_health(request: Request) -> AIHealthResponse:
    report = await _ai(request).chain.check_all()
    return AIHealthResponse(
        overall=report["overall"],
        providers=[ProviderHealthOut(**p) for p in report["providers"]],
        timestamp=datetime.now(UTC).isoformat(),
    )


@router.get(
    "/health/best",
    response_model=BestProviderResponse,
    summary="The first provider that is healthy now",
)
async def best_provider(request: Request) -> BestProviderResponse:
    return BestProviderResponse(provider=await _ai(request).chain.best_available())


@router.get(
    "/health/{provider}",
    response_model=ProviderHealthOut,
    summary="One provider's health",
    responses=error_responses(404),
)
async def provider_health(provider: str, request: Request) -> ProviderHealthOut:
    report = await _ai(request).chain.check_all()
    for entry in report["providers"]:
        if entry["provider"] == provider:
            return ProviderHealthOut(**entry)
    known = [p["provider"] for p in report["providers"]]
    raise NotFoundError(f"no AI provider named {provider!r}", details={"providers": known})

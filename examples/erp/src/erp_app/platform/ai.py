"""The AI provider chain: OpenAI, Ollama, Anthropic, then the local fallback.

Every provider sits behind its own circuit breaker and retry policy (steinresil's AI
adapter); the chain skips open circuits and providers without a key, and the local
provider always answers. Nothing in the app calls a provider except through this chain:
that is the seed document's DO rule, made structural.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import steinresil as sr
from steinresil.adapters.ai import (
    AnthropicProvider,
    Completion,
    LocalProvider,
    OllamaProvider,
    OpenAIProvider,
    ProviderChain,
    is_caller_error,
)
from steinresil.adapters.redis import RedisStateStore

if TYPE_CHECKING:
    from erp_app.config import Settings
    from erp_app.platform.metrics import Metrics

__all__ = ["AI", "build_chain"]


class _OllamaNotConfigured(OllamaProvider):
    """Ollama without ``OLLAMA_BASE_URL``: listed, "unavailable", never called."""

    @property
    def configured(self) -> bool:
        return False


def build_chain(
    settings: Settings, registry: sr.Registry, state_store: sr.CircuitStateStore | None = None
) -> ProviderChain:
    """The four providers in the document's order; with a ``state_store`` (Redis), each
    provider's breaker is shared by every worker: when it opens in one, all skip it."""
    timeout = settings.ai_timeout_seconds

    def breaker(name: str) -> sr.CircuitBreaker:
        return sr.CircuitBreaker(name, ignore=is_caller_error, state_store=state_store)

    openai_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    anthropic_key = (
        settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    )
    ollama: OllamaProvider
    if settings.ollama_base_url:
        ollama = OllamaProvider(
            settings.ollama_base_url,
            settings.ollama_model,
            timeout=timeout,
            breaker=breaker("ollama"),
        )
    else:
        ollama = _OllamaNotConfigured("http://127.0.0.1:11434", settings.ollama_model)
    return ProviderChain(
        [
            OpenAIProvider(
                api_key=openai_key,
                model=settings.openai_model,
                base_url=settings.openai_base_url,
                timeout=timeout,
                breaker=breaker("openai"),
            ),
            ollama,
            AnthropicProvider(
                api_key=anthropic_key,
                model=settings.anthropic_model,
                base_url=settings.anthropic_base_url,
                timeout=timeout,
                breaker=breaker("anthropic"),
            ),
            LocalProvider(),
        ],
        health_cache_ttl=5.0,
        registry=registry,
    )


class AI:
    """The chain plus the app's metrics: which provider answered, how long it took."""

    def __init__(self, settings: Settings, metrics: Metrics, registry: sr.Registry) -> None:
        # With Redis, breakers of one name agree across workers (and hosts): one worker's
        # failures open the circuit for all. Without it each process decides alone.
        self.state_store: RedisStateStore | None = (
            RedisStateStore.from_url(settings.redis_url, namespace="erp")
            if settings.redis_url
            else None
        )
        self.chain = build_chain(settings, registry, self.state_store)
        self._metrics = metrics

    async def complete(self, prompt: str, max_tokens: int) -> Completion:
        try:
            completion = await self.chain.complete(prompt, max_tokens=max_tokens)
        except Exception:
            self._metrics.ai_requests.labels("none", "failed").inc()
            raise
        self._metrics.ai_requests.labels(completion.provider, "answered").inc()
        self._metrics.ai_duration.labels(completion.provider).observe(completion.latency_ms / 1000)
        return completion

    async def health(self) -> sr.ComponentHealth:
        """The chain's roll-up as a health component: the local fallback keeps it up."""
        report = await self.chain.check_all()
        overall = report["overall"]
        status = {
            "healthy": sr.HealthStatus.HEALTHY,
            "degraded": sr.HealthStatus.DEGRADED,
        }.get(overall, sr.HealthStatus.UNHEALTHY)
        serving = [p["provider"] for p in report["providers"] if p["status"] == "healthy"]
        error = None
        if status is not sr.HealthStatus.HEALTHY:
            error = "only " + ", ".join(serving) + " can answer" if serving else "no provider"
        return sr.ComponentHealth(status, details=report, error=error)

    async def aclose(self) -> None:
        try:
            await self.chain.aclose()
        finally:
            if self.state_store is not None:
                self.state_store.close()

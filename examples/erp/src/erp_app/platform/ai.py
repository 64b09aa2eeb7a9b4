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
)

if TYPE_CHECKING:
    from erp_app.config import Settings
    from erp_app.platform.metrics import Metrics

__all__ = ["AI", "build_chain"]


class _OllamaNotConfigured(OllamaProvider):
    """Ollama without ``OLLAMA_BASE_URL``: listed, "unavailable", never called."""

    @property
    def configured(self) -> bool:
        return False


def build_chain(settings: Settings, registry: sr.Registry) -> ProviderChain:
    timeout = settings.ai_timeout_seconds
    openai_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    anthropic_key = (
        settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    )
    ollama: OllamaProvider
    if settings.ollama_base_url:
        ollama = OllamaProvider(settings.ollama_base_url, settings.ollama_model, timeout=timeout)
    else:
        ollama = _OllamaNotConfigured("http://127.0.0.1:11434", settings.ollama_model)
    return ProviderChain(
        [
            OpenAIProvider(
                api_key=openai_key,
                model=settings.openai_model,
                base_url=settings.openai_base_url,
                timeout=timeout,
            ),
            ollama,
            AnthropicProvider(
                api_key=anthropic_key,
                model=settings.anthropic_model,
                base_url=settings.anthropic_base_url,
                timeout=timeout,
            ),
            LocalProvider(),
        ],
        health_cache_ttl=5.0,
        registry=registry,
    )


class AI:
    """The chain plus the app's metrics: which provider answered, how long it took."""

    def __init__(self, settings: Settings, metrics: Metrics, registry: sr.Registry) -> None:
        self.chain = build_chain(settings, registry)
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
        await self.chain.aclose()

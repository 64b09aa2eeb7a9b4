"""Checked by mypy --strict, never run: the AI adapter's public types."""

from __future__ import annotations

from typing import Any, assert_type

import steinresil as sr
from steinresil.adapters.ai import (
    AIProviderError,
    Completion,
    LocalProvider,
    OllamaProvider,
    OpenAIProvider,
    ProviderChain,
    ProviderHealth,
    ProviderStatus,
    overall_status,
)

chain = ProviderChain([OpenAIProvider(api_key=None), OllamaProvider(), LocalProvider()])
assert_type(chain.breaker("openai"), sr.CircuitBreaker)
assert_type(overall_status(["healthy", "degraded"]), ProviderStatus)


async def use() -> None:
    assert_type(await chain.complete("prompt", max_tokens=256), Completion)
    assert_type(await chain.check_all(), dict[str, Any])
    assert_type(await chain.check_providers(), list[ProviderHealth])
    assert_type(await chain.best_available(), str | None)
    async with chain as same:
        assert_type(same, ProviderChain)


error = AIProviderError("openai", "busy", kind="rate_limited", status=429)
assert_type(error.status, int | None)
assert_type(error.retryable, bool)
assert isinstance(error, sr.ResilienceError)

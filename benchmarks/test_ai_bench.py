"""What an open circuit costs a ProviderChain call (API.md: < 1 ms; ERP.md: < 100 ms).

Group ai-open-circuit-async, async calls awaited in one running loop:

- ``plain``: the local fallback's ``attempt`` awaited directly (no chain, no guards).
- ``fallback-only``: ``ProviderChain([LocalProvider()]).complete``: the chain's own cost.
- ``one-open``: openai's circuit open, then the fallback.
- ``three-open``: openai, ollama and anthropic open, then the fallback (the ERP's order).

The difference between ``one-open`` and ``fallback-only`` is what skipping one open
circuit costs. Every socket connect raises while the benchmark runs: a skip never
touches the network.

Run: python -m pytest benchmarks/test_ai_bench.py --benchmark-only
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

import steinresil as sr
from bench_support import ASYNC_BATCH, batch_awaiting
from steinresil.adapters.ai import (
    AnthropicProvider,
    LocalProvider,
    OllamaProvider,
    OpenAIProvider,
    Provider,
    ProviderChain,
)
from steinresil.testing import set_state

UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing must ever connect to it


def _http_providers(count: int) -> list[Provider]:
    makers = [
        lambda: OpenAIProvider(api_key="sk-bench", base_url=UNREACHABLE),
        lambda: OllamaProvider(base_url=UNREACHABLE),
        lambda: AnthropicProvider(api_key="sk-bench", base_url=UNREACHABLE),
    ]
    providers = [make() for make in makers[:count]]
    for provider in providers:
        set_state(provider.breaker, sr.CircuitState.OPEN)
    return providers


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"a skipped provider connected to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.benchmark(group="ai-open-circuit-async")
@pytest.mark.parametrize("case", ["plain", "fallback-only", "one-open", "three-open"])
def test_open_circuit_cost(
    benchmark: Any, case: str, loop: asyncio.AbstractEventLoop, no_sockets: None
) -> None:
    local = LocalProvider()
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    if case == "plain":
        benchmark(batch_awaiting(lambda: local.attempt("hello", 16), loop))
        return
    opened = {"fallback-only": 0, "one-open": 1, "three-open": 3}[case]
    chain = ProviderChain([*_http_providers(opened), local])
    benchmark(batch_awaiting(lambda: chain.complete("hello", max_tokens=16), loop))
    assert chain.last_used == "fallback"
    for provider in chain.providers[:opened]:
        assert provider.breaker.metrics.state is sr.CircuitState.OPEN
    loop.run_until_complete(chain.aclose())

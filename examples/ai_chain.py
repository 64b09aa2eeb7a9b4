"""AI providers in a chain, the way the ERP app wires them; runs with no keys and no network.

Without API keys, OpenAI and Anthropic are "unavailable" and skipped without a socket;
the local fallback answers, and the roll-up says "degraded" (one working provider).
Ollama is left out here because it needs no key: with a server at localhost:11434 it
would be called. In your app, read the keys from the environment instead of ``None``.

Run: python examples/ai_chain.py
"""

from __future__ import annotations

import asyncio
import json

from steinresil.adapters.ai import AnthropicProvider, LocalProvider, OpenAIProvider, ProviderChain


async def main() -> None:
    chain = ProviderChain(
        [
            OpenAIProvider(api_key=None, model="gpt-4o-mini"),  # os.environ.get("OPENAI_API_KEY")
            AnthropicProvider(api_key=None, model="claude-3-5-haiku-latest"),
            LocalProvider(),  # "fallback": rule-based, always healthy
        ]
    )
    async with chain:  # closes the HTTP client the chain made, if it made one
        answer = await chain.complete("Summarize: Invoices are due in 30 days. Fees apply.")
        print(f"{answer.provider} ({answer.model}, {answer.latency_ms:.2f} ms): {answer.text}")

        report = await chain.check_all()
        print(json.dumps(report, indent=2))
        if report["overall"] != "degraded":  # only the fallback works: one healthy
            raise SystemExit(f"expected 'degraded', got {report['overall']!r}")

        print("best available:", await chain.best_available())
        print("openai circuit:", chain.breaker("openai").state.value)


if __name__ == "__main__":
    asyncio.run(main())

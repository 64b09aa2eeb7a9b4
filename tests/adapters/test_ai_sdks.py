"""The official SDKs under steinresil: their errors' Retry-After, and an SDK in a chain.

The SDKs are test-only dependencies; they talk to the same loopback stub server. The
marked sections are included in docs/adapters/ai.md, so the docs show tested code.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

import steinresil as sr
from steinresil.adapters.ai import AIProviderError, LocalProvider, Provider, ProviderChain
from steinresil.testing import FakeClock
from support.ai_stubs import AIStubServer, Reply

pytestmark = pytest.mark.anyio

KEY = "sk-sdk-test-key"


@pytest.fixture
def ai_stub() -> Iterator[AIStubServer]:
    with AIStubServer() as stub:
        stub.openai.api_key = KEY
        stub.anthropic.api_key = KEY
        yield stub


async def test_retry_after_from_reads_openai_rate_limit_error(ai_stub):
    ai_stub.openai.queue(Reply.rate_limited(retry_after="0.05"))
    async with openai.AsyncOpenAI(
        api_key=KEY, base_url=ai_stub.openai.base_url, max_retries=0
    ) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
            )
    assert sr.retry_after_from(caught.value) == 0.05


async def test_retry_after_from_reads_anthropic_rate_limit_error(ai_stub):
    ai_stub.anthropic.queue(Reply.rate_limited(retry_after="2"))
    async with anthropic.AsyncAnthropic(
        api_key=KEY, base_url=ai_stub.anthropic.base_url, max_retries=0
    ) as client:
        with pytest.raises(anthropic.RateLimitError) as caught:
            await client.messages.create(
                model="claude-3-5-haiku-latest",
                max_tokens=10,
                messages=[{"role": "user", "content": "x"}],
            )
    assert sr.retry_after_from(caught.value) == 2.0


async def test_retry_after_from_reads_a_503_from_the_sdk(ai_stub):
    ai_stub.anthropic.queue(Reply.server_error(503, retry_after="1.5"))
    async with anthropic.AsyncAnthropic(
        api_key=KEY, base_url=ai_stub.anthropic.base_url, max_retries=0
    ) as client:
        with pytest.raises(anthropic.InternalServerError) as caught:
            await client.models.list()
    assert sr.retry_after_from(caught.value) == 1.5


# --8<-- [start:sdk_policy]
# The SDK's own retries off (max_retries=0): steinresil decides, once, for every caller.
SDK_RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)


async def ask_openai(client: openai.AsyncOpenAI, policy: sr.RetryPolicy, prompt: str) -> str:
    response = await policy.call_async(
        client.chat.completions.create,
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": prompt}],
        max_tokens=64,
    )
    return response.choices[0].message.content or ""


# --8<-- [end:sdk_policy]


async def test_sdk_wrapped_in_a_policy_waits_what_the_429_asked(ai_stub, clock):
    ai_stub.openai.queue(Reply.rate_limited(retry_after="0.05"), Reply.ok("from the sdk"))
    policy = sr.RetryPolicy(max_retries=3, initial_delay=0.2, retry_on=SDK_RETRYABLE, clock=clock)
    async with openai.AsyncOpenAI(
        api_key=KEY, base_url=ai_stub.openai.base_url, max_retries=0
    ) as client:
        assert await ask_openai(client, policy, "hi") == "from the sdk"
    assert ai_stub.openai.count("/v1/chat/completions") == 2
    assert clock.sleeps == [0.05]  # Retry-After, read from the SDK's error


async def test_sdk_policy_does_not_retry_a_wrong_key(ai_stub, clock):
    policy = sr.RetryPolicy(max_retries=3, retry_on=SDK_RETRYABLE, clock=clock)
    async with openai.AsyncOpenAI(
        api_key="wrong", base_url=ai_stub.openai.base_url, max_retries=0
    ) as client:
        with pytest.raises(openai.AuthenticationError):
            await ask_openai(client, policy, "hi")
    assert ai_stub.openai.count() == 1


# --8<-- [start:sdk_provider]
class OpenAISDKProvider(Provider):
    """The official SDK as a chain provider: SDK errors become ``AIProviderError``."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, **options: object) -> None:
        super().__init__(name="openai-sdk", model=model, **options)  # type: ignore[arg-type]
        self.client = client.with_options(max_retries=0, timeout=self.timeout)

    async def attempt(self, prompt: str, max_tokens: int) -> str:
        try:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "user", "content": prompt}],
                max_tokens=max_tokens,
            )
        except openai.APIStatusError as exc:
            raise AIProviderError.for_status(
                self.name,
                exc.status_code,
                f"HTTP {exc.status_code}",  # not exc.message: it may quote the key
                retry_after=sr.retry_after_from(exc),
            ) from exc
        except openai.APITimeoutError as exc:
            raise AIProviderError(self.name, "timed out", kind="timeout") from exc
        except openai.APIConnectionError as exc:
            raise AIProviderError(self.name, "connection failed", kind="connection") from exc
        text = response.choices[0].message.content
        if text is None:
            raise AIProviderError(self.name, "no message content", kind="malformed")
        return text

    async def probe(self) -> None:
        try:
            await self.client.models.list()
        except openai.APIStatusError as exc:
            raise AIProviderError.for_status(
                self.name, exc.status_code, f"HTTP {exc.status_code}"
            ) from exc


# --8<-- [end:sdk_provider]


async def test_an_sdk_provider_in_a_chain_gets_breaker_and_retries(ai_stub, clock):
    ai_stub.openai.queue(Reply.server_error(500), Reply.ok("sdk answer"))
    async with openai.AsyncOpenAI(api_key=KEY, base_url=ai_stub.openai.base_url) as client:
        provider = OpenAISDKProvider(client, "gpt-4o-mini", clock=clock)
        async with ProviderChain([provider, LocalProvider()]) as chain:
            answer = await chain.complete("hi", max_tokens=12)
            report = await chain.check_all()
    assert (answer.provider, answer.text) == ("openai-sdk", "sdk answer")
    assert ai_stub.openai.count("/v1/chat/completions") == 2
    assert ai_stub.openai.bodies[-1]["max_tokens"] == 12
    assert chain.breaker("openai-sdk").metrics.failed_calls == 1
    assert report["overall"] == "healthy"


async def test_an_sdk_provider_with_a_wrong_key_falls_back_without_retrying(ai_stub):
    clock = FakeClock()
    async with openai.AsyncOpenAI(api_key="wrong", base_url=ai_stub.openai.base_url) as client:
        provider = OpenAISDKProvider(client, "gpt-4o-mini", clock=clock)
        async with ProviderChain([provider, LocalProvider()]) as chain:
            answer = await chain.complete("hi")
            report = await chain.check_all()
    assert answer.provider == "fallback"
    assert ai_stub.openai.count("/v1/chat/completions") == 1
    assert report["providers"][0]["status"] == "unavailable"
    assert "HTTP 401" in report["providers"][0]["error"]
    assert clock.sleeps == []

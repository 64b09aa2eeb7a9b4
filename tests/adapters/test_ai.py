"""steinresil.adapters.ai against real loopback servers that speak each provider's API."""

from __future__ import annotations

import gc
import itertools
import logging
import pickle
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

import steinresil as sr
from steinresil.adapters import ai
from steinresil.adapters.ai import (
    AIProviderError,
    AnthropicProvider,
    Completion,
    LocalProvider,
    OllamaProvider,
    OpenAIProvider,
    Provider,
    ProviderChain,
    ProviderHealth,
    UnknownProviderError,
    is_caller_error,
    is_retryable,
    overall_status,
)
from steinresil.testing import FakeClock
from support.ai_stubs import AIStubServer, Reply

pytestmark = pytest.mark.anyio

KEY = "sk-test-0123456789-secret"


@pytest.fixture
def ai_stub() -> Iterator[AIStubServer]:
    with AIStubServer() as stub:
        stub.openai.api_key = KEY
        stub.anthropic.api_key = KEY
        yield stub


def openai(stub: AIStubServer, clock: FakeClock, **kwargs) -> OpenAIProvider:
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("timeout", 2.0)
    return OpenAIProvider(model="gpt-4o-mini", base_url=stub.openai.base_url, clock=clock, **kwargs)


def anthropic(stub: AIStubServer, clock: FakeClock, **kwargs) -> AnthropicProvider:
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("timeout", 2.0)
    return AnthropicProvider(
        model="claude-3-5-haiku-latest", base_url=stub.anthropic.base_url, clock=clock, **kwargs
    )


def ollama(stub: AIStubServer, clock: FakeClock, **kwargs) -> OllamaProvider:
    kwargs.setdefault("timeout", 2.0)
    return OllamaProvider(base_url=stub.ollama.base_url, model="llama3.2", clock=clock, **kwargs)


def full_chain(stub: AIStubServer, clock: FakeClock) -> ProviderChain:
    """The ERP's order: openai, ollama, anthropic, fallback."""
    return ProviderChain(
        [openai(stub, clock), ollama(stub, clock), anthropic(stub, clock), LocalProvider()]
    )


# ---- each provider speaks its wire format -----------------------------------------------


async def test_openai_answers_with_its_wire_format(ai_stub, clock):
    ai_stub.openai.queue(Reply.ok("hello from openai"))
    async with ProviderChain([openai(ai_stub, clock), LocalProvider()]) as chain:
        answer = await chain.complete("Say hi", max_tokens=17)
    assert answer.text == "hello from openai"
    assert (answer.provider, answer.model) == ("openai", "gpt-4o-mini")
    assert answer.latency_ms > 0
    assert ai_stub.openai.count("/v1/chat/completions") == 1
    body = ai_stub.openai.bodies[0]
    assert body["max_tokens"] == 17
    assert body["messages"] == [{"role": "user", "content": "Say hi"}]
    assert ai_stub.openai.headers[0]["authorization"] == f"Bearer {KEY}"


async def test_openai_can_send_max_completion_tokens(ai_stub, clock):
    provider = openai(ai_stub, clock, max_tokens_field="max_completion_tokens")
    async with ProviderChain([provider]) as chain:
        await chain.complete("x", max_tokens=9)
    assert ai_stub.openai.bodies[0]["max_completion_tokens"] == 9
    assert "max_tokens" not in ai_stub.openai.bodies[0]


async def test_anthropic_answers_with_its_wire_format(ai_stub, clock):
    ai_stub.anthropic.queue(Reply.ok("hello from claude"))
    async with ProviderChain([anthropic(ai_stub, clock)]) as chain:
        answer = await chain.complete("Say hi", max_tokens=33)
    assert (answer.text, answer.provider) == ("hello from claude", "anthropic")
    assert ai_stub.anthropic.count("/v1/messages") == 1
    assert ai_stub.anthropic.bodies[0]["max_tokens"] == 33
    headers = ai_stub.anthropic.headers[0]
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers


async def test_ollama_answers_with_its_wire_format(ai_stub, clock):
    ai_stub.ollama.queue(Reply.ok("hello from llama"))
    async with ProviderChain([ollama(ai_stub, clock)]) as chain:
        answer = await chain.complete("Say hi", max_tokens=5)
    assert (answer.text, answer.provider, answer.model) == (
        "hello from llama",
        "ollama",
        "llama3.2",
    )
    body = ai_stub.ollama.bodies[0]
    assert ai_stub.ollama.count("/api/chat") == 1
    assert body["options"]["num_predict"] == 5
    assert body["stream"] is False


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_openai_base_url_with_or_without_v1(ai_stub, clock, suffix):
    base = ai_stub.url + "/openai" + suffix
    provider = OpenAIProvider(api_key=KEY, base_url=base, clock=clock)
    assert provider.base_url == ai_stub.url + "/openai"
    async with ProviderChain([provider]) as chain:
        await chain.complete("x")
    assert ai_stub.openai.count("/v1/chat/completions") == 1


@pytest.mark.parametrize("suffix", ["", "/v1"])
async def test_anthropic_base_url_with_or_without_v1(ai_stub, clock, suffix):
    provider = AnthropicProvider(api_key=KEY, base_url=ai_stub.anthropic.base_url + suffix)
    async with ProviderChain([provider]) as chain:
        await chain.complete("x")
    assert ai_stub.anthropic.count("/v1/messages") == 1


# ---- retries: what is retried, how often, how long it waits -------------------------------


async def test_429_is_retried_after_exactly_retry_after(ai_stub, clock):
    ai_stub.openai.queue(Reply.rate_limited(retry_after="0.05"), Reply.ok("second try"))
    async with ProviderChain([openai(ai_stub, clock), LocalProvider()]) as chain:
        answer = await chain.complete("x")
    assert (answer.provider, answer.text) == ("openai", "second try")
    assert ai_stub.openai.count("/v1/chat/completions") == 2
    assert clock.sleeps == [0.05]


async def test_503_retry_after_is_honoured_too(ai_stub, clock):
    ai_stub.anthropic.queue(Reply.server_error(503, retry_after="0.25"), Reply.ok())
    async with ProviderChain([anthropic(ai_stub, clock)]) as chain:
        assert (await chain.complete("x")).provider == "anthropic"
    assert clock.sleeps == [0.25]


async def test_retry_after_longer_than_max_delay_moves_on_at_once(ai_stub, clock):
    ai_stub.openai.queue(Reply.rate_limited(retry_after="3600"))
    async with ProviderChain([openai(ai_stub, clock), LocalProvider()]) as chain:
        answer = await chain.complete("x")
    assert answer.provider == "fallback"
    assert ai_stub.openai.count() == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "fault",
    [Reply.server_error(500), Reply.server_error(502), Reply.malformed(), Reply.drop()],
    ids=["500", "502", "malformed-json", "dropped-mid-body"],
)
async def test_provider_faults_are_retried(ai_stub, clock, fault):
    ai_stub.ollama.queue(fault, fault, Reply.ok("third time"))
    async with ProviderChain([ollama(ai_stub, clock), LocalProvider()]) as chain:
        answer = await chain.complete("x")
    assert (answer.provider, answer.text) == ("ollama", "third time")
    assert ai_stub.ollama.count("/api/chat") == 3
    assert len(clock.sleeps) == 2  # backoff between the attempts, on the injected clock


async def test_valid_json_in_the_wrong_shape_is_a_malformed_answer(ai_stub, clock):
    provider = AnthropicProvider(api_key=KEY, base_url=ai_stub.openai.base_url, clock=clock)
    ai_stub.openai.api_key = None  # the OpenAI stub answers Anthropic's path with its shape
    ai_stub.openai.default = Reply.ok()
    async with ProviderChain([provider]) as chain:
        with pytest.raises(sr.AllFallbacksFailedError) as caught:
            await chain.complete("x")
    errors = list(caught.value.exceptions)
    assert isinstance(errors[0], AIProviderError)
    assert errors[0].kind == "malformed"
    assert errors[0].retryable
    assert "content[0].text" in str(errors[0])
    assert ai_stub.openai.count() == 3  # 1 + 2 retries


async def test_slow_provider_times_out_and_is_retried(ai_stub, clock):
    ai_stub.ollama.queue(Reply.slow(2.0), Reply.ok("fast now"))
    provider = ollama(ai_stub, clock, timeout=0.2)
    async with ProviderChain([provider]) as chain:
        started = time.perf_counter()
        answer = await chain.complete("x")
        elapsed = time.perf_counter() - started
    assert answer.text == "fast now"
    assert ai_stub.ollama.count("/api/chat") == 2
    assert elapsed < 1.5  # the slow attempt was abandoned after 0.2 s, not waited out


async def test_timeouts_that_persist_move_on_to_the_next_provider(ai_stub, clock):
    ai_stub.ollama.default = Reply.slow(2.0)
    async with ProviderChain([ollama(ai_stub, clock, timeout=0.1), LocalProvider()]) as chain:
        answer = await chain.complete("x")
    assert answer.provider == "fallback"
    assert chain.breaker("ollama").metrics.failed_calls == 3  # three attempts timed out
    assert 1 <= ai_stub.ollama.wait_for("/api/chat", 3) <= 3


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_other_4xx_is_not_retried_and_not_counted(ai_stub, clock, status):
    ai_stub.openai.default = Reply.error(status)
    async with ProviderChain([openai(ai_stub, clock), LocalProvider()]) as chain:
        answer = await chain.complete("x")
        metrics = chain.breaker("openai").metrics
    assert answer.provider == "fallback"
    assert ai_stub.openai.count() == 1
    assert metrics.failed_calls == 0
    assert clock.sleeps == []


# ---- a wrong key: loud, never retried, never hidden by the circuit ----------------------


async def test_wrong_key_is_a_clear_configuration_error(ai_stub, clock, caplog):
    caplog.set_level(logging.WARNING, logger="steinresil")
    wrong = "sk-wrong-key-987654321"
    provider = openai(ai_stub, clock, api_key=wrong)
    async with ProviderChain([provider]) as chain:
        for _ in range(10):
            with pytest.raises(sr.AllFallbacksFailedError) as caught:
                await chain.complete("x")
        error = caught.value.exceptions[0]
        assert isinstance(error, AIProviderError)
        assert (error.provider, error.status, error.kind) == ("openai", 401, "auth")
        assert not error.retryable
        assert "API key was refused" in str(error)
        assert "OPENAI_API_KEY" in str(error)
        # Ten calls, ten requests: no retries, and the circuit stays closed so the next
        # call still says "wrong key" rather than "circuit open".
        assert ai_stub.openai.count() == 10
        assert chain.breaker("openai").state is sr.CircuitState.CLOSED
        report = await chain.check_all()
    assert report["providers"][0]["status"] == "unavailable"
    assert "API key was refused" in report["providers"][0]["error"]
    logged = [r.getMessage() for r in caplog.records]
    assert len([m for m in logged if "API key was refused" in m]) == 1  # warned once
    for text in [*logged, str(error), repr(error), repr(provider), str(report)]:
        assert wrong not in text
        assert "sk-stub" not in text  # the provider's own message quotes part of the key


async def test_wrong_key_moves_on_to_the_next_provider(ai_stub, clock):
    ai_stub.ollama.queue(Reply.ok("llama"))
    chain = ProviderChain([anthropic(ai_stub, clock, api_key="nope"), ollama(ai_stub, clock)])
    async with chain:
        answer = await chain.complete("x")
    assert answer.provider == "ollama"
    assert ai_stub.anthropic.count() == 1


async def test_a_key_echoed_in_an_error_body_is_scrubbed(ai_stub, clock):
    ai_stub.openai.default = Reply.error(400)
    provider = openai(ai_stub, clock)
    ai_stub.openai.failure = lambda status, message: {"error": {"message": f"bad {KEY} x"}}  # type: ignore[method-assign]
    async with ProviderChain([provider]) as chain:
        with pytest.raises(sr.AllFallbacksFailedError) as caught:
            await chain.complete("x")
    text = str(caught.value.exceptions[0])
    assert KEY not in text
    assert "bad [api key] x" in text


# ---- no key: unavailable, and no socket at all ---------------------------------------


@pytest.fixture
def connects(monkeypatch) -> list[object]:
    """Every socket.connect made while the test runs."""
    seen: list[object] = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


async def test_no_key_never_opens_a_socket(ai_stub, clock, connects):
    chain = ProviderChain(
        [
            openai(ai_stub, clock, api_key=None),
            anthropic(ai_stub, clock, api_key=""),
            LocalProvider(),
        ]
    )
    async with chain:
        answer = await chain.complete("hello")
        report = await chain.check_all()
        best = await chain.best_available()
    assert answer.provider == "fallback"
    assert report == {
        "overall": "degraded",
        "providers": [
            {
                "provider": "openai",
                "status": "unavailable",
                "latency_ms": 0.0,
                "error": "no API key configured",
            },
            {
                "provider": "anthropic",
                "status": "unavailable",
                "latency_ms": 0.0,
                "error": "no API key configured",
            },
            {"provider": "fallback", "status": "healthy", "latency_ms": pytest.approx(0, abs=5)},
        ],
    }
    assert best == "fallback"
    assert ai_stub.connections == 0
    assert connects == []


async def test_without_keys_the_chain_names_every_skip(clock):
    chain = ProviderChain([OpenAIProvider(), AnthropicProvider()])
    async with chain:
        with pytest.raises(sr.AllFallbacksFailedError) as caught:
            await chain.complete("x")
    assert caught.value.entry_names == ("openai", "anthropic")
    assert all(isinstance(e, sr.EntryUnavailableError) for e in caught.value.exceptions)
    assert "no API key configured" in str(caught.value)


# ---- the chain: order, skips, open circuits --------------------------------------------


async def test_chain_serves_from_the_first_provider_that_answers(ai_stub, clock):
    ai_stub.openai.default = Reply.server_error(500)
    ai_stub.ollama.default = Reply.drop()
    ai_stub.anthropic.queue(Reply.ok("claude here"))
    async with full_chain(ai_stub, clock) as chain:
        answer = await chain.complete("x")
    assert (answer.provider, answer.text) == ("anthropic", "claude here")
    assert chain.last_used == "anthropic"
    assert ai_stub.openai.count() == 3
    assert ai_stub.ollama.count() == 3
    assert ai_stub.anthropic.count() == 1


async def test_everything_down_ends_with_the_local_fallback(ai_stub, clock):
    for stub in (ai_stub.openai, ai_stub.anthropic, ai_stub.ollama):
        stub.default = Reply.server_error(503)
    async with full_chain(ai_stub, clock) as chain:
        answer = await chain.complete("What is our revenue?")
    assert answer.provider == "fallback"
    assert answer.text.startswith("[fallback]")
    assert "unavailable" in answer.text


async def test_failures_open_the_circuit_and_then_cost_no_request(ai_stub, clock):
    ai_stub.openai.default = Reply.server_error(500)
    async with ProviderChain([openai(ai_stub, clock), LocalProvider()]) as chain:
        await chain.complete("x")  # 3 failed attempts
        await chain.complete("x")  # 2 more: the 5th opens the circuit mid-retry
        assert chain.breaker("openai").state is sr.CircuitState.OPEN
        seen = ai_stub.openai.count()
        assert seen == 5
        for _ in range(20):
            assert (await chain.complete("x")).provider == "fallback"
        assert ai_stub.openai.count() == seen
        report = await chain.check_all()
    # The probe (GET /v1/models) also fails (500), so it is unavailable, not degraded.
    assert report["providers"][0]["status"] == "unavailable"


async def test_open_circuit_is_skipped_without_a_socket_and_in_under_a_millisecond(
    ai_stub, clock, connects
):
    chain = ProviderChain([openai(ai_stub, clock), LocalProvider()])
    chain.breaker("openai").force_open()
    async with chain:
        await chain.complete("warm up")
        rounds = 500
        started = time.perf_counter()
        for _ in range(rounds):
            answer = await chain.complete("x")
        per_call = (time.perf_counter() - started) / rounds
    assert answer.provider == "fallback"
    assert ai_stub.openai.count() == 0
    assert connects == []
    # Typically ~30 us on this machine (see benchmarks/test_ai_bench.py); the bound is
    # generous because the suite shares the machine.
    assert per_call < 0.001


async def test_half_open_lets_one_trial_through_and_closes_on_success(ai_stub, clock):
    async with ProviderChain([openai(ai_stub, clock), LocalProvider()]) as chain:
        breaker = chain.breaker("openai")
        breaker.force_closed()
        breaker.reset()
        sr.testing.set_state(breaker, sr.CircuitState.OPEN)
        assert (await chain.complete("x")).provider == "fallback"
        clock.advance(breaker.reset_timeout)
        assert (await chain.complete("x")).provider == "openai"
        assert (await chain.complete("x")).provider == "openai"
        assert breaker.state is sr.CircuitState.CLOSED


# ---- health: check_all, the roll-up, best_available -----------------------------------


@pytest.mark.parametrize(
    ("statuses", "overall"),
    [
        ((), "unavailable"),
        (("unavailable",), "unavailable"),
        (("unavailable", "unavailable"), "unavailable"),
        (("degraded",), "degraded"),
        (("healthy",), "degraded"),
        (("healthy", "unavailable", "unavailable"), "degraded"),
        (("degraded", "degraded", "unavailable"), "degraded"),
        (("healthy", "degraded"), "degraded"),
        (("healthy", "healthy"), "healthy"),
        (("unavailable", "healthy", "unavailable", "healthy"), "healthy"),
        (("healthy", "healthy", "healthy", "healthy"), "healthy"),
    ],
)
def test_overall_status_rolls_up_as_documented(statuses, overall):
    assert overall_status(statuses) == overall


STATE_SETUP = {
    "healthy": Reply.ok(),
    "degraded": Reply.rate_limited(retry_after="1"),  # up, key fine, only busy
    "unavailable": Reply.server_error(500),
}


@pytest.mark.parametrize(
    ("openai_state", "ollama_state", "anthropic_state"),
    list(itertools.product(STATE_SETUP, repeat=3)),
)
async def test_check_all_for_every_mix_of_states(
    ai_stub, clock, openai_state, ollama_state, anthropic_state
):
    ai_stub.openai.default = STATE_SETUP[openai_state]
    ai_stub.ollama.default = STATE_SETUP[ollama_state]
    ai_stub.anthropic.default = STATE_SETUP[anthropic_state]
    async with full_chain(ai_stub, clock) as chain:
        report = await chain.check_all()
    states = [openai_state, ollama_state, anthropic_state, "healthy"]
    assert [p["status"] for p in report["providers"]] == states
    assert [p["provider"] for p in report["providers"]] == [
        "openai",
        "ollama",
        "anthropic",
        "fallback",
    ]
    healthy = states.count("healthy")
    expected = "healthy" if healthy >= 2 else "degraded"  # the fallback is always healthy
    assert report["overall"] == expected
    for part in report["providers"]:
        assert ("error" in part) == (part["status"] != "healthy")
        assert part["latency_ms"] >= 0


async def test_check_all_without_fallback_can_be_unavailable(ai_stub, clock):
    ai_stub.ollama.default = Reply.server_error(500)
    async with ProviderChain([openai(ai_stub, clock, api_key=None), ollama(ai_stub, clock)]) as c:
        report = await c.check_all()
        best = await c.best_available()
    assert report["overall"] == "unavailable"
    assert best is None


async def test_probes_use_each_api_health_endpoint(ai_stub, clock):
    async with full_chain(ai_stub, clock) as chain:
        report = await chain.check_all()
    assert report["overall"] == "healthy"
    assert ai_stub.openai.count("/v1/models") == 1
    assert ai_stub.anthropic.count("/v1/models") == 1
    assert ai_stub.ollama.count("/api/tags") == 1
    assert ai_stub.anthropic.headers[0]["x-api-key"] == KEY  # authenticated, and free


async def test_health_checks_run_concurrently_each_within_its_timeout(ai_stub, clock):
    for stub in (ai_stub.openai, ai_stub.anthropic, ai_stub.ollama):
        stub.default = Reply.slow(1.5)
    chain = ProviderChain(
        [openai(ai_stub, clock), ollama(ai_stub, clock), anthropic(ai_stub, clock)],
        health_timeout=0.3,
    )
    async with chain:
        started = time.perf_counter()
        report = await chain.check_all()
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # three 0.3 s timeouts side by side, not one after another
    assert report["overall"] == "unavailable"
    for part in report["providers"]:
        assert part["status"] == "unavailable"
        assert "0.3 s" in part["error"]


async def test_open_circuit_with_a_working_probe_is_degraded(ai_stub, clock):
    async with full_chain(ai_stub, clock) as chain:
        chain.breaker("ollama").force_open()
        report = await chain.check_all()
        best = await chain.best_available()
    ollama_part = report["providers"][1]
    assert ollama_part["status"] == "degraded"
    assert "circuit" in ollama_part["error"]
    assert best == "openai"


async def test_best_available_is_the_first_healthy_in_order(ai_stub, clock):
    ai_stub.openai.default = Reply.server_error(500)
    async with full_chain(ai_stub, clock) as chain:
        assert await chain.best_available() == "ollama"
        ai_stub.ollama.default = Reply.rate_limited()
        assert await chain.best_available() == "anthropic"
        ai_stub.anthropic.default = Reply.unauthorized()
        assert await chain.best_available() == "fallback"


async def test_ollama_without_the_model_pulled_is_unavailable(ai_stub, clock):
    ai_stub.ollama.models = ["mistral:latest", "qwen2:7b"]
    async with ProviderChain([ollama(ai_stub, clock)]) as chain:
        (health,) = await chain.check_providers()
    assert health.status == "unavailable"
    assert "'llama3.2' is not pulled" in (health.error or "")
    assert "mistral:latest" in (health.error or "")


async def test_provider_health_to_dict_leaves_out_a_missing_error():
    assert ProviderHealth("x", "healthy", 1.5).to_dict() == {
        "provider": "x",
        "status": "healthy",
        "latency_ms": 1.5,
    }


# ---- the shared HTTP client -------------------------------------------------------------


async def test_providers_share_one_client_and_one_connection(ai_stub, clock):
    async with full_chain(ai_stub, clock) as chain:
        for stub in (ai_stub.openai, ai_stub.ollama):
            stub.default = Reply.server_error(500)
        for _ in range(3):
            await chain.complete("x")
        await chain.check_all()  # concurrent probes may need a few more
        sequential = ai_stub.connections
    assert sequential <= 4
    assert ai_stub.openai.count() + ai_stub.anthropic.count() + ai_stub.ollama.count() > 10


async def test_a_given_client_is_used_and_left_open(ai_stub, clock):
    async with httpx.AsyncClient() as client:
        async with ProviderChain([ollama(ai_stub, clock)], client=client) as chain:
            await chain.complete("x")
        assert not client.is_closed
        response = await client.get(ai_stub.ollama.base_url + "/api/tags")
        assert response.status_code == 200


async def test_aclose_closes_the_client_the_chain_made(ai_stub, clock):
    chain = ProviderChain([ollama(ai_stub, clock)])
    await chain.complete("x")
    made = chain._clients._made
    assert made is not None
    await chain.aclose()
    assert made.is_closed
    await chain.aclose()  # twice is fine


async def test_a_provider_with_its_own_client_keeps_it(ai_stub, clock):
    async with httpx.AsyncClient() as client:
        provider = ollama(ai_stub, clock, client=client)
        async with ProviderChain([provider]) as chain:
            await chain.complete("x")
        assert chain._clients._made is None
        assert not client.is_closed


# ---- the local fallback -----------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    ["hello", "Summarize: The cat sat. Then it left.", "What is 2+2?", "Write a poem"],
)
async def test_local_provider_is_deterministic_and_says_it_is_the_fallback(prompt):
    async with ProviderChain([LocalProvider()]) as chain:
        first = await chain.complete(prompt)
        second = await chain.complete(prompt)
        (health,) = await chain.check_providers()
    assert first.text == second.text
    assert first.text.startswith("[fallback] ")
    assert (first.provider, first.model) == ("fallback", "rules")
    assert health.status == "healthy"


async def test_local_provider_honours_max_tokens():
    async with ProviderChain([LocalProvider()]) as chain:
        answer = await chain.complete("Write a long essay", max_tokens=3)
    assert len(answer.text.split()) == 3


async def test_summary_rule_quotes_the_first_sentence():
    async with ProviderChain([LocalProvider()]) as chain:
        answer = await chain.complete("Summarize: The cat sat. Then it left.")
    assert answer.text.endswith(": The cat sat.")
    assert "Summarize" not in answer.text
    assert "Then it left" not in answer.text


# ---- bad input: clear errors naming the field and the value -------------------------


@pytest.mark.parametrize(
    ("prompt", "max_tokens", "field"),
    [
        ("", 10, "prompt"),
        ("   ", 10, "prompt"),
        (None, 10, "prompt"),
        ("x", 0, "max_tokens"),
        ("x", -5, "max_tokens"),
        ("x", True, "max_tokens"),
        ("x", 2.5, "max_tokens"),
    ],
)
async def test_complete_refuses_bad_input(prompt, max_tokens, field):
    async with ProviderChain([LocalProvider()]) as chain:
        with pytest.raises(ValueError, match=field) as caught:
            await chain.complete(prompt, max_tokens=max_tokens)
    assert repr(max_tokens if field == "max_tokens" else prompt) in str(caught.value)


@pytest.mark.parametrize(
    "base_url",
    ["", "localhost:11434", "ftp://example.com", "http://", "http://host:port", "https://x?y=1"],
)
def test_bad_base_url_is_refused_at_construction(base_url):
    for make in (
        lambda: OpenAIProvider(api_key=KEY, base_url=base_url),
        lambda: AnthropicProvider(api_key=KEY, base_url=base_url),
        lambda: OllamaProvider(base_url=base_url),
    ):
        with pytest.raises(ValueError, match="base_url") as caught:
            make()
        assert repr(base_url) in str(caught.value)


def test_bad_settings_are_refused_and_never_echo_a_key():
    with pytest.raises(ValueError, match="timeout"):
        OllamaProvider(timeout=0)
    with pytest.raises(ValueError, match="model"):
        OpenAIProvider(model="")
    with pytest.raises(ValueError, match="max_tokens_field"):
        OpenAIProvider(max_tokens_field="tokens")
    with pytest.raises(ValueError, match="api_key must be a string") as caught:
        OpenAIProvider(api_key=b"sk-bytes-secret")  # type: ignore[arg-type]
    assert "sk-bytes-secret" not in str(caught.value)
    with pytest.raises(ValueError, match="breaker"):
        LocalProvider(breaker="x")  # type: ignore[arg-type]


def test_chain_refuses_bad_providers():
    with pytest.raises(ValueError, match="at least one"):
        ProviderChain([])
    with pytest.raises(ValueError, match=r"providers\[1\]"):
        ProviderChain([LocalProvider(), "openai"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'fallback' is taken"):
        ProviderChain([LocalProvider(), LocalProvider()])
    with pytest.raises(ValueError, match="health_timeout"):
        ProviderChain([LocalProvider()], health_timeout=-1)


def test_breaker_by_name():
    local = LocalProvider()
    chain = ProviderChain([OpenAIProvider(), local])
    assert chain.breaker("fallback") is local.breaker
    assert chain.breaker("openai").name == "openai"
    with pytest.raises(UnknownProviderError, match="'gpt'") as caught:
        chain.breaker("gpt")
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, ValueError)
    assert "'openai', 'fallback'" in str(caught.value)


def test_repr_shows_no_key():
    provider = OpenAIProvider(api_key=KEY)
    assert KEY not in repr(provider)
    assert "openai" in repr(provider)
    assert "fallback" in repr(ProviderChain([provider, LocalProvider()]))


# ---- the pieces on their own ------------------------------------------------------------


def test_error_is_a_resilience_error_that_retry_after_from_reads():
    error = AIProviderError("openai", "busy", kind="rate_limited", status=429, retry_after=1.5)
    assert isinstance(error, sr.ResilienceError)
    assert sr.retry_after_from(error) == 1.5
    assert is_retryable(error)
    assert not is_retryable(AIProviderError("openai", "no", kind="auth", status=401))
    assert not is_retryable(ValueError())
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.provider, copy.status, copy.kind, copy.retry_after) == (
        "openai",
        429,
        "rate_limited",
        1.5,
    )
    assert str(copy) == "AI provider 'openai': busy"


def test_completion_is_a_frozen_value():
    answer = Completion("hi", "fallback", "rules", 0.1)
    with pytest.raises(AttributeError):
        answer.text = "changed"  # type: ignore[misc]


class _Flaky(Provider):
    """A custom provider: fails with a provider fault ``failures`` times, then answers."""

    def __init__(self, failures: int, clock: FakeClock) -> None:
        super().__init__(name="flaky", model="m", clock=clock)
        self.failures = failures
        self.calls = 0

    async def attempt(self, prompt: str, max_tokens: int) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise AIProviderError(self.name, "overloaded", kind="server", status=529)
        return prompt.upper()

    async def probe(self) -> None:
        return None


async def test_a_custom_provider_gets_the_same_guards(clock):
    flaky = _Flaky(2, clock)
    async with ProviderChain([flaky, LocalProvider()], registry=sr.Registry()) as chain:
        answer = await chain.complete("abc")
    assert (answer.text, answer.provider) == ("ABC", "flaky")
    assert flaky.calls == 3
    assert chain.breaker("flaky").metrics.failed_calls == 2


async def test_health_cache_reuses_probes_but_reads_the_circuit_fresh(ai_stub, clock):
    chain = ProviderChain([ollama(ai_stub, clock)], health_cache_ttl=5.0, clock=clock)
    async with chain:
        assert (await chain.check_all())["overall"] == "degraded"  # one healthy provider
        ai_stub.ollama.default = Reply.server_error(500)
        (cached,) = await chain.check_providers()
        assert cached.status == "healthy"
        assert ai_stub.ollama.count("/api/tags") == 1
        chain.breaker("ollama").force_open()
        (opened,) = await chain.check_providers()
        assert opened.status == "degraded"
        chain.breaker("ollama").reset()
        clock.advance(5.0)
        (fresh,) = await chain.check_providers()
    assert fresh.status == "unavailable"
    assert ai_stub.ollama.count("/api/tags") == 2


def test_default_guards_sort_errors_by_kind():
    provider = LocalProvider()
    auth = AIProviderError("x", "no", kind="auth", status=401)
    server = AIProviderError("x", "down", kind="server", status=500)
    assert is_caller_error(auth)
    assert not is_caller_error(server)
    assert not is_caller_error(ValueError())
    assert provider.retry.retry_on is is_retryable
    kinds = {
        status: AIProviderError.for_status("x", status, "m").kind
        for status in (400, 401, 403, 404, 408, 429, 500, 529)
    }
    assert kinds == {
        400: "rejected",
        401: "auth",
        403: "auth",
        404: "rejected",
        408: "timeout",
        429: "rate_limited",
        500: "server",
        529: "server",
    }


def test_public_names_are_sorted_and_resolve():
    assert list(ai.__all__) == sorted(set(ai.__all__))
    for name in ai.__all__:
        assert getattr(ai, name) is not None
    public = {
        name
        for name, value in vars(ai).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("steinresil.")
    }
    assert public <= set(ai.__all__)


# Connections left behind on the first loop are reported when collected: that is the
# truth about sharing a chain across loops, not a failure of this test.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_chain_used_from_one_loop_after_another_keeps_working(ai_stub):
    import asyncio  # noqa: PLC0415 - this test drives loops by hand

    import trio  # noqa: PLC0415

    def on_asyncio(fn, *args):
        return asyncio.run(fn(*args))

    chain = ProviderChain([OllamaProvider(base_url=ai_stub.ollama.base_url), LocalProvider()])
    for run in (on_asyncio, on_asyncio, trio.run):
        assert run(chain.complete, "x").provider == "ollama"
        assert run(chain.check_all)["overall"] == "healthy"
    trio.run(chain.aclose)
    asyncio.run(chain.aclose())  # from another loop: nothing left to close, no error
    assert ai_stub.ollama.count() == 6
    del chain
    gc.collect()  # the first loops' connections are reported here, not in a later test


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("fault", "expected"),  # expected: (kind, status, attempts)
    [
        (Reply.server_error(500), ("server", 500, 3)),
        (Reply.rate_limited(retry_after="0"), ("rate_limited", 429, 3)),
        (Reply.malformed(), ("malformed", 200, 3)),
        (Reply.drop(), ("connection", None, 3)),
        (Reply.slow(1.0), ("timeout", None, 3)),
        (Reply.unauthorized(), ("auth", 401, 1)),
        (Reply.error(404), ("rejected", 404, 1)),
    ],
    ids=["500", "429", "malformed", "drop", "slow", "401", "404"],
)
async def test_each_fault_reaches_the_caller_as_its_kind(ai_stub, clock, fault, expected):
    kind, status, attempts = expected
    ai_stub.anthropic.default = fault
    provider = anthropic(ai_stub, clock, timeout=0.15)
    async with ProviderChain([provider]) as chain:
        with pytest.raises(sr.AllFallbacksFailedError) as caught:
            await chain.complete("x")
    (error,) = caught.value.exceptions
    assert isinstance(error, AIProviderError)
    assert (error.provider, error.kind, error.status) == ("anthropic", kind, status)
    counted = chain.breaker("anthropic").metrics.failed_calls
    assert counted == (attempts if error.retryable else 0)
    if kind != "timeout":  # an abandoned request may not have reached a busy server yet
        assert ai_stub.anthropic.count("/v1/messages") == attempts
    assert KEY not in str(error)


async def test_connection_refused_is_retried_then_moves_on(clock):
    port = _free_port()  # nothing listens there any more
    provider = OllamaProvider(base_url=f"http://127.0.0.1:{port}", clock=clock)
    async with ProviderChain([provider, LocalProvider()]) as chain:
        answer = await chain.complete("x")
        (health,) = (await chain.check_providers())[:1]
    assert answer.provider == "fallback"
    assert chain.breaker("ollama").metrics.failed_calls == 3
    assert len(clock.sleeps) == 2
    assert health.status == "unavailable"
    assert "GET /api/tags" in (health.error or "")


async def test_many_concurrent_calls_share_the_pool(ai_stub, clock):
    from steinresil._tasks import gather  # noqa: PLC0415 - runs on asyncio and trio alike

    ai_stub.ollama.default = Reply.ok("ok", delay=0.05)
    async with ProviderChain([ollama(ai_stub, clock), LocalProvider()]) as chain:
        answers = await gather([lambda: chain.complete("x") for _ in range(40)])
    assert {a.provider for a in answers} == {"ollama"}
    assert ai_stub.ollama.count("/api/chat") == 40

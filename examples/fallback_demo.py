"""An AI provider chain, openai -> ollama -> anthropic -> local, as the ERP app uses it.

Run: python examples/fallback_demo.py
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import steinresil as sr
from steinresil.testing import FakeClock

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

clock = FakeClock()  # so the demo does not wait; use the default clock in real code
down: set[str] = {"openai"}
api_keys = {"openai": "sk-...", "ollama": "", "anthropic": "sk-ant-..."}
events: list[str] = []


def provider(name: str) -> Callable[[str], Awaitable[str]]:
    async def complete(prompt: str) -> str:
        await asyncio.sleep(0)
        if name in down:
            raise ConnectionError(f"{name} is unreachable")
        return f"[{name}] answer to {prompt!r}"

    complete.__name__ = name
    return complete


def describe(event: sr.FallbackEvent) -> str:
    match event:
        case sr.EntrySkipped(entry=entry, reason=reason, detail=detail):
            return f"skipped {entry} ({reason.value}): {detail}"
        case sr.EntryFailed(entry=entry, error=error):
            return f"{entry} failed: {error!r}"
        case sr.FallbackUsed(entry=entry, passed_over=passed_over):
            return f"fallback used: {entry}, after {', '.join(passed_over)}"
        case _:
            return repr(event)


def has_key(name: str) -> Callable[[], bool]:
    return lambda: bool(api_keys[name])


async def local(prompt: str) -> str:
    return f"[local] canned answer to {prompt!r}"


breakers = {
    name: sr.CircuitBreaker(name, failure_threshold=2, reset_timeout=30.0, clock=clock)
    for name in ("openai", "ollama", "anthropic")
}
chain = sr.FallbackChain(
    [
        sr.Fallback(provider("openai"), breaker=breakers["openai"], health=has_key("openai")),
        sr.Fallback(provider("ollama"), breaker=breakers["ollama"], health=has_key("ollama")),
        sr.Fallback(
            provider("anthropic"), breaker=breakers["anthropic"], health=has_key("anthropic")
        ),
        sr.Fallback(local, last_resort=True),
    ],
    name="ai",
    when=(ConnectionError, TimeoutError),
    listeners=[lambda event: events.append(describe(event))],
)


async def ask(prompt: str) -> None:
    events.clear()
    answer = await chain.call_async(prompt)
    print(f"  {answer}  (served by {chain.last_used})")
    for event in events:
        print(f"    {event}")


async def main() -> None:
    print("openai is down, ollama has no key: anthropic answers")
    await ask("invoice total?")
    await ask("due date?")
    print(f"openai's circuit is now {breakers['openai'].state.value}: it is skipped, not called")
    await ask("customer name?")

    print("anthropic goes down too: the local provider is the last resort")
    down.add("anthropic")
    await ask("stock level?")

    print("30 s later openai is back: its circuit lets a trial call through")
    down.discard("openai")
    clock.advance(30.0)
    await ask("order status?")
    best = await chain.best_available_async()
    print(f"best available now: {best.name if best else None}")

    print("hedging: a slow primary gets company after 0.5 s; the first answer wins")
    slow_release = asyncio.Event()

    async def slow(_prompt: str) -> str:
        await slow_release.wait()
        return "slow"

    hedged = sr.FallbackChain([slow, local], name="hedged", hedge_after=0.5, clock=clock)
    print(f"  {await hedged.call_async('hello')}  (served by {hedged.last_used})")

    print("nothing answers: one error holds every cause")
    strict = sr.FallbackChain([provider("openai"), provider("anthropic")], name="strict")
    down.update({"openai", "anthropic"})
    try:
        await strict.call_async("anything")
    except sr.AllFallbacksFailedError as error:
        print(f"  {error}")
        for name, cause in error.by_entry.items():
            print(f"    {name}: {cause!r}")

    if chain.last_used != "openai" or hedged.last_used != "local":
        raise SystemExit("the demo did not go as described")


asyncio.run(main())

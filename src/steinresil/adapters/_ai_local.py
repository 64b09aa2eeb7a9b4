"""The provider that cannot fail: a few rules, no network, the same answer every time."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from steinresil.adapters._ai_base import Provider

if TYPE_CHECKING:
    from steinresil._breaker import CircuitBreaker
    from steinresil._clock import Clock
    from steinresil._retry import RetryPolicy

__all__ = ["LocalProvider"]

PREFIX = "[fallback]"
"""Every answer starts with this, so nobody mistakes it for a model's."""

_WORDS = re.compile(r"\w+", re.UNICODE)
_GREETINGS = frozenset({"hi", "hello", "hey", "hallo", "moin", "servus", "guten"})
_SUMMARY = ("summar", "zusammenfass", "tl;dr", "tldr")


def _rule_based_answer(prompt: str) -> str:
    text = " ".join(prompt.split())
    words = [word.lower() for word in _WORDS.findall(text)]
    lowered = text.lower()
    if words and words[0] in _GREETINGS:
        return "Hello. The AI providers are unavailable, so only simple answers are possible."
    if any(marker in lowered for marker in _SUMMARY):
        head, colon, rest = text.partition(":")
        if colon and rest.strip() and any(marker in head.lower() for marker in _SUMMARY):
            text = rest.strip()  # "Summarize: <text>": the instruction is not the text
        first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
        return f"The AI providers are unavailable; the first sentence of the text is: {first}"
    if text.endswith("?"):
        return (
            "The AI providers are unavailable, so this question cannot be answered now. "
            "Please try again later."
        )
    return (
        f"The AI providers are unavailable; your request ({len(words)} words) was received "
        "but cannot be processed now. Please try again later."
    )


class LocalProvider(Provider):
    """Named "fallback": rule-based, deterministic, no network, always healthy.

    Every answer starts with ``[fallback]`` and says that the AI providers are
    unavailable; it is cut to ``max_tokens`` words (a word stands in for a token).
    Put it last in a ``ProviderChain`` so the chain always answers.
    """

    def __init__(
        self,
        *,
        name: str = "fallback",
        model: str = "rules",
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(name=name, model=model, breaker=breaker, retry=retry, clock=clock)

    async def attempt(self, prompt: str, max_tokens: int) -> str:
        words = f"{PREFIX} {_rule_based_answer(prompt)}".split(" ")
        return " ".join(words[:max_tokens])

    async def probe(self) -> None:
        return None

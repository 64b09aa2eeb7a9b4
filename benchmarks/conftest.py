"""Shared pieces for the side-by-side benchmarks.

Every group has a ``plain`` case (the bare call) measured in the same run, so results are
read as overhead over plain and as ratios between libraries, never as absolute times.
Async cases await ``ASYNC_BATCH`` calls per round inside one running loop; the report
divides by ``extra_info["calls_per_round"]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

ASYNC_BATCH = 1000


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def batch_awaiting(
    fn: Callable[[], Awaitable[Any]], loop: asyncio.AbstractEventLoop
) -> Callable[[], None]:
    """A sync callable that awaits ``fn()`` ASYNC_BATCH times on ``loop``."""

    async def batch() -> None:
        for _ in range(ASYNC_BATCH):
            await fn()

    return lambda: loop.run_until_complete(batch())


def swallowing(
    fn: Callable[[], Any], error: type[BaseException] | tuple[type[BaseException], ...]
) -> Callable[[], None]:
    """Call ``fn`` and swallow ``error``: the cost of a rejected call as a caller sees it."""

    def run() -> None:
        try:
            fn()
        except error:
            pass

    return run

"""Shared pieces for the side-by-side benchmarks.

Every group has a ``plain`` case (the bare call) measured in the same run, so results are
read as overhead over plain and as ratios between libraries, never as absolute times.
Async cases await ``ASYNC_BATCH`` calls per round inside one running loop; the report
divides by ``extra_info["calls_per_round"]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()

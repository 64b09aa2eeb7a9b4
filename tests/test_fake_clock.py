"""``FakeClock``'s async sleeps jump time to the earliest sleeper, as trio's MockClock does."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from steinresil.testing import FakeClock


@pytest.mark.anyio
async def test_concurrent_sleeps_take_the_longest_not_the_sum() -> None:
    clock = FakeClock()
    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(clock.sleep_async, 1.0)
    assert clock.monotonic() == 1.0
    assert clock.sleeps == [1.0] * 100


@pytest.mark.anyio
async def test_sleepers_wake_in_the_order_of_their_wake_up_times() -> None:
    clock = FakeClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep_async(seconds)
        woke.append((name, clock.monotonic()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper, "slow", 2.0)
        tg.start_soon(sleeper, "quick", 0.5)
        tg.start_soon(sleeper, "middle", 1.0)
    assert woke == [("quick", 0.5), ("middle", 1.0), ("slow", 2.0)]


@pytest.mark.anyio
async def test_sleeps_in_one_task_add_up() -> None:
    clock = FakeClock(start=10.0)
    await clock.sleep_async(1.0)
    await clock.sleep_async(2.5)
    await clock.sleep_async(0)
    assert clock.monotonic() == 13.5


@pytest.mark.anyio
async def test_a_cancelled_sleeper_does_not_hold_time_back() -> None:
    clock = FakeClock()
    async with anyio.create_task_group() as tg:
        with anyio.CancelScope() as scope:
            scope.cancel()
            await clock.sleep_async(0.1)  # cancelled at once: never the earliest again
        tg.start_soon(clock.sleep_async, 5.0)
    assert clock.monotonic() == 5.0


@pytest.mark.anyio
async def test_advance_wakes_a_sleeper_whose_time_has_come() -> None:
    clock = FakeClock()
    woke = anyio.Event()

    async def sleeper() -> None:
        await clock.sleep_async(30.0)
        woke.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper)
        while not clock.sleeps:  # until the sleep has begun
            await anyio.lowlevel.checkpoint()
        clock.advance(30.0)
        await woke.wait()
    assert clock.monotonic() == 30.0


def test_sync_sleeps_add_their_seconds() -> None:
    clock = FakeClock()
    clock.sleep(1.0)
    clock.sleep(2.0)
    assert clock.monotonic() == 3.0
    assert clock.slept == 3.0

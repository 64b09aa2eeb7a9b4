"""One policy, many threads and tasks: no call sees another call's attempts or delays.

tenacity#93 and #701 are the bugs these guard against: per-call state kept on a shared
object, so concurrent calls mixed up their attempt counts and waits.
"""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


class PerCallClock(FakeClock):
    """Records which thread asked for each sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.by_thread: dict[int, list[float]] = {}

    def sleep(self, seconds: float) -> None:
        self.by_thread.setdefault(threading.get_ident(), []).append(seconds)
        super().sleep(seconds)


THREADS = 8
CALLS_PER_THREAD = 200


@pytest.mark.parametrize("style", ["call", "decorator", "iteration"])
def test_threads_share_one_policy(style: str) -> None:
    clock = PerCallClock()
    policy = sr.RetryPolicy(4, initial_delay=1, max_delay=100, clock=clock)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def one_call(failures: int) -> int:
        attempts = 0

        def fn() -> int:
            nonlocal attempts
            attempts += 1
            if attempts <= failures:
                raise Boom
            return attempts

        if style == "call":
            return policy.call(fn)
        if style == "decorator":
            return policy(fn)()
        for attempt in policy:
            with attempt:
                result = fn()
        return result

    def worker(index: int) -> None:
        start.wait()
        try:
            for n in range(CALLS_PER_THREAD):
                failures = (index + n) % 4
                assert one_call(failures) == failures + 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Every thread's sleeps are whole sequences 1, 2, 4 cut short: never another call's.
    for sleeps in clock.by_thread.values():
        expected_next = 1.0
        for seconds in sleeps:
            assert seconds in {1.0, expected_next}
            expected_next = seconds * 2
    total = THREADS * CALLS_PER_THREAD
    m = policy.metrics
    assert m.calls == total
    assert m.successful_calls - m.successful_calls_after_retry == total // 4
    assert m.retries == sum(((i + n) % 4) for i in range(THREADS) for n in range(CALLS_PER_THREAD))
    assert m.failed_calls == 0


def test_threads_exhausting_retries_each_get_their_own_last_error() -> None:
    policy = sr.RetryPolicy(3, initial_delay=0, max_delay=0)
    start = threading.Barrier(THREADS)
    seen: dict[int, list[int]] = {}

    def worker(index: int) -> None:
        start.wait()
        attempts: list[int] = []

        def fn() -> None:
            attempts.append(len(attempts) + 1)
            raise Boom(index, len(attempts))

        for _ in range(100):
            attempts.clear()
            try:
                policy.call(fn)
            except Boom as exc:
                assert exc.args == (index, 4)
            seen[index] = list(attempts)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(attempts == [1, 2, 3, 4] for attempts in seen.values())
    assert len(seen) == THREADS
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.EXHAUSTED] == THREADS * 100


def test_budget_under_threads_never_grants_more_than_it_has() -> None:
    clock = FakeClock()
    budget = sr.RetryBudget(ratio=0.1, min_per_second=0, burst=50, clock=clock)
    granted = 0
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        nonlocal granted
        start.wait()
        for _ in range(100):
            if budget.try_withdraw():
                with lock:
                    granted += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted == 50
    assert budget.balance == 0
    assert budget.metrics.refused_retries == THREADS * 100 - 50


TASKS = 500


@pytest.mark.anyio
async def test_tasks_share_one_policy(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(4, initial_delay=1, max_delay=100, clock=clock)
    results: dict[int, int] = {}

    async def one_call(index: int) -> None:
        attempts = 0

        @policy
        async def fn() -> int:
            nonlocal attempts
            attempts += 1
            await anyio.lowlevel.checkpoint()  # let the other tasks interleave
            if attempts <= index % 4:
                raise Boom
            return attempts

        results[index] = await fn()

    async with anyio.create_task_group() as tg:
        for index in range(TASKS):
            tg.start_soon(one_call, index)
    assert results == {index: index % 4 + 1 for index in range(TASKS)}
    assert policy.metrics.retries == sum(index % 4 for index in range(TASKS))
    assert policy.metrics.calls == TASKS


@pytest.mark.anyio
async def test_tasks_share_one_policy_with_async_for(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(3, initial_delay=0.5, max_delay=100, deadline=1000, clock=clock)
    attempt_numbers: dict[int, list[int]] = {}

    async def one_block(index: int) -> None:
        numbers = attempt_numbers.setdefault(index, [])
        async for attempt in policy:
            with attempt:
                numbers.append(attempt.number)
                await anyio.lowlevel.checkpoint()
                if len(numbers) <= index % 3:
                    raise Boom

    async with anyio.create_task_group() as tg:
        for index in range(TASKS):
            tg.start_soon(one_block, index)
    for index, numbers in attempt_numbers.items():
        assert numbers == list(range(1, index % 3 + 2))
    assert policy.metrics.successful_calls_after_retry == sum(1 for i in range(TASKS) if i % 3)

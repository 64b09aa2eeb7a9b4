"""The breaker under contention: the lock guards state, never the call."""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


def half_open(clock: FakeClock, **options: int) -> sr.CircuitBreaker:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock, **options)  # type: ignore[arg-type]
    with pytest.raises(Boom):
        cb.call(lambda: (_ for _ in ()).throw(Boom()))
    clock.advance(cb.reset_timeout)
    return cb


@pytest.mark.parametrize("round_", range(10))
def test_half_open_admits_exactly_max_calls_under_threads(clock: FakeClock, round_: int) -> None:
    cb = half_open(clock, half_open_max_calls=3, success_threshold=3)
    start = threading.Barrier(8)
    release = threading.Event()
    lock = threading.Lock()
    inside = peak = rejected = 0
    all_arrived = threading.Condition(lock)

    def trial() -> None:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
            all_arrived.notify_all()
        assert release.wait(10)
        with lock:
            inside -= 1

    def worker() -> None:
        nonlocal rejected
        start.wait()
        try:
            cb.call(trial)
        except sr.CircuitOpenError:
            with lock:
                rejected += 1
                all_arrived.notify_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    with lock:
        assert all_arrived.wait_for(lambda: inside + rejected == 8, timeout=10)
    release.set()
    for t in threads:
        t.join(10)
    assert (peak, rejected) == (3, 5)
    assert cb.state is sr.CircuitState.CLOSED


def test_counters_add_up_under_threads(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1_000_000, clock=clock)
    per_thread = 5_000

    def worker(index: int) -> None:
        for i in range(per_thread):
            try:
                cb.call(lambda i=i: 1 / ((i + index) % 3))
            except ZeroDivisionError:
                pass

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    m = cb.metrics
    assert m.successful_calls + m.failed_calls == 8 * per_thread
    assert m.failed_calls == sum(
        1 for index in range(8) for i in range(per_thread) if (i + index) % 3 == 0
    )


def test_opens_exactly_once_under_threads(clock: FakeClock) -> None:
    events: list[sr.CircuitEvent] = []
    cb = sr.CircuitBreaker("x", failure_threshold=50, clock=clock, listeners=[events.append])
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(200):
            try:
                cb.call(lambda: (_ for _ in ()).throw(Boom()))
            except (Boom, sr.CircuitOpenError):
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    opened = [e for e in events if isinstance(e, sr.CircuitStateChanged)]
    assert len(opened) == 1
    m = cb.metrics
    assert m.failed_calls + m.rejected_calls == 8 * 200
    assert m.failed_calls >= 50


@pytest.mark.anyio
async def test_half_open_admits_exactly_max_calls_under_5000_tasks(clock: FakeClock) -> None:
    cb = half_open(clock, half_open_max_calls=7, success_threshold=7)
    release = anyio.Event()
    inside = peak = rejected = admitted = 0

    async def trial() -> None:
        nonlocal inside, peak, admitted
        inside += 1
        admitted += 1
        peak = max(peak, inside)
        await release.wait()
        inside -= 1

    async def task() -> None:
        nonlocal rejected
        try:
            await cb.call_async(trial)
        except sr.CircuitOpenError:
            rejected += 1

    async with anyio.create_task_group() as tg:
        for _ in range(5000):
            tg.start_soon(task)
        while admitted + rejected < 5000:
            await anyio.lowlevel.checkpoint()
        release.set()
    assert (peak, admitted, rejected) == (7, 7, 4993)
    assert cb.state is sr.CircuitState.CLOSED

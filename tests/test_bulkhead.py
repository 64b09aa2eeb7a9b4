from __future__ import annotations

import asyncio
import inspect
import math
import threading
import time
from datetime import timedelta

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil._backend import ThreadWaiter

# Queue timeouts are measured by the loop or the OS; where one must expire, it is tens of
# milliseconds. Everything else is driven by events, not by time.
SHORT = 0.02


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


async def wait_until_async(predicate, limit=5.0):
    with anyio.fail_after(limit):
        while not predicate():  # noqa: ASYNC110 - the counters have no event to wait on
            await anyio.sleep(0.001)


def queued_is(bulkhead, n):
    return lambda: bulkhead.metrics.queued == n


class Peak:
    """Counts calls running at once, from threads and tasks alike."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def enter(self):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)

    def leave(self):
        with self.lock:
            self.running -= 1


def settled(bulkhead, *, admitted, rejected=0):
    return bulkhead.metrics == sr.BulkheadMetrics(
        name=bulkhead.name,
        max_concurrent=bulkhead.max_concurrent,
        max_queue=bulkhead.max_queue,
        in_use=0,
        queued=0,
        admitted_calls=admitted,
        rejected_calls=rejected,
    )


# ---- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"max_concurrent": -1}, "max_concurrent"),
        ({"max_concurrent": 1.5}, "max_concurrent"),
        ({"max_concurrent": True}, "max_concurrent"),
        ({"max_concurrent": 1, "max_queue": -1}, "max_queue"),
        ({"max_concurrent": 1, "max_queue": 2, "queue_timeout": 0}, "queue_timeout"),
        ({"max_concurrent": 1, "max_queue": 2, "queue_timeout": -1}, "queue_timeout"),
        ({"max_concurrent": 1, "max_queue": 2, "queue_timeout": math.nan}, "queue_timeout"),
        ({"max_concurrent": 1, "queue_timeout": 1.0}, "queue_timeout needs max_queue"),
        ({"max_concurrent": 1, "name": ""}, "name"),
    ],
)
def test_bad_configuration_is_refused_naming_the_field(options, field):
    with pytest.raises(ValueError, match=field):
        sr.Bulkhead(**options)


def test_repr_metrics_registry_and_protocol():
    registry = sr.Registry()
    bulkhead = sr.Bulkhead(
        4, max_queue=2, queue_timeout=timedelta(seconds=1), name="db", registry=registry
    )
    assert repr(bulkhead) == "<Bulkhead 'db' max_concurrent=4 max_queue=2 queue_timeout=1s>"
    assert repr(sr.Bulkhead(3)) == "<Bulkhead 'default' max_concurrent=3>"
    assert list(registry) == [bulkhead]
    assert isinstance(bulkhead, sr.Strategy)
    assert bulkhead.metrics.available == 4
    assert settled(bulkhead, admitted=0)


# ---- sync ------------------------------------------------------------------------------


def test_call_runs_in_a_slot_and_gives_it_back():
    bulkhead = sr.Bulkhead(2)

    def work(a, *, b):
        assert bulkhead.metrics.in_use == 1
        return a + b

    assert bulkhead.call(work, 1, b=2) == 3
    assert settled(bulkhead, admitted=1)


def test_a_failing_call_gives_its_slot_back():
    bulkhead = sr.Bulkhead(1)
    with pytest.raises(ZeroDivisionError):
        bulkhead.call(lambda: 1 / 0)
    assert settled(bulkhead, admitted=1)


def test_full_without_a_queue_rejects_at_once():
    events = []
    bulkhead = sr.Bulkhead(1, name="db", listeners=[events.append])
    with bulkhead, pytest.raises(sr.BulkheadFullError) as caught:
        bulkhead.call(lambda: None)
    assert isinstance(caught.value, sr.CallRejectedError)
    assert (caught.value.name, caught.value.max_concurrent) == ("db", 1)
    assert events == [sr.BulkheadRejected("db", 1, 0, timed_out=False)]
    assert settled(bulkhead, admitted=1, rejected=1)


def test_queued_threads_are_served_first_come_first_served():
    bulkhead = sr.Bulkhead(1, max_queue=3)
    order = []
    threads = []
    with bulkhead:  # hold the only slot while the queue fills in a known order
        for label in "abc":
            thread = threading.Thread(target=bulkhead.call, args=(order.append, label))
            thread.start()
            threads.append(thread)
            wait_until(queued_is(bulkhead, len(threads)))
        with pytest.raises(sr.BulkheadFullError):  # the queue is full too
            bulkhead.call(order.append, "d")
    for thread in threads:
        thread.join()
    assert order == ["a", "b", "c"]
    assert settled(bulkhead, admitted=4, rejected=1)


def test_a_queue_timeout_beyond_what_the_os_can_wait_for_still_works():
    bulkhead = sr.Bulkhead(1, max_queue=1, queue_timeout=1e300)
    with bulkhead:
        waiter = threading.Thread(target=bulkhead.call, args=(lambda: None,))
        waiter.start()
        wait_until(queued_is(bulkhead, 1))
    waiter.join(timeout=5.0)
    assert settled(bulkhead, admitted=2)


def test_queue_timeout_rejects_a_thread_that_waited_too_long():
    events = []
    bulkhead = sr.Bulkhead(1, max_queue=1, queue_timeout=SHORT, listeners=[events.append])
    with bulkhead:
        started = time.monotonic()
        with pytest.raises(sr.BulkheadFullError):
            bulkhead.call(lambda: None)
        assert time.monotonic() - started >= SHORT / 2  # it did wait, roughly that long
    assert events == [sr.BulkheadRejected("default", 1, 1, timed_out=True)]
    assert settled(bulkhead, admitted=1, rejected=1)


def test_decisions_a_waiter_cancelled_just_after_its_grant_passes_the_slot_on():
    bulkhead = sr.Bulkhead(1, max_queue=2)
    bulkhead._enter(ThreadWaiter)
    first = bulkhead._enter(ThreadWaiter)
    second = bulkhead._enter(ThreadWaiter)
    bulkhead._release()  # the slot goes to `first` ...
    assert first.woken
    bulkhead._abandon(first)  # ... which was interrupted before it could run: to `second`
    assert second.woken
    bulkhead._release()
    assert settled(bulkhead, admitted=1)  # the waiters never went on to run


def test_decisions_a_wait_that_ran_out_as_the_slot_arrived_keeps_the_slot():
    bulkhead = sr.Bulkhead(1, max_queue=1, queue_timeout=1.0)
    bulkhead._enter(ThreadWaiter)
    waiter = bulkhead._enter(ThreadWaiter)
    bulkhead._release()
    assert bulkhead._give_up(waiter, timed_out=True)  # it holds the slot: run, not reject
    assert bulkhead.metrics.rejected_calls == 0
    bulkhead._release()
    assert settled(bulkhead, admitted=1)


def test_decisions_a_waiter_that_cannot_be_woken_is_skipped():
    class Gone:
        woken = False

        def wake(self):
            return False

    bulkhead = sr.Bulkhead(1, max_queue=1)
    bulkhead._enter(Gone)
    bulkhead._enter(Gone)
    bulkhead._release()
    assert settled(bulkhead, admitted=1)


def test_decorating_a_function_keeps_its_signature():
    bulkhead = sr.Bulkhead(1)

    @bulkhead
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert add(1) == 3
    assert add.__name__ == "add"
    assert list(inspect.signature(add).parameters) == ["a", "b"]
    assert add.bulkhead is bulkhead  # type: ignore[attr-defined]


@pytest.mark.parametrize("max_queue", [0, 8])
def test_threads_never_exceed_max_concurrent(max_queue):
    bulkhead = sr.Bulkhead(3, max_queue=max_queue)
    peak = Peak()
    start = threading.Barrier(8)
    outcomes = {"ok": 0, "rejected": 0}
    count = threading.Lock()

    def guarded():
        peak.enter()
        time.sleep(0)  # let other threads in while this one holds a slot
        peak.leave()

    def hammer():
        start.wait()
        for _ in range(300):
            try:
                bulkhead.call(guarded)
                outcome = "ok"
            except sr.BulkheadFullError:
                outcome = "rejected"
            with count:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= peak.peak <= 3
    assert outcomes["ok"] + outcomes["rejected"] == 2400
    if max_queue >= 8 - 3:  # room for every thread that finds the slots taken
        assert outcomes["rejected"] == 0
    assert settled(bulkhead, admitted=outcomes["ok"], rejected=outcomes["rejected"])


# ---- async -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_call_and_async_with():
    bulkhead = sr.Bulkhead(1)

    async def work(a, *, b):
        await anyio.lowlevel.checkpoint()
        return a + b

    assert await bulkhead.call_async(work, 1, b=2) == 3
    async with bulkhead as entered:
        assert entered is bulkhead
        with pytest.raises(sr.BulkheadFullError):
            await bulkhead.call_async(work, 1, b=2)
    assert settled(bulkhead, admitted=2, rejected=1)


@pytest.mark.anyio
async def test_tasks_are_served_first_come_first_served():
    bulkhead = sr.Bulkhead(1, max_queue=3)
    order = []

    async def record(label):
        order.append(label)

    async with anyio.create_task_group() as tasks, bulkhead:
        for n, label in enumerate("abc", start=1):
            tasks.start_soon(bulkhead.call_async, record, label)
            await wait_until_async(queued_is(bulkhead, n))
    assert order == ["a", "b", "c"]
    assert settled(bulkhead, admitted=4)


@pytest.mark.anyio
async def test_queue_timeout_rejects_a_task_that_waited_too_long():
    bulkhead = sr.Bulkhead(1, max_queue=1, queue_timeout=SHORT)
    async with bulkhead:
        with pytest.raises(sr.BulkheadFullError):
            await bulkhead.call_async(anyio.sleep, 0)
    assert settled(bulkhead, admitted=1, rejected=1)


@pytest.mark.anyio
async def test_a_task_cancelled_in_the_queue_leaves_it():
    bulkhead = sr.Bulkhead(1, max_queue=1)
    async with bulkhead:
        with anyio.move_on_after(SHORT) as scope:
            await bulkhead.call_async(anyio.sleep, 0)
        assert scope.cancelled_caught
        assert bulkhead.metrics.queued == 0
    assert settled(bulkhead, admitted=1)  # a cancellation is not a rejection


def test_an_asyncio_task_cancelled_just_after_its_grant_passes_the_slot_on():
    async def append(ran, label):
        ran.append(label)

    async def main():
        bulkhead = sr.Bulkhead(1, max_queue=2)
        ran: list[str] = []
        async with bulkhead:
            first = asyncio.create_task(bulkhead.call_async(asyncio.sleep, 0))
            second = asyncio.create_task(bulkhead.call_async(append, ran, "second"))
            while bulkhead.metrics.queued < 2:  # noqa: ASYNC110 - no event for counters
                await asyncio.sleep(0)
        first.cancel()  # granted when the block ended, cancelled before it could run
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.wait_for(second, 5.0)
        assert ran == ["second"]
        assert settled(bulkhead, admitted=2)  # `first` never ran

    asyncio.run(main())


@pytest.mark.anyio
async def test_a_thread_releasing_wakes_a_task_and_a_task_wakes_a_thread():
    bulkhead = sr.Bulkhead(1, max_queue=1)
    let_go = threading.Event()
    holder = threading.Thread(target=bulkhead.call, args=(let_go.wait,))
    holder.start()
    await wait_until_async(lambda: bulkhead.metrics.in_use == 1)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(bulkhead.call_async, anyio.sleep, 0)
        await wait_until_async(lambda: bulkhead.metrics.queued == 1)
        let_go.set()  # the thread's release must reach this loop from outside it
    holder.join()

    async with bulkhead:
        waiter = threading.Thread(target=bulkhead.call, args=(lambda: None,))
        waiter.start()
        await wait_until_async(lambda: bulkhead.metrics.queued == 1)
    waiter.join(timeout=5.0)
    assert not waiter.is_alive()
    assert settled(bulkhead, admitted=4)


@pytest.mark.anyio
async def test_decorating_a_coroutine_function_keeps_it_async():
    bulkhead = sr.Bulkhead(1)

    @bulkhead
    async def double(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        return 2 * x

    assert inspect.iscoroutinefunction(double)
    assert await double(21) == 42


@pytest.mark.anyio
async def test_thousands_of_tasks_never_exceed_max_concurrent():
    bulkhead = sr.Bulkhead(10, max_queue=5000)
    peak = Peak()

    async def guarded():
        peak.enter()
        await anyio.lowlevel.checkpoint()
        peak.leave()

    async with anyio.create_task_group() as tasks:
        for _ in range(5000):
            tasks.start_soon(bulkhead.call_async, guarded)
    assert peak.peak == 10
    assert settled(bulkhead, admitted=5000)


@pytest.mark.anyio
async def test_thousands_of_tasks_with_a_short_queue_are_counted_exactly():
    bulkhead = sr.Bulkhead(10, max_queue=100)
    peak = Peak()
    rejected = 0

    async def guarded():
        peak.enter()
        await anyio.lowlevel.checkpoint()
        peak.leave()

    async def attempt():
        nonlocal rejected
        try:
            await bulkhead.call_async(guarded)
        except sr.BulkheadFullError:
            rejected += 1

    async with anyio.create_task_group() as tasks:
        for _ in range(2000):
            tasks.start_soon(attempt)
    assert peak.peak == 10
    assert rejected > 0
    assert settled(bulkhead, admitted=2000 - rejected, rejected=rejected)

"""The helpers built on the backend: timeouts, gathering, wake-ups, sync-to-async.

No test waits for real: deadlines are 0 s or far away, hand-overs are events.
"""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import pytest

from steinresil._backend import start_daemon_thread
from steinresil._tasks import (
    call_with_timeout,
    gather,
    open_task_group,
    run_blocking,
    wait_for_wakeup,
)

FAR = 60.0


async def answer():
    await anyio.lowlevel.checkpoint()
    return 42


# ---- call_with_timeout ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_call_with_timeout_in_time_gives_the_value():
    assert await call_with_timeout(answer, FAR) == (False, 42)


@pytest.mark.anyio
async def test_call_with_timeout_out_of_time_gives_timed_out():
    cancelled = []

    async def hang():
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise

    assert await call_with_timeout(hang, 0) == (True, None)
    assert cancelled == [True]  # the call itself was cancelled, not left running


@pytest.mark.anyio
@pytest.mark.parametrize("error", [TimeoutError, ValueError])
async def test_call_with_timeout_passes_the_calls_own_errors_on(error):
    async def fail():
        raise error

    with pytest.raises(error):
        await call_with_timeout(fail, FAR)


@pytest.mark.anyio
async def test_call_with_timeout_leaves_an_outside_cancellation_alone():
    with anyio.CancelScope() as scope:
        scope.cancel()
        await call_with_timeout(anyio.sleep_forever, FAR)
    assert scope.cancelled_caught


# ---- gather ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_gather_keeps_the_order_and_runs_side_by_side():
    first, second = anyio.Event(), anyio.Event()

    async def one():
        first.set()
        await second.wait()
        return "one"

    async def two():
        second.set()
        await first.wait()
        return "two"

    assert await gather([one, two, answer]) == ["one", "two", 42]


@pytest.mark.anyio
async def test_gather_of_one_or_none():
    assert await gather([answer]) == [42]
    assert await gather([]) == []


# ---- wait_for_wakeup ---------------------------------------------------------------------------


class Flag:
    """What the health aggregator does: a result, and wake-ups to call once it is there."""

    def __init__(self):
        self.lock = threading.Lock()
        self.done = False
        self.wakers = []

    def subscribe(self, wake):
        with self.lock:
            if self.done:
                return False
            self.wakers.append(wake)
            return True

    def finish(self):
        with self.lock:
            self.done = True
            wakers, self.wakers = self.wakers, []
        for wake in wakers:
            wake()


@pytest.mark.anyio
async def test_wait_for_wakeup_with_nothing_to_wait_for_returns_at_once():
    flag = Flag()
    flag.finish()
    assert await wait_for_wakeup(flag.subscribe, FAR)


@pytest.mark.anyio
async def test_wait_for_wakeup_woken_from_another_thread():
    flag = Flag()
    subscribed = threading.Event()

    def subscribe(wake):
        subscribed.set()
        return flag.subscribe(wake)

    def finish_once_subscribed():
        subscribed.wait()
        flag.finish()

    thread = start_daemon_thread(finish_once_subscribed, "test-finisher")
    assert await wait_for_wakeup(subscribe, FAR)
    thread.join()


@pytest.mark.anyio
async def test_wait_for_wakeup_woken_on_the_loop_thread():
    flag = Flag()
    async with anyio.create_task_group() as group:
        group.start_soon(wait_for_wakeup, flag.subscribe, FAR)
        while not flag.wakers:
            await anyio.lowlevel.checkpoint()
        flag.finish()  # from this very thread: no hop through another thread


@pytest.mark.anyio
async def test_wait_for_wakeup_not_woken_in_time():
    flag = Flag()
    assert not await wait_for_wakeup(flag.subscribe, 1e-9)
    assert len(flag.wakers) == 1
    flag.finish()  # a late wake-up is harmless


@pytest.mark.anyio
@pytest.mark.parametrize("seconds", [0, -1])
async def test_wait_for_wakeup_with_no_time_left_only_asks(seconds):
    flag = Flag()
    assert not await wait_for_wakeup(flag.subscribe, seconds)
    flag.finish()
    assert await wait_for_wakeup(flag.subscribe, seconds)


@pytest.mark.anyio
async def test_wait_for_wakeup_cancelled_leaves_a_harmless_waker():
    flag = Flag()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await wait_for_wakeup(flag.subscribe, FAR)
    assert scope.cancelled_caught
    await anyio.to_thread.run_sync(flag.finish)
    await anyio.lowlevel.checkpoint()


# ---- task groups ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_open_task_group_collects_messages_and_cancels_the_rest():
    async with open_task_group() as group:

        async def post_then_hang():
            group.post("hello")
            await anyio.sleep_forever()

        group.spawn(post_then_hang)
        message = await group.next_message()
        group.cancel()
    assert message == "hello"


# ---- run_blocking -----------------------------------------------------------------------------


def test_run_blocking_outside_a_loop_runs_here():
    threads = []

    async def which_thread():
        await anyio.lowlevel.checkpoint()
        threads.append(threading.current_thread())
        return 7

    assert run_blocking(which_thread) == 7
    assert threads == [threading.current_thread()]


@pytest.mark.anyio
async def test_run_blocking_inside_a_loop_runs_a_fresh_loop_in_a_thread():
    threads = []

    async def which_thread():
        await anyio.lowlevel.checkpoint()
        threads.append(threading.current_thread().name)
        return 7

    assert run_blocking(which_thread) == 7
    assert threads == ["steinresil-run-blocking"]


@pytest.mark.anyio
async def test_run_blocking_inside_a_loop_hands_back_the_error():
    async def fail():
        raise LookupError("inside")

    with pytest.raises(LookupError, match="inside"):
        run_blocking(fail)


def test_run_blocking_outside_a_loop_hands_back_the_error():
    async def fail():
        raise LookupError("outside")

    with pytest.raises(LookupError, match="outside"):
        run_blocking(fail)

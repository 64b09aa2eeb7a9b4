"""The backend: each primitive, on asyncio and on trio, with no real waiting.

Deadlines here are 0 s (they expire at the loop's next turn) or far away; everything
else is driven by events, threads handing over, and checkpoints.
"""

from __future__ import annotations

import asyncio
import threading

import anyio
import anyio.lowlevel
import pytest

from steinresil._backend import ThreadWaiter, current, start_daemon_thread

FAR = 60.0  # a deadline no test reaches


@pytest.mark.anyio
async def test_current_is_the_running_loops_backend_and_is_chosen_once(anyio_backend):
    backend = current()
    assert backend.name == anyio_backend
    assert current() is backend


def test_current_outside_any_loop_is_asyncio_and_runs_no_loop():
    backend = current()
    assert backend.name == "asyncio"
    assert backend.current_loop() is None


@pytest.mark.anyio
async def test_current_loop_is_what_loop_bound_resources_belong_to(anyio_backend):
    loop = current().current_loop()
    if anyio_backend == "trio":
        import trio  # noqa: PLC0415 - only in the trio run

        assert loop is trio.lowlevel.current_trio_token()
    else:
        assert loop is asyncio.get_running_loop()
    assert current().current_loop() is loop


# ---- sleeping and checkpoints ---------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("seconds", [0, -1.0])
async def test_sleep_of_zero_or_less_is_a_checkpoint(seconds):
    reached = False
    with anyio.CancelScope() as scope:
        scope.cancel()
        await current().sleep(seconds)  # no ValueError for a negative time: it yields once
        reached = True
    assert scope.cancelled_caught
    assert not reached


@pytest.mark.anyio
async def test_checkpoint_lets_a_pending_cancellation_in():
    reached = False
    with anyio.CancelScope() as scope:
        scope.cancel()
        await current().checkpoint()
        reached = True
    assert scope.cancelled_caught
    assert not reached


@pytest.mark.anyio
async def test_checkpoint_lets_other_tasks_run():
    ran = anyio.Event()
    backend = current()

    async def run():
        ran.set()

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        while not ran.is_set():  # trio may run the other task a turn later: a few rounds
            await backend.checkpoint()


# ---- deadlines ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_deadline_that_expires_cancels_the_block_and_ends_there():
    reached = False
    with current().deadline(0) as deadline:
        await anyio.sleep_forever()
        reached = True
    assert deadline.cancelled_caught
    assert not reached


@pytest.mark.anyio
async def test_a_block_done_in_time_is_not_cancelled_later():
    with current().deadline(FAR) as deadline:
        await anyio.lowlevel.checkpoint()
    assert not deadline.cancelled_caught
    await anyio.lowlevel.checkpoint()  # no cancellation left behind for the task


@pytest.mark.anyio
async def test_a_deadline_entered_after_a_delay_counts_from_entering():
    deadline = current().deadline(FAR)
    await anyio.lowlevel.checkpoint()
    with deadline:
        await anyio.lowlevel.checkpoint()
    assert not deadline.cancelled_caught


@pytest.mark.anyio
async def test_a_cancellation_from_outside_stays_a_cancellation():
    with anyio.CancelScope() as outer:
        with current().deadline(FAR) as deadline:
            outer.cancel()
            await anyio.sleep_forever()
    assert outer.cancelled_caught
    assert not deadline.cancelled_caught


@pytest.mark.anyio
@pytest.mark.parametrize("error", [ValueError, TimeoutError])
async def test_an_error_from_the_block_passes_through_a_deadline(error):
    with pytest.raises(error), current().deadline(FAR) as deadline:
        raise error
    assert not deadline.cancelled_caught


@pytest.mark.anyio
async def test_nested_deadlines_each_catch_only_their_own():
    backend = current()
    with backend.deadline(FAR) as outer:
        with backend.deadline(0) as inner:
            await anyio.sleep_forever()
        await anyio.lowlevel.checkpoint()
    assert inner.cancelled_caught
    assert not outer.cancelled_caught


# ---- waiters -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_waiter_woken_before_it_waits_returns_at_once():
    waiter = current().waiter()
    assert waiter.wake()
    assert waiter.woken
    assert await waiter.wait(None)


@pytest.mark.anyio
async def test_a_waiter_woken_from_another_thread_while_waiting():
    waiter = current().waiter()
    waiting = threading.Event()

    def wake_when_waiting():
        waiting.wait()
        assert waiter.wake()

    thread = start_daemon_thread(wake_when_waiting, "test-waker")
    waiting.set()  # the thread may wake before or after the wait below begins: both work
    assert await waiter.wait(FAR)
    thread.join()
    assert waiter.woken


@pytest.mark.anyio
async def test_a_waiter_woken_from_another_thread_after_it_began_waiting():
    backend = current()
    waiter = backend.waiter()
    result = []

    async def wait():
        result.append(await waiter.wait(None))

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()  # trio: the waiter runs within two turns
        assert result == []
        await anyio.to_thread.run_sync(waiter.wake)
    assert result == [True]


@pytest.mark.anyio
async def test_a_waiter_not_woken_in_time_says_so():
    waiter = current().waiter()
    assert not await waiter.wait(0)
    assert not waiter.woken


@pytest.mark.anyio
async def test_a_waiter_woken_twice_is_fine():
    waiter = current().waiter()
    assert waiter.wake()
    assert waiter.wake()
    assert await waiter.wait(FAR)


@pytest.mark.anyio
async def test_a_waiter_woken_before_it_waits_is_woken_even_with_no_time_to_wait():
    waiter = current().waiter()
    waiter.wake()
    assert await waiter.wait(0)


@pytest.mark.anyio
@pytest.mark.parametrize("max_wait", [None, FAR])
async def test_a_cancelled_wait_leaves_nothing_behind(max_wait):
    waiter = current().waiter()
    result = []

    async def wait():
        result.append(await waiter.wait(max_wait))

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()
        group.cancel_scope.cancel()  # while it waits
    assert result == []  # cancelled, not "not woken"
    # A wake-up that comes afterwards is simply lost, and this task is not disturbed.
    assert await anyio.to_thread.run_sync(waiter.wake)
    with current().deadline(FAR) as deadline:
        await anyio.lowlevel.checkpoint()
    assert not deadline.cancelled_caught


@pytest.mark.parametrize("loop", ["asyncio", "trio"])
def test_a_waiter_whose_loop_has_ended_cannot_be_woken(loop):
    async def make():
        return current().waiter()

    waiter = anyio.run(make, backend=loop)
    woken = []
    start_daemon_thread(lambda: woken.append(waiter.wake()), "test-waker").join()
    assert woken == [False]


def test_a_thread_waiter_woken_before_it_waits_returns_at_once():
    waiter = ThreadWaiter()
    assert waiter.wake()
    assert waiter.wait(None)
    assert waiter.woken


def test_a_thread_waiter_woken_by_another_thread():
    waiter = ThreadWaiter()
    thread = start_daemon_thread(waiter.wake, "test-waker")
    assert waiter.wait(FAR)
    thread.join()


def test_a_thread_waiter_not_woken_in_time_says_so():
    waiter = ThreadWaiter()
    assert not waiter.wait(0)
    assert not waiter.woken


def test_a_thread_waiter_woken_twice_is_fine():
    waiter = ThreadWaiter()
    waiter.wake()
    waiter.wake()
    assert waiter.wait(0)


# ---- threads -------------------------------------------------------------------------------


def test_start_daemon_thread_starts_a_named_daemon_thread():
    seen = []
    thread = start_daemon_thread(lambda: seen.append(threading.current_thread()), "test-named")
    thread.join()
    assert seen == [thread]
    assert thread.daemon
    assert thread.name == "test-named"


@pytest.mark.anyio
async def test_run_in_thread_runs_elsewhere_and_hands_back_the_result():
    here = threading.get_ident()
    assert await current().run_in_thread(threading.get_ident) != here


@pytest.mark.anyio
async def test_run_in_thread_hands_back_the_error():
    def fail():
        raise LookupError("from the thread")

    with pytest.raises(LookupError, match="from the thread"):
        await current().run_in_thread(fail)


# ---- running tasks side by side ---------------------------------------------------------------


@pytest.mark.anyio
async def test_gather_runs_concurrently_and_keeps_the_order():
    first, second = anyio.Event(), anyio.Event()

    async def one():
        first.set()
        await second.wait()  # only returns if two runs at the same time
        return 1

    async def two():
        second.set()
        await first.wait()
        return 2

    assert await current().gather([one, two]) == [1, 2]


@pytest.mark.anyio
async def test_gather_of_nothing_is_empty():
    assert await current().gather([]) == []


@pytest.mark.anyio
async def test_task_group_tasks_report_to_the_mailbox_and_are_cancelled_together():
    ended = []

    async def report(number):
        try:
            current_group.post(number)
            await anyio.sleep_forever()
        finally:
            ended.append(number)

    async with current().task_group() as current_group:
        current_group.spawn(lambda: report(1))
        current_group.spawn(lambda: report(2))
        messages = {await current_group.next_message(), await current_group.next_message()}
        current_group.cancel()
    assert messages == {1, 2}
    assert sorted(ended) == [1, 2]


@pytest.mark.anyio
async def test_a_background_task_outlives_the_call_on_asyncio_only(anyio_backend):
    started, ended = anyio.Event(), []

    async def watch():
        try:
            started.set()
            await anyio.sleep_forever()
        finally:
            ended.append(True)

    task = current().start_background_task(watch)
    if anyio_backend == "trio":
        assert task is None  # trio has nowhere to put it
        await anyio.lowlevel.checkpoint()
        assert not started.is_set()
        return
    assert task is not None
    await started.wait()
    await task.cancel()  # returns once the task has ended
    assert ended == [True]

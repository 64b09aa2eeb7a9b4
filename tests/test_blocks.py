"""``with`` / ``async with`` blocks keep their own permit or deadline.

Blocks may end out of order (two generators, a ``zip`` of two streams), be finished on
another thread or by another task, and must leave nothing behind in any context.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

import steinresil as sr
from steinresil._blocks import OpenBlocks
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


def half_open_breaker(clock: FakeClock, **options: object) -> sr.CircuitBreaker:
    settings: dict[str, object] = {"success_threshold": 1, **options}
    cb = sr.CircuitBreaker("b", failure_threshold=1, reset_timeout=10, clock=clock, **settings)  # type: ignore[arg-type]
    with pytest.raises(Boom), cb:
        raise Boom
    clock.advance(10)
    return cb


def guarded(cb: sr.CircuitBreaker, *, fail: bool) -> Iterator[None]:
    with cb:
        yield
        if fail:
            raise Boom


def steinresil_context_vars() -> list[str]:
    return [v.name for v in contextvars.copy_context() if v.name.startswith("steinresil")]


def test_blocks_ending_out_of_order_keep_their_own_permits(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "b", failure_threshold=1, success_threshold=1, reset_timeout=10, clock=clock
    )
    normal = guarded(cb, fail=False)
    next(normal)  # a normal call begins while the circuit is closed
    with pytest.raises(Boom), cb:  # another call fails: the circuit opens
        raise Boom
    clock.advance(10)
    trial = guarded(cb, fail=True)
    next(trial)  # the trial call begins
    assert cb.state is sr.CircuitState.HALF_OPEN
    next(normal, None)  # the normal call ends first, with a success: not a trial success
    assert cb.state is sr.CircuitState.HALF_OPEN
    with pytest.raises(Boom):
        next(trial)  # the trial fails: reopened
    assert cb.state is sr.CircuitState.OPEN


def test_zip_of_two_guarded_streams(clock: FakeClock) -> None:
    cb = half_open_breaker(clock, half_open_max_calls=2, success_threshold=2)

    def stream(fail_at: int | None) -> Iterator[int]:
        with cb:
            for i in range(3):
                if i == fail_at:
                    raise Boom
                yield i

    with pytest.raises(Boom):
        list(zip(stream(None), stream(2), strict=False))
    assert cb.state is sr.CircuitState.OPEN
    assert len(cb._blocks) == 0  # the unfinished stream was closed: its block released
    assert cb.metrics.failed_calls == 2


def test_a_block_finished_on_another_thread_records_its_own_outcome(clock: FakeClock) -> None:
    cb = half_open_breaker(clock)
    trial = guarded(cb, fail=True)
    next(trial)  # takes the only trial slot on this thread
    errors: list[BaseException] = []

    def finish() -> None:
        try:
            next(trial)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=finish)
    thread.start()
    thread.join()
    assert [type(e) for e in errors] == [Boom]  # the block's own error, not IndexError
    assert cb.state is sr.CircuitState.OPEN  # the failed trial was recorded
    clock.advance(10)
    assert cb.accepting_calls  # and its slot is free for the next period


def test_a_successful_block_finished_on_another_thread_closes_the_circuit(
    clock: FakeClock,
) -> None:
    cb = half_open_breaker(clock)
    trial = guarded(cb, fail=False)
    next(trial)
    thread = threading.Thread(target=lambda: next(trial, None))
    thread.start()
    thread.join()
    assert cb.state is sr.CircuitState.CLOSED


@pytest.mark.anyio
async def test_an_async_block_resumed_by_another_task(clock: FakeClock) -> None:
    cb = half_open_breaker(clock)

    async def stream() -> AsyncIterator[int]:
        async with cb:
            yield 1
            raise Boom

    agen = stream()
    assert await agen.__anext__() == 1  # begun in this task
    errors: list[BaseException] = []

    async def finish() -> None:
        try:
            await agen.__anext__()
        except BaseException as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(finish)
    assert [type(e) for e in errors] == [Boom]
    assert cb.state is sr.CircuitState.OPEN


def test_blocks_leave_nothing_in_the_context(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("b", clock=clock)
    for _ in range(3):
        with cb:
            pass
    with pytest.raises(Boom), cb:
        raise Boom
    assert steinresil_context_vars() == []
    assert len(cb._blocks) == 0


@pytest.mark.anyio
async def test_async_blocks_leave_nothing_in_the_context(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("b", clock=clock)
    timeout = sr.Timeout(5)
    async with cb, timeout:
        pass
    assert steinresil_context_vars() == []
    assert len(cb._blocks) == len(timeout._deadlines) == 0


def test_nested_blocks_in_one_frame_end_last_in_first_out(clock: FakeClock) -> None:
    cb = half_open_breaker(clock, half_open_max_calls=2, success_threshold=2)

    def nested() -> None:
        with cb:
            with cb:
                pass  # the inner trial succeeds
            raise Boom  # the outer trial fails

    with pytest.raises(Boom):
        nested()
    assert cb.state is sr.CircuitState.OPEN


def test_exit_stack_blocks_are_matched(clock: FakeClock) -> None:
    cb = half_open_breaker(clock)

    def through_exit_stack() -> None:
        with contextlib.ExitStack() as stack:
            stack.enter_context(cb)
            raise Boom

    with pytest.raises(Boom):
        through_exit_stack()
    assert cb.state is sr.CircuitState.OPEN
    assert len(cb._blocks) == 0


def test_a_wrapper_entering_and_leaving_from_different_methods(clock: FakeClock) -> None:
    cb = half_open_breaker(clock)

    class Wrapper:
        def __enter__(self) -> None:
            cb.__enter__()

        def __exit__(self, *exc_info: object) -> None:
            cb.__exit__(*exc_info)  # type: ignore[arg-type]

    with Wrapper():
        pass
    assert cb.state is sr.CircuitState.CLOSED
    assert len(cb._blocks) == 0


def test_exit_without_enter_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="never began"):
        sr.CircuitBreaker("b").__exit__(None, None, None)


def test_open_blocks_counts_what_is_open() -> None:
    blocks: OpenBlocks[int] = OpenBlocks()
    blocks.begin(1, depth=0)
    blocks.begin(2, depth=0)
    assert len(blocks) == 2
    assert blocks.end(depth=0) == 2
    assert blocks.end(depth=0) == 1
    assert len(blocks) == 0


# ---- Timeout's async with -------------------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # trio forbids cancel scopes that end
@pytest.mark.anyio  # out of order, so such generators cannot exist there
async def test_timeout_blocks_ending_out_of_order_keep_their_own_deadlines() -> None:
    timeout = sr.Timeout(0.05)

    async def stream(pause: float) -> AsyncIterator[None]:
        async with timeout:
            yield
            await anyio.sleep(pause)
            yield

    quick, slow = stream(0), stream(5)
    await quick.__anext__()
    await slow.__anext__()
    await quick.__anext__()
    with pytest.raises(StopAsyncIteration):
        await quick.__anext__()  # the first block ends first
    with pytest.raises(sr.TimeoutExceededError):
        await slow.__anext__()  # the second still has its own deadline
    assert len(timeout._deadlines) == 0

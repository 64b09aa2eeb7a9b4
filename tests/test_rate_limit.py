from __future__ import annotations

import inspect
import math
import threading
from datetime import timedelta

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil.testing import FakeClock


def limiter(clock, rate=10, per=1.0, **options):
    return sr.RateLimiter(rate, per, clock=clock, **options)


def drain(rate_limiter):
    """Take every token there is; return how many."""
    taken = 0
    while True:
        try:
            rate_limiter.acquire()
        except sr.RateLimitExceededError:
            return taken
        taken += 1


# ---- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"rate": 0}, "rate must be > 0"),
        ({"rate": -1}, "rate must be > 0"),
        ({"rate": math.nan}, "rate must be a finite number"),
        ({"rate": math.inf}, "rate must be a finite number"),
        ({"rate": True}, "rate must be a finite number"),
        ({"rate": "10"}, "rate must be a finite number"),
        ({"rate": 10, "per": 0}, "per must be"),
        ({"rate": 10, "per": -1}, "per must be"),
        ({"rate": 10, "burst": 0}, "burst must be"),
        ({"rate": 10, "burst": 1.5}, "burst must be"),
        ({"rate": 10, "timeout": 1.0}, "timeout needs wait=True"),
        ({"rate": 10, "wait": True, "timeout": -1}, "timeout must be"),
        ({"rate": 10, "name": ""}, "name must be"),
    ],
)
def test_bad_configuration_is_refused_naming_the_field(options, field):
    with pytest.raises(ValueError, match=field):
        sr.RateLimiter(**options)


@pytest.mark.parametrize(("rate", "burst"), [(100, 100), (10.0, 10), (2.5, 2), (0.5, 1)])
def test_burst_defaults_to_the_rate_and_at_least_one(rate, burst):
    assert sr.RateLimiter(rate).burst == burst


def test_repr_registry_protocol_and_default_clock():
    registry = sr.Registry()
    api = sr.RateLimiter(
        5, per=timedelta(minutes=1), burst=2, wait=True, timeout=3, name="api", registry=registry
    )
    assert repr(api) == "<RateLimiter 'api' rate=5 per=60s burst=2 wait<=3s>"
    assert repr(sr.RateLimiter(100)) == "<RateLimiter 'default' rate=100 per=1s burst=100>"
    assert list(registry) == [api]
    assert isinstance(api, sr.Strategy)
    assert sr.RateLimiter(1000).clock is sr.system_clock
    sr.RateLimiter(1000).acquire()


# ---- the bucket ------------------------------------------------------------------------


def test_a_full_bucket_lets_a_burst_through_then_refuses(clock):
    events = []
    rate_limiter = limiter(clock, name="api", listeners=[events.append])
    assert drain(rate_limiter) == 10
    with pytest.raises(sr.RateLimitExceededError) as caught:
        rate_limiter.acquire()
    assert isinstance(caught.value, sr.CallRejectedError)
    assert caught.value.name == "api"
    assert caught.value.retry_after == pytest.approx(0.1)
    assert events[-1] == sr.RateLimitRejected("api", caught.value.retry_after)
    assert rate_limiter.metrics == sr.RateLimiterMetrics(
        name="api", rate=10.0, per=1.0, burst=10, admitted_calls=10, rejected_calls=2, available=0
    )


def test_retry_after_is_the_exact_time_until_the_next_token(clock):
    rate_limiter = limiter(clock, rate=2, burst=1)
    rate_limiter.acquire()
    clock.advance(0.2)
    with pytest.raises(sr.RateLimitExceededError) as caught:
        rate_limiter.acquire()
    assert caught.value.retry_after == pytest.approx(0.3)
    clock.advance(caught.value.retry_after)
    rate_limiter.acquire()  # exactly on time is in time


@pytest.mark.parametrize("start", [0.0, 1e7])
def test_waiting_exactly_retry_after_always_gets_the_token(start):
    clock = FakeClock(start)
    rate_limiter = limiter(clock, rate=3, per=0.7, burst=4)
    for _ in range(200):
        try:
            rate_limiter.acquire()
        except sr.RateLimitExceededError as exc:
            clock.advance(exc.retry_after)
            rate_limiter.acquire()
    assert rate_limiter.metrics.admitted_calls == 200


def test_tokens_come_back_at_the_rate_up_to_the_burst(clock):
    rate_limiter = limiter(clock)
    drain(rate_limiter)
    clock.advance(0.35)
    assert rate_limiter.metrics.available == 3
    assert drain(rate_limiter) == 3
    clock.advance(60)
    assert rate_limiter.metrics.available == 10
    assert drain(rate_limiter) == 10


def test_rate_per_minute(clock):
    rate_limiter = limiter(clock, rate=6, per=60, burst=1)
    rate_limiter.acquire()
    with pytest.raises(sr.RateLimitExceededError) as caught:
        rate_limiter.acquire()
    assert caught.value.retry_after == pytest.approx(10.0)


# ---- waiting ---------------------------------------------------------------------------


def test_waiting_sleeps_through_the_clock_until_the_token_is_due(clock):
    rate_limiter = limiter(clock, burst=1, wait=True)
    assert rate_limiter.acquire() == 0.0
    assert rate_limiter.acquire() == pytest.approx(0.1)
    assert rate_limiter.call(lambda: "ran") == "ran"
    assert clock.sleeps == pytest.approx([0.1, 0.1])
    assert rate_limiter.metrics.rejected_calls == 0


def test_a_token_further_away_than_the_timeout_is_refused_without_sleeping(clock):
    rate_limiter = limiter(clock, rate=1, burst=1, wait=True, timeout=0.5)
    rate_limiter.acquire()
    with pytest.raises(sr.RateLimitExceededError) as caught:
        rate_limiter.acquire()
    assert caught.value.retry_after == pytest.approx(1.0)
    assert clock.sleeps == []
    clock.advance(0.5)
    assert rate_limiter.acquire() == pytest.approx(0.5)


def test_acquire_arguments_override_the_limiters_setting(clock):
    refusing = limiter(clock, rate=1, burst=1)
    refusing.acquire()
    assert refusing.acquire(wait=True) == pytest.approx(1.0)
    assert refusing.acquire(timeout=2.0) == pytest.approx(1.0)  # a timeout implies waiting
    with pytest.raises(sr.RateLimitExceededError):
        refusing.acquire(wait=True, timeout=0.5)
    with pytest.raises(ValueError, match="timeout needs wait=True"):
        refusing.acquire(wait=False, timeout=1.0)
    with pytest.raises(ValueError, match="timeout must be"):
        refusing.acquire(timeout=-1)

    waiting = limiter(clock, rate=1, burst=1, wait=True)
    waiting.acquire()
    with pytest.raises(sr.RateLimitExceededError):
        waiting.acquire(wait=False)
    assert waiting.acquire() == pytest.approx(1.0)


def test_waiting_callers_are_served_in_arrival_order(clock):
    rate_limiter = limiter(clock, burst=1)
    rate_limiter.acquire()
    # Reservations are made before anyone sleeps: each caller's token is the next one.
    first = rate_limiter._reserve(math.inf)
    second = rate_limiter._reserve(math.inf)
    assert (first[0], second[0]) == pytest.approx((0.1, 0.2))


def test_a_cancelled_wait_gives_its_token_back_unless_someone_queued_behind(clock):
    rate_limiter = limiter(clock, burst=1)
    rate_limiter.acquire()
    _, ticket = rate_limiter._reserve(math.inf)
    rate_limiter._cancel(ticket)
    assert rate_limiter._reserve(math.inf)[0] == pytest.approx(0.1)  # the same token again

    _, ahead = rate_limiter._reserve(math.inf)
    rate_limiter._reserve(math.inf)
    rate_limiter._cancel(ahead)  # someone queued behind: the schedule stays as it is
    assert rate_limiter._reserve(math.inf)[0] == pytest.approx(0.4)
    assert rate_limiter.metrics.admitted_calls == 1  # a reservation counts once its wait is over


def test_an_interrupted_sync_wait_gives_its_token_back(clock):
    class InterruptedClock(FakeClock):
        def sleep(self, seconds):
            raise KeyboardInterrupt

    interrupted = InterruptedClock()
    rate_limiter = limiter(interrupted, burst=1, wait=True)
    rate_limiter.acquire()
    with pytest.raises(KeyboardInterrupt):
        rate_limiter.acquire()
    assert rate_limiter.metrics.admitted_calls == 1
    with pytest.raises(sr.RateLimitExceededError) as caught:
        rate_limiter.acquire(wait=False)
    assert caught.value.retry_after == pytest.approx(0.1)


# ---- call styles -----------------------------------------------------------------------


def test_call_with_and_decorator(clock):
    rate_limiter = limiter(clock, rate=3)

    @rate_limiter
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert add(1) == 3
    assert add.__name__ == "add"
    assert list(inspect.signature(add).parameters) == ["a", "b"]
    assert add.rate_limiter is rate_limiter  # type: ignore[attr-defined]
    assert rate_limiter.call(add, 1, b=1) == 2  # a decorated function inside: two tokens
    with pytest.raises(sr.RateLimitExceededError), rate_limiter:
        pytest.fail("the block must not run")
    assert rate_limiter.metrics.admitted_calls == 3


@pytest.mark.anyio
async def test_async_call_with_and_decorator(clock):
    rate_limiter = limiter(clock, burst=2, wait=True)

    @rate_limiter
    async def double(x: int) -> int:
        return 2 * x

    assert inspect.iscoroutinefunction(double)
    assert await double(1) == 2
    assert await rate_limiter.call_async(double.__wrapped__, 2) == 4  # type: ignore[attr-defined]
    async with rate_limiter as entered:
        assert entered is rate_limiter
    assert clock.sleeps == pytest.approx([0.1])
    with pytest.raises(sr.RateLimitExceededError):
        await rate_limiter.acquire_async(wait=False)
    assert await rate_limiter.acquire_async(timeout=1.0) == pytest.approx(0.1)


@pytest.mark.anyio
async def test_a_cancelled_async_wait_gives_its_token_back(clock):
    class SlowClock(FakeClock):
        async def sleep_async(self, seconds):
            self.sleeps.append(seconds)
            await anyio.sleep_forever()

    slow = SlowClock()
    rate_limiter = limiter(slow, burst=1, wait=True)
    await rate_limiter.acquire_async()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(rate_limiter.acquire_async)
        while not slow.sleeps:
            await anyio.lowlevel.checkpoint()
        tasks.cancel_scope.cancel()
    assert rate_limiter.metrics.admitted_calls == 1
    with pytest.raises(sr.RateLimitExceededError) as caught:
        await rate_limiter.acquire_async(wait=False)
    assert caught.value.retry_after == pytest.approx(0.1)


# ---- contention ------------------------------------------------------------------------


def hammer(rate_limiter, threads=8, attempts=250):
    """Every thread tries `attempts` times at once; return how many got through."""
    start = threading.Barrier(threads)
    admitted = []

    def attempt_all():
        start.wait()
        got = 0
        for _ in range(attempts):
            try:
                rate_limiter.acquire()
                got += 1
            except sr.RateLimitExceededError:
                pass
        admitted.append(got)

    workers = [threading.Thread(target=attempt_all) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(admitted)


def test_threads_get_exactly_the_burst_then_exactly_the_refill(clock):
    rate_limiter = limiter(clock, rate=10, burst=25)
    assert hammer(rate_limiter) == 25
    for _ in range(20):
        clock.advance(0.3)  # three tokens a round
        assert hammer(rate_limiter, attempts=20) == 3
    metrics = rate_limiter.metrics
    assert metrics.admitted_calls == 25 + 20 * 3
    assert metrics.admitted_calls + metrics.rejected_calls == 8 * 250 + 20 * 8 * 20


def test_threads_that_wait_are_admitted_on_the_exact_schedule(clock):
    rate_limiter = limiter(clock, rate=10, burst=1)
    waits = []
    lock = threading.Lock()

    def reserve():
        wait, _ = rate_limiter._reserve(math.inf)
        with lock:
            waits.append(wait)

    workers = [threading.Thread(target=reserve) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(waits) == pytest.approx([0.1 * n for n in range(8)])

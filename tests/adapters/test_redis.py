"""Breaker state and rate limits shared through a real Redis, across threads and processes.

Async tests here run on asyncio and trio: ``RedisRateLimiter`` asks Redis from a worker
thread, so it needs no async Redis client.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time

import pytest
import redis

import steinresil as sr
from steinresil.adapters.redis import (
    RedisRateLimiter,
    RedisStateStore,
    RedisUnavailableError,
    mask_url,
)
from support.redis_server import RedisProc, free_port
from support.redis_workers import breaker_worker, rate_worker


class Boom(Exception):
    pass


def fail() -> None:
    raise Boom


def trip(breaker: sr.CircuitBreaker) -> None:
    with pytest.raises(Boom):
        breaker.call(fail)


def wait_for(predicate, within: float = 3.0) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            pytest.fail(f"condition not met within {within} s")
        time.sleep(0.002)
    return time.monotonic() - start


@pytest.fixture
def stores(redis_server: RedisProc):
    """Two stores on one Redis: two processes, as far as the breakers can tell."""
    made = [
        RedisStateStore.from_url(redis_server.url, namespace="t", reconnect_interval=0.1)
        for _ in range(2)
    ]
    yield made
    for store in made:
        store.close()


def breaker(store: RedisStateStore, name: str = "pay", reset_timeout: float = 5.0):
    made = sr.CircuitBreaker(
        name, failure_threshold=1, reset_timeout=reset_timeout, state_store=store
    )
    assert store.connected.wait(3)
    return made


# ---- RedisStateStore ------------------------------------------------------------------


def test_open_and_reset_travel_between_stores(stores) -> None:
    here, there = breaker(stores[0]), breaker(stores[1])
    trip(here)
    assert wait_for(lambda: there.state is sr.CircuitState.OPEN) < 0.2
    with pytest.raises(sr.CircuitOpenError) as rejected:
        there.call(lambda: None)
    assert 4.5 < rejected.value.retry_after <= 5.0
    here.reset()
    wait_for(lambda: there.state is sr.CircuitState.CLOSED)
    there.call(lambda: None)


def test_forced_states_travel_too(stores) -> None:
    here, there = breaker(stores[0]), breaker(stores[1])
    here.force_open()
    wait_for(lambda: there.state is sr.CircuitState.FORCED_OPEN)
    there.reset()
    wait_for(lambda: here.state is sr.CircuitState.CLOSED)


def test_a_breaker_that_starts_later_gets_the_wait_that_is_left(stores, redis_server) -> None:
    trip(breaker(stores[0], reset_timeout=2.0))
    time.sleep(0.5)
    late = sr.CircuitBreaker("pay", failure_threshold=1, reset_timeout=2.0, state_store=stores[1])
    assert late.state is sr.CircuitState.OPEN
    assert 0.8 < late.metrics.retry_after <= 1.55  # 2 s less the 0.5 s slept
    with redis.Redis(port=redis_server.port) as raw:
        assert 0 < raw.pttl("t:breaker:pay") <= 1500


def test_a_breaker_that_starts_open_is_not_told_again_when_the_listener_connects(
    stores,
) -> None:
    trip(breaker(stores[0]))
    changes: list[sr.CircuitEvent] = []
    fresh = RedisStateStore.from_url(stores[0].url, namespace="t")
    try:
        late = sr.CircuitBreaker("pay", state_store=fresh, listeners=[changes.append])
        assert late.state is sr.CircuitState.OPEN
        assert fresh.connected.wait(3)
        time.sleep(0.1)
        moves = [
            (c.old_state, c.new_state) for c in changes if isinstance(c, sr.CircuitStateChanged)
        ]
        assert moves == [(sr.CircuitState.CLOSED, sr.CircuitState.OPEN)]  # not OPEN -> OPEN
    finally:
        fresh.close()


def test_breakers_in_one_process_hear_each_other_once(stores) -> None:
    changes: list[sr.CircuitEvent] = []
    first = breaker(stores[0])
    second = sr.CircuitBreaker(
        "pay",
        failure_threshold=1,
        reset_timeout=5,
        state_store=stores[0],
        listeners=[changes.append],
    )
    trip(first)
    assert second.state is sr.CircuitState.OPEN  # at once: delivered in this process
    time.sleep(0.2)  # Redis echoes it back; the echo must not count twice
    assert len([c for c in changes if isinstance(c, sr.CircuitStateChanged)]) == 1


def test_a_flushed_or_expired_key_is_not_an_error(stores, redis_server, caplog) -> None:
    here, there = breaker(stores[0]), breaker(stores[1])
    trip(here)
    wait_for(lambda: there.state is sr.CircuitState.OPEN)
    with redis.Redis(port=redis_server.port) as raw:
        raw.flushall()
    joiner = sr.CircuitBreaker("pay", failure_threshold=1, state_store=stores[1])
    assert joiner.state is sr.CircuitState.CLOSED
    here.reset()
    wait_for(lambda: there.state is sr.CircuitState.CLOSED)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_redis_killed_breakers_decide_locally_and_rejoin(stores, redis_server) -> None:
    here, there = breaker(stores[0]), breaker(stores[1])
    redis_server.kill9()
    wait_for(lambda: not stores[0].connected.is_set() and not stores[1].connected.is_set())
    started = time.monotonic()
    trip(here)  # the publish must not block or raise with Redis gone
    assert time.monotonic() - started < 0.5
    assert here.state is sr.CircuitState.OPEN
    there.call(lambda: None)  # the other side still decides for itself
    newcomer = sr.CircuitBreaker("pay", state_store=stores[1])  # no Redis to ask: quick
    assert time.monotonic() - started < 1.0
    assert newcomer.state is sr.CircuitState.CLOSED
    redis_server.start()
    wait_for(lambda: there.state is sr.CircuitState.OPEN)  # the pending state is sent
    assert here.state is sr.CircuitState.OPEN


def test_namespaces_do_not_mix(redis_server) -> None:
    with (
        RedisStateStore.from_url(redis_server.url, namespace="a") as a,
        RedisStateStore.from_url(redis_server.url, namespace="b") as b,
    ):
        here, there = breaker(a), breaker(b)
        trip(here)
        time.sleep(0.2)
        assert there.state is sr.CircuitState.CLOSED


def test_wrong_port_keeps_breakers_local_and_names_the_url(caplog) -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with RedisStateStore.from_url(url, reconnect_interval=0.1) as store:
        started = time.monotonic()
        local = sr.CircuitBreaker("pay", failure_threshold=1, state_store=store)
        trip(local)
        assert time.monotonic() - started < 1.0
        assert local.state is sr.CircuitState.OPEN
        wait_for(lambda: "unavailable" in caplog.text)
    assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in caplog.text
    assert "s3cret" not in caplog.text


def test_ping_names_the_unreachable_url_without_its_password(redis_server) -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with RedisStateStore.from_url(url) as store:
        with pytest.raises(RedisUnavailableError, match=r"redis://:\*\*\*@127.0.0.1") as caught:
            store.ping()
        assert "s3cret" not in str(caught.value)
    limiter = RedisRateLimiter.from_url(url, name="x", rate=1)
    with pytest.raises(RedisUnavailableError, match=r"redis://:\*\*\*@127.0.0.1"):
        limiter.ping()
    limiter.close()
    with RedisStateStore.from_url(redis_server.url) as store:
        store.ping()


@pytest.mark.parametrize(
    "url", ["localhost:6379", "redis://:s3cret@localhost:port/0", "ftp://x", None]
)
def test_malformed_urls_are_refused_naming_them(url) -> None:
    with pytest.raises(ValueError, match="url") as caught:
        RedisStateStore.from_url(url)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(ValueError, match="url"):
        RedisRateLimiter.from_url(url, name="x", rate=1)


def test_mask_url_hides_passwords_only() -> None:
    assert mask_url("redis://user:pw@h:1/0") == "redis://user:***@h:1/0"
    assert mask_url("rediss://:pw@h/0?password=pw2&db=1") == "rediss://:***@h/0?password=***&db=1"
    assert mask_url("redis://h:6379/0") == "redis://h:6379/0"
    assert mask_url("redis://:p@ss@h/0") == "redis://:***@h/0"  # an unescaped "@" in it


# ---- across OS processes --------------------------------------------------------------


def next_event(events, what: str, within: float = 5.0):
    deadline = time.monotonic() + within
    while True:
        item = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if item[1] == what:
            return item


def test_three_processes_share_one_breaker(redis_server: RedisProc) -> None:
    context = multiprocessing.get_context("spawn")
    commands = [context.Queue() for _ in range(3)]
    events = context.Queue()
    workers = [
        context.Process(
            target=breaker_worker, args=(redis_server.url, "mp", i, commands[i], events)
        )
        for i in range(3)
    ]
    for worker in workers:
        worker.start()
    try:
        ready = [next_event(events, "ready", within=20) for _ in range(3)]
        assert all(item[2] == "closed" for item in ready)

        commands[0].put("trip")
        seen = {}
        while len(seen) < 3:
            index, what, value, at = events.get(timeout=5)
            if what == "state" and value == "open":
                seen[index] = at
        assert max(seen[1], seen[2]) - seen[0] < 0.2  # the others reject within 200 ms

        for i in (1, 2):
            commands[i].put("call")
            assert next_event(events, "call")[2] == "rejected"

        commands[1].put("reset")
        closed = set()
        while len(closed) < 3:
            index, what, value, _ = events.get(timeout=5)
            if what == "state" and value == "closed":
                closed.add(index)

        redis_server.kill9()
        time.sleep(0.2)
        commands[2].put("trip")
        assert next_event(events, "trip")[2] == "ok"  # no error from the store
        commands[0].put("call")
        assert next_event(events, "call")[2] == "ok"  # decided locally: still closed
    finally:
        for command in commands:
            command.put("stop")
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for q in (*commands, events):
            q.close()
            q.join_thread()
    assert [worker.exitcode for worker in workers] == [0, 0, 0]


def test_four_processes_never_admit_more_than_the_limit(redis_server: RedisProc) -> None:
    rate, duration = 10, 2.0
    context = multiprocessing.get_context("spawn")
    results, go = context.Queue(), context.Event()
    workers = [
        context.Process(
            target=rate_worker,
            args=(redis_server.url,),
            kwargs={
                "name": "shared",
                "rate": rate,
                "threads": 4,
                "duration": duration,
                "go": go,
                "results": results,
            },
        )
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    try:
        assert [results.get(timeout=30) for _ in workers] == ["ready"] * 4
        go.set()  # all at once, after every child has started and imported
        outcomes = [results.get(timeout=30) for _ in workers]
    finally:
        for worker in workers:
            worker.join(10)
        results.close()
        results.join_thread()
    admitted = sorted(t for times, _, _ in outcomes for t in times)
    assert [errors for _, errors, _ in outcomes] == [[], [], [], []]
    assert all(stats["active"] == "redis" for _, _, stats in outcomes)
    # A bucket of `rate` tokens refilled at `rate` per second: in any stretch of time t,
    # at most rate + rate * t calls pass (plus one for the clocks of the recording threads).
    slack = 0.05
    for i, first in enumerate(admitted):
        for j in range(i, len(admitted)):
            assert j - i + 1 <= rate + rate * (admitted[j] - first + slack) + 1e-9
    assert len(admitted) >= rate + rate * duration - 3  # one limit, honoured, not starved
    assert len(admitted) <= rate + rate * duration + 1


# ---- RedisRateLimiter in one process ---------------------------------------------------


@pytest.fixture
def limiter(redis_server: RedisProc):
    made = RedisRateLimiter.from_url(
        redis_server.url, name="login", rate=2, per=1.0, probe_interval=0.1
    )
    yield made
    made.close()


def test_limiter_refuses_with_retry_after_and_waits_when_asked(limiter) -> None:
    assert limiter.try_acquire()
    assert limiter.acquire() == 0.0
    assert 0.2 < limiter.retry_after() <= 0.5  # a token every 0.5 s
    with pytest.raises(sr.RateLimitExceededError) as refused:
        limiter.acquire()
    assert refused.value.name == "login"
    assert 0.2 < refused.value.retry_after <= 0.5
    assert 0 < limiter.acquire(wait=True, timeout=1.0) <= 0.5
    assert not limiter.try_acquire()
    assert limiter.stats()["admitted_calls"] == 3
    assert limiter.stats()["rejected_calls"] == 2


def test_limiter_keys_are_separate_limits(limiter) -> None:
    assert limiter.try_acquire(key="alice")
    assert limiter.try_acquire(key="alice")
    assert not limiter.try_acquire(key="alice")
    assert limiter.try_acquire(key="bob")


@pytest.mark.anyio
async def test_limiter_async_drivers_on_asyncio_and_trio(limiter) -> None:
    @limiter
    async def login() -> str:
        return "in"

    assert await login() == "in"
    async with limiter:
        pass
    assert not await limiter.try_acquire_async()
    assert await limiter.retry_after_async() > 0
    assert 0 < await limiter.acquire_async(wait=True) <= 0.5


def test_limiter_falls_back_to_local_when_redis_dies_and_returns(limiter, redis_server) -> None:
    redis_server.kill9()
    errors: list[BaseException] = []
    slowest = [0.0]

    def hammer() -> None:
        for _ in range(50):
            started = time.monotonic()
            try:
                limiter.try_acquire()
            except BaseException as exc:
                errors.append(exc)
            slowest[0] = max(slowest[0], time.monotonic() - started)
            time.sleep(0.005)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert slowest[0] < 1.0
    assert limiter.active == "local"
    assert limiter.stats()["fallbacks"] == 1
    # the local limit is the same rate: 2 at once, then refused
    assert 0 < limiter.retry_after() <= 0.5
    redis_server.start()
    time.sleep(0.15)
    limiter.try_acquire()
    assert limiter.active == "redis"


def test_limiter_with_redis_missing_from_the_start_is_local_and_quick() -> None:
    limiter = RedisRateLimiter.from_url(f"redis://127.0.0.1:{free_port()}/0", name="x", rate=1)
    try:
        started = time.monotonic()
        assert limiter.try_acquire()
        assert not limiter.try_acquire()
        assert time.monotonic() - started < 1.0
        assert limiter.active == "local"
    finally:
        limiter.close()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"rate": 0}, "rate must be > 0"),
        ({"rate": 1, "per": -1}, "per must be > 0"),
        ({"rate": 1, "timeout": 1}, "timeout needs wait=True"),
        ({"rate": 1, "name": ""}, "name must be a non-empty string"),
    ],
)
def test_limiter_bad_options_are_refused(options, match) -> None:
    options = {"name": "x", **options}
    with pytest.raises(ValueError, match=match):
        RedisRateLimiter.from_url("redis://127.0.0.1:6379/0", **options)

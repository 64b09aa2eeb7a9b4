"""HealthAggregator: results, roll-up, timeouts, concurrency, caching, breakers, JSON."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest

import steinresil as sr
from steinresil.testing import FakeClock, set_state

if TYPE_CHECKING:
    from collections.abc import Iterator

HEALTHY, DEGRADED, UNHEALTHY = (
    sr.HealthStatus.HEALTHY,
    sr.HealthStatus.DEGRADED,
    sr.HealthStatus.UNHEALTHY,
)
SHORT = 0.03  # the few real timeouts in this file: a hung check is abandoned after this


@pytest.fixture
def release() -> Iterator[list[threading.Event]]:
    """Events that hung sync checks wait on; set at teardown so no thread outlives the test."""
    events: list[threading.Event] = []
    yield events
    for event in events:
        event.set()


def hung_sync_check(release: list[threading.Event]):
    event = threading.Event()
    release.append(event)

    def check() -> bool:
        event.wait()
        return True

    return check


async def hang() -> bool:
    await anyio.Event().wait()
    return True


class Counter:
    """A check that counts its runs and answers ``result``."""

    def __init__(self, result: object = True) -> None:
        self.runs = 0
        self.result = result

    def __call__(self) -> object:
        self.runs += 1
        return self.result


# ---- statuses and what checks may return -------------------------------------------------


def test_status_codes_for_gauges() -> None:
    assert [s.code for s in (HEALTHY, DEGRADED, UNHEALTHY)] == [0, 1, 2]
    assert [s.value for s in sr.HealthStatus] == ["healthy", "degraded", "unhealthy"]


@pytest.mark.parametrize(
    ("returned", "status", "error"),
    [
        (True, HEALTHY, None),
        (None, HEALTHY, None),
        (False, UNHEALTHY, "check returned False"),
        (DEGRADED, DEGRADED, None),
        (sr.ComponentHealth(DEGRADED, {"pool": 3}, error="slow"), DEGRADED, "slow"),
        (
            "yes",
            UNHEALTHY,
            "check returned 'yes'; expected a bool, HealthStatus or ComponentHealth",
        ),
    ],
)
def test_what_a_check_returns(returned, status, error) -> None:
    health = sr.HealthAggregator()
    health.register("c", lambda: returned)
    part = health.check().components["c"]
    assert (part.status, part.error) == (status, error)


def test_component_health_details_and_own_latency_are_reported(clock) -> None:
    health = sr.HealthAggregator(clock=clock)
    health.register("db", lambda: sr.ComponentHealth(HEALTHY, {"version": "16"}, latency=0.004))
    part = health.check().components["db"]
    assert part.details == {"version": "16"}
    assert part.latency == 0.004
    assert part.to_dict()["latency_ms"] == 4.0


def test_latency_is_measured_on_the_clock(clock) -> None:
    def slow_check() -> bool:
        clock.advance(0.25)
        return True

    health = sr.HealthAggregator(clock=clock)
    health.register("db", slow_check)
    report = health.check()
    assert report.components["db"].latency == 0.25
    assert report.duration == 0.25


def test_component_health_refuses_a_status_that_is_not_one() -> None:
    with pytest.raises(ValueError, match="status must be a HealthStatus"):
        sr.ComponentHealth("healthy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="latency"):
        sr.ComponentHealth(HEALTHY, latency=-1.0)


# ---- roll-up -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], HEALTHY),
        ([(HEALTHY, True), (HEALTHY, False)], HEALTHY),
        ([(HEALTHY, True), (DEGRADED, True)], DEGRADED),
        ([(HEALTHY, True), (DEGRADED, False)], DEGRADED),
        ([(HEALTHY, True), (UNHEALTHY, False)], DEGRADED),
        ([(UNHEALTHY, True), (HEALTHY, False)], UNHEALTHY),
        ([(DEGRADED, False), (UNHEALTHY, True)], UNHEALTHY),
    ],
)
def test_roll_up(parts, expected) -> None:
    health = sr.HealthAggregator()
    for index, (status, critical) in enumerate(parts):
        health.register(f"c{index}", lambda status=status: status, critical=critical)
    assert health.check().status is expected


# ---- failures: raising and timing out ------------------------------------------------------


def test_a_raising_sync_check_is_unhealthy_with_the_error_text() -> None:
    def broken() -> bool:
        raise ConnectionRefusedError("db:5432 refused")

    health = sr.HealthAggregator()
    health.register("db", broken)
    part = health.check().components["db"]
    assert part.status is UNHEALTHY
    assert part.error == "ConnectionRefusedError: db:5432 refused"


@pytest.mark.anyio
async def test_a_raising_async_check_is_unhealthy_with_the_error_text() -> None:
    async def broken() -> bool:
        raise RuntimeError

    health = sr.HealthAggregator()
    health.register("ai", broken, critical=False)
    report = await health.check_async()
    assert report.components["ai"].error == "RuntimeError"
    assert report.status is DEGRADED


def test_a_check_raising_timeout_error_itself_is_not_mistaken_for_our_timeout() -> None:
    async def check() -> bool:
        raise TimeoutError("socket timed out")

    health = sr.HealthAggregator()
    health.register("redis", check)
    assert health.check().components["redis"].error == "TimeoutError: socket timed out"


@pytest.mark.anyio
async def test_hanging_async_checks_time_out_together_not_one_after_another() -> None:
    started: list[str] = []
    seen_when_cancelled: list[int] = []

    async def hang_and_count() -> bool:
        started.append("x")
        try:
            await anyio.Event().wait()
        finally:  # run together, every check has begun before the first is cancelled
            seen_when_cancelled.append(len(started))
        return True

    health = sr.HealthAggregator(timeout=SHORT)
    for name in ("a", "b", "c", "d", "e"):
        health.register(name, hang_and_count, critical=False)
    health.register("ok", lambda: True)
    report = await health.check_async()
    assert seen_when_cancelled == [5] * 5  # one after another, the first would see 1
    assert report.status is DEGRADED
    assert report.components["a"].error == f"timed out after {SHORT:g} s"
    assert report.components["a"].latency == SHORT
    assert report.components["ok"].status is HEALTHY


def test_sync_checks_run_together_in_sync_check() -> None:
    # Five checks that can only pass together: each waits for all five to have begun.
    # Run one after another, the first would wait alone and time out.
    barrier = threading.Barrier(5)

    def together() -> bool:
        barrier.wait(timeout=10)
        return True

    health = sr.HealthAggregator(timeout=20)
    for name in ("a", "b", "c", "d", "e"):
        health.register(name, together)
    report = health.check()
    assert report.status is HEALTHY


def test_hanging_sync_checks_time_out_with_the_reason(release) -> None:
    health = sr.HealthAggregator(timeout=SHORT)
    for name in ("a", "b", "c", "d", "e"):
        health.register(name, hung_sync_check(release))
    health.register("async_hang", hang)
    report = health.check()
    assert report.status is UNHEALTHY
    assert {part.error for part in report.components.values()} == {f"timed out after {SHORT:g} s"}


@pytest.mark.anyio
async def test_a_hanging_sync_check_times_out_in_check_async(release) -> None:
    health = sr.HealthAggregator(timeout=SHORT)
    health.register("legacy", hung_sync_check(release))
    report = await health.check_async()
    assert report.components["legacy"].error == f"timed out after {SHORT:g} s"


def test_a_check_gets_its_own_timeout(release) -> None:
    health = sr.HealthAggregator(timeout=60.0)
    health.register("quick", hung_sync_check(release), timeout=SHORT)
    started = time.perf_counter()
    assert health.check().components["quick"].error == f"timed out after {SHORT:g} s"
    assert time.perf_counter() - started < 60.0


def test_a_hung_check_is_not_started_again_while_its_thread_still_runs(release) -> None:
    runs = 0
    event = threading.Event()
    release.append(event)

    def check() -> bool:
        nonlocal runs
        runs += 1
        event.wait()
        return True

    health = sr.HealthAggregator(timeout=SHORT)
    health.register("stuck", check)
    assert health.check().components["stuck"].error == f"timed out after {SHORT:g} s"
    second = health.check().components["stuck"]
    assert second.error == "still running from an earlier check that timed out"
    assert runs == 1  # no second thread piled up behind the first
    event.set()
    deadline = time.monotonic() + 2.0
    while health.check().components["stuck"].status is not HEALTHY:  # pragma: no branch
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert runs == 2


@pytest.mark.anyio
async def test_check_async_does_not_restart_a_hung_sync_check_either(release) -> None:
    health = sr.HealthAggregator(timeout=SHORT)
    health.register("stuck", hung_sync_check(release))
    await health.check_async()
    report = await health.check_async()
    assert report.components["stuck"].error == "still running from an earlier check that timed out"


def test_a_check_that_cannot_get_a_thread_is_unhealthy(monkeypatch) -> None:
    def no_threads(target, name) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr("steinresil._health.start_daemon_thread", no_threads)
    health = sr.HealthAggregator()
    health.register("db", lambda: True)
    assert health.check().components["db"].error == "RuntimeError: can't start new thread"
    monkeypatch.undo()
    assert health.check().status is HEALTHY  # nothing was left marked as running


# ---- where checks run -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_sync_checks_run_off_the_loop() -> None:
    # The sync check can only finish if the async one runs meanwhile: were the sync check
    # run on the loop's thread, it would block the loop and wait in vain.
    ready = threading.Event()

    def sync_check() -> bool:
        return ready.wait(timeout=5.0)

    async def async_check() -> bool:
        await anyio.lowlevel.checkpoint()
        ready.set()
        return True

    health = sr.HealthAggregator(timeout=10.0)
    health.register("sync", sync_check)
    health.register("async", async_check)
    report = await health.check_async()
    assert report.status is HEALTHY


def test_sync_check_runs_async_checks_on_a_fresh_loop() -> None:
    async def check() -> bool:
        await asyncio.sleep(0)
        return True

    health = sr.HealthAggregator()
    health.register("async", check)
    assert health.check().status is HEALTHY


@pytest.mark.anyio
async def test_sync_check_can_be_called_from_inside_a_running_loop() -> None:
    async def check() -> sr.HealthStatus:
        await asyncio.sleep(0)
        return DEGRADED

    health = sr.HealthAggregator()
    health.register("async", check)
    assert health.check().status is DEGRADED


def test_an_object_with_an_async_call_method_is_an_async_check() -> None:
    class Probe:
        async def __call__(self) -> bool:
            await asyncio.sleep(0)
            return False

    health = sr.HealthAggregator()
    health.register("probe", Probe())
    assert health.check().components["probe"].error == "check returned False"


@pytest.mark.anyio
async def test_a_sync_check_returning_a_coroutine_is_reported_not_leaked() -> None:
    async def real_check() -> bool:
        return True

    health = sr.HealthAggregator()
    lazy = lambda: real_check()  # noqa: E731, PLW0108 - sync, yet it returns a coroutine
    health.register("lambda", lazy)
    report = await health.check_async()
    assert report.components["lambda"].error == (
        "check returned an awaitable; declare it with async def"
    )


# ---- caching and sharing one run -------------------------------------------------------------


def test_cache_ttl_runs_each_check_at_most_once_per_ttl(clock) -> None:
    db = Counter()
    health = sr.HealthAggregator(cache_ttl=5.0, clock=clock)
    health.register("db", db)
    for _ in range(10):
        health.check()
    assert db.runs == 1
    clock.advance(4.9)
    health.check()
    assert db.runs == 1
    clock.advance(0.1)
    health.check()
    assert db.runs == 2


@pytest.mark.anyio
async def test_cache_ttl_applies_to_check_async_too(clock) -> None:
    db = Counter()
    health = sr.HealthAggregator(cache_ttl=5.0, clock=clock)
    health.register("db", db)
    await health.check_async()
    health.check()
    await health.check_async()
    assert db.runs == 1
    clock.advance(5.0)
    await health.check_async()
    assert db.runs == 2


def test_without_ttl_every_check_runs_again() -> None:
    db = Counter()
    health = sr.HealthAggregator()
    health.register("db", db)
    health.check()
    health.check()
    assert db.runs == 2


@pytest.mark.anyio
@pytest.mark.parametrize("ttl", [0.0, 10.0])
async def test_a_thousand_concurrent_check_async_calls_run_each_check_once(clock, ttl) -> None:
    gate = anyio.Event()
    runs = {"async": 0, "sync": 0}
    sync_gate = threading.Event()

    async def async_check() -> bool:
        runs["async"] += 1
        await gate.wait()
        return True

    def sync_check() -> bool:
        runs["sync"] += 1
        return sync_gate.wait(timeout=5.0)

    health = sr.HealthAggregator(timeout=10.0, cache_ttl=ttl, clock=clock)
    health.register("async", async_check)
    health.register("sync", sync_check)
    reports: list[sr.HealthReport] = []

    async def probe() -> None:
        reports.append(await health.check_async())

    async with anyio.create_task_group() as group:
        for _ in range(1000):
            group.start_soon(probe)
        for _ in range(10):  # let every caller reach the point where it waits
            await anyio.lowlevel.checkpoint()
        gate.set()
        sync_gate.set()
    assert runs == {"async": 1, "sync": 1}
    assert len(reports) == 1000
    assert {report.status for report in reports} == {HEALTHY}


def test_concurrent_sync_callers_share_one_run() -> None:
    runs = 0
    gate = threading.Event()

    def check() -> bool:
        nonlocal runs
        runs += 1
        return gate.wait(timeout=5.0)

    health = sr.HealthAggregator(timeout=10.0)
    health.register("db", check)
    statuses: list[sr.HealthStatus] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(health.check().status)) for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    while runs == 0:
        time.sleep(0.001)
    gate.set()
    for thread in threads:
        thread.join()
    assert runs == 1
    assert statuses == [HEALTHY] * 20


@pytest.mark.anyio
async def test_when_the_task_running_a_check_is_cancelled_a_waiter_takes_over() -> None:
    runs = 0
    started = anyio.Event()
    gate = anyio.Event()

    async def check() -> bool:
        nonlocal runs
        runs += 1
        started.set()
        await gate.wait()
        return True

    health = sr.HealthAggregator(timeout=10.0)
    health.register("db", check)
    reports: list[sr.HealthReport] = []

    async def waiter() -> None:
        reports.append(await health.check_async())

    async with anyio.create_task_group() as outer:
        with anyio.CancelScope() as owner_scope:
            async with anyio.create_task_group() as owner_group:
                owner_group.start_soon(health.check_async)
                await started.wait()
                outer.start_soon(waiter)
                await anyio.lowlevel.checkpoint()
                owner_scope.cancel()
        gate.set()
    assert runs == 2
    assert [report.status for report in reports] == [HEALTHY]


@pytest.mark.anyio
async def test_a_sync_caller_takes_over_a_check_whose_task_was_cancelled() -> None:
    runs = 0
    started = anyio.Event()

    async def check() -> bool:
        nonlocal runs
        runs += 1
        if runs == 1:
            started.set()
            await anyio.Event().wait()  # the first run hangs until cancelled
        return True

    health = sr.HealthAggregator(timeout=10.0)
    health.register("db", check)
    async with anyio.create_task_group() as group:
        with anyio.CancelScope() as owner_scope:
            async with anyio.create_task_group() as owner_group:
                owner_group.start_soon(health.check_async)
                await started.wait()
                group.start_soon(anyio.to_thread.run_sync, health.check)
                await anyio.sleep(0.01)  # let the thread start waiting (either order works)
                owner_scope.cancel()
    assert runs == 2
    assert health.last_report is not None
    assert health.last_report.status is HEALTHY


# ---- breakers --------------------------------------------------------------------------------


def test_an_open_breaker_degrades_the_report(clock) -> None:
    registry = sr.Registry()
    payments = sr.CircuitBreaker("payments", reset_timeout=30.0, clock=clock, registry=registry)
    health = sr.HealthAggregator(clock=clock)
    health.register("db", lambda: True)
    health.attach_breakers(registry)
    assert health.check().status is HEALTHY
    set_state(payments, sr.CircuitState.OPEN)
    clock.advance(10.0)
    report = health.check()
    assert report.status is DEGRADED
    part = report.components["circuit:payments"]
    assert part.critical is False
    assert part.error == "circuit is open"
    assert part.details["state"] == "open"
    assert part.details["retry_after"] == 20.0


def test_open_is_unhealthy_fails_the_report(clock) -> None:
    breaker = sr.CircuitBreaker("ai", clock=clock)
    health = sr.HealthAggregator(clock=clock)
    health.attach_breakers([breaker], open_is=UNHEALTHY, prefix="breaker/")
    breaker.force_open()
    report = health.check()
    assert report.status is UNHEALTHY
    part = report.components["breaker/ai"]
    assert part.critical is True
    assert part.details["retry_after"] is None  # forced open: no retry time, and JSON has no inf
    json.dumps(report.to_dict(), allow_nan=False)


def test_a_half_open_breaker_is_degraded_even_when_open_is_unhealthy(clock) -> None:
    breaker = sr.CircuitBreaker("ai", clock=clock)
    health = sr.HealthAggregator(clock=clock)
    health.attach_breakers([breaker], open_is=UNHEALTHY)
    set_state(breaker, sr.CircuitState.HALF_OPEN)
    assert health.check().components["circuit:ai"].status is DEGRADED


@pytest.mark.anyio
async def test_breakers_registered_later_show_up_in_check_async(clock) -> None:
    registry = sr.Registry()
    health = sr.HealthAggregator(clock=clock)
    health.attach_breakers(registry)
    assert (await health.check_async()).components == {}
    late = sr.CircuitBreaker("late", clock=clock, registry=registry)
    late.force_open()
    report = await health.check_async()
    assert list(report.components) == ["circuit:late"]
    assert report.status is DEGRADED


def test_a_check_with_the_same_name_as_a_breaker_wins(clock) -> None:
    breaker = sr.CircuitBreaker("db", clock=clock)
    breaker.force_open()
    health = sr.HealthAggregator(clock=clock)
    health.attach_breakers([breaker], prefix="")
    health.register("db", lambda: True)
    assert health.check().status is HEALTHY


def test_attach_breakers_refuses_nonsense() -> None:
    health = sr.HealthAggregator()
    with pytest.raises(ValueError, match="open_is must be DEGRADED or UNHEALTHY"):
        health.attach_breakers([], open_is=HEALTHY)
    with pytest.raises(ValueError, match="breakers must be a Registry or CircuitBreakers"):
        health.attach_breakers(["payments"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="prefix"):
        health.attach_breakers([], prefix=None)  # type: ignore[arg-type]


# ---- the report ------------------------------------------------------------------------------


def test_to_dict_is_json_ready() -> None:
    health = sr.HealthAggregator()
    health.register("db", lambda: sr.ComponentHealth(HEALTHY, {"pool": 5}))
    health.register("redis", lambda: False, critical=False)
    report = health.check()
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert set(data) == {"status", "timestamp", "components"}
    assert data["status"] == "degraded"
    assert data["timestamp"].endswith("Z")
    assert datetime.fromisoformat(data["timestamp"]) == report.timestamp.replace(
        microsecond=report.timestamp.microsecond // 1000 * 1000
    )
    assert list(data["components"]) == ["db", "redis"]
    db = data["components"]["db"]
    assert set(db) == {"status", "critical", "latency_ms", "details", "error"}
    assert db["details"] == {"pool": 5}
    assert data["components"]["redis"] == {
        "status": "unhealthy",
        "critical": False,
        "latency_ms": data["components"]["redis"]["latency_ms"],
        "details": {},
        "error": "check returned False",
    }
    assert report.status.code == 1


def test_last_report_and_names() -> None:
    health = sr.HealthAggregator()
    assert health.last_report is None
    health.register("db", lambda: True)
    health.register("cache", lambda: True, critical=False)
    assert health.names == ("db", "cache")
    report = health.check()
    assert health.last_report is report
    health.unregister("cache")
    assert health.names == ("db",)
    assert "db" in repr(health)


# ---- events ----------------------------------------------------------------------------------


def test_events_for_finished_checks_and_status_changes(clock) -> None:
    events: list[object] = []
    state = {"db": True}
    health = sr.HealthAggregator(cache_ttl=1.0, clock=clock, listeners=[events.append])
    health.register("db", lambda: state["db"])
    health.check()
    health.check()  # cached: no new check event, no change
    assert [type(event).__name__ for event in events] == [
        "HealthCheckFinished",
        "HealthStatusChanged",
    ]
    first_change = events[1]
    assert isinstance(first_change, sr.HealthStatusChanged)
    assert (first_change.old_status, first_change.new_status) == (None, HEALTHY)
    state["db"] = False
    clock.advance(1.0)
    events.clear()
    health.check()
    finished, changed = events
    assert isinstance(finished, sr.HealthCheckFinished)
    assert finished.component.status is UNHEALTHY
    assert isinstance(changed, sr.HealthStatusChanged)
    assert (changed.old_status, changed.new_status) == (HEALTHY, UNHEALTHY)


def test_a_listener_that_raises_is_logged_and_ignored(caplog) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    health = sr.HealthAggregator()
    health.add_listener(broken)
    health.register("db", lambda: True)
    assert health.check().status is HEALTHY
    assert "listener bug" in caplog.text


def test_going_unhealthy_is_logged_as_a_warning(caplog) -> None:
    health = sr.HealthAggregator()
    health.register("db", lambda: False)
    health.check()
    assert "health is unhealthy (was None): db" in caplog.text


# ---- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"cache_ttl": -0.1}, "cache_ttl"),
        ({"cache_ttl": "5"}, "cache_ttl"),
    ],
)
def test_bad_configuration_names_the_field(options, field) -> None:
    with pytest.raises(ValueError, match=field):
        sr.HealthAggregator(**options)


def test_register_refuses_nonsense() -> None:
    health = sr.HealthAggregator()
    health.register("db", lambda: True)
    with pytest.raises(ValueError, match="'db' is registered already"):
        health.register("db", lambda: True)
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        health.register("", lambda: True)
    with pytest.raises(ValueError, match="check must be a callable"):
        health.register("x", check=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="critical must be True or False"):
        health.register("x", lambda: True, critical="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        health.register("x", lambda: True, timeout=0)
    with pytest.raises(ValueError, match="no check named 'x'"):
        health.unregister("x")


def test_timedelta_durations_are_accepted() -> None:
    health = sr.HealthAggregator(timeout=timedelta(seconds=3), cache_ttl=timedelta(minutes=1))
    assert (health.timeout, health.cache_ttl) == (3.0, 60.0)


def test_an_empty_aggregator_is_healthy() -> None:
    assert sr.HealthAggregator().check().status is HEALTHY


@pytest.mark.anyio
async def test_an_empty_aggregator_is_healthy_async() -> None:
    assert (await sr.HealthAggregator().check_async()).status is HEALTHY


def test_clock_defaults_to_the_system_clock() -> None:
    assert sr.HealthAggregator().clock is sr.system_clock
    assert isinstance(FakeClock(), sr.Clock)


# ---- check() on a thread that runs the loop of an in-flight check_async (issue 8, item 12) ---


@pytest.mark.anyio
async def test_a_sync_check_on_the_loop_thread_does_not_wait_for_the_blocked_loop() -> None:
    began = anyio.Event()

    async def quick() -> bool:
        began.set()
        await anyio.lowlevel.checkpoint()
        return True

    health = sr.HealthAggregator(timeout=1.0, cache_ttl=60.0)
    health.register("db", quick)
    async with anyio.create_task_group() as tg:
        tg.start_soon(health.check_async)
        await began.wait()  # the async run is in flight, on this loop
        report = health.check()  # blocks this loop; must not wait for the run it blocks
    assert report.status is sr.HealthStatus.HEALTHY
    assert report.components["db"].error is None
    cached = await health.check_async()
    assert cached.status is sr.HealthStatus.HEALTHY  # no timeout was cached either


@pytest.mark.parametrize("timeout", [1e10, float(threading.TIMEOUT_MAX) * 10])
def test_a_timeout_beyond_what_the_os_can_wait_for_still_works(timeout: float) -> None:
    release = threading.Event()

    def slow() -> bool:  # still running when check() starts to wait
        return release.wait(5)

    health = sr.HealthAggregator(timeout=timeout)
    health.register("db", slow)
    timer = threading.Timer(0.05, release.set)
    timer.start()
    try:
        assert health.check().status is sr.HealthStatus.HEALTHY
    finally:
        timer.cancel()


@pytest.mark.anyio
async def test_a_huge_timeout_works_async_too() -> None:
    health = sr.HealthAggregator(timeout=1e10)
    health.register("db", lambda: True)
    assert (await health.check_async()).components["db"].status is sr.HealthStatus.HEALTHY

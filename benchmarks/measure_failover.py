"""Fail-over timings against a private redis-server (killed with -9 and restarted).

    .venvs/py3.11/bin/python benchmarks/measure_failover.py

Prints, for the docs and the issue note:
- kill -9 -> first session operation served by memory (target < 1 s, aim < 100 ms),
  and Redis back -> FailoverSessionStore serving from Redis again;
- breaker opened in one process -> the breaker of the same name in another process
  opened, through RedisStateStore (target < 200 ms, aim < 20 ms);
- session get/set through FailoverSessionStore vs raw redis-py on the same Redis
  (interleaved rounds, fastest round of each; target <= 1.1x).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import redis.asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import steinresil as sr
from steinresil.adapters.redis import RedisStateStore
from steinresil.adapters.sessions import (
    FailoverSessionStore,
    MemorySessionStore,
    RedisSessionStore,
)
from support.redis_server import RedisProc

DATA = {"user_id": 42, "roles": ["admin", "user"], "csrf": "x" * 32}


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    median = statistics.median(ms)
    return f"median {median:.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms (n={len(ms)})"


async def failover_times(server: RedisProc, trials: int) -> tuple[list[float], list[float]]:
    to_memory, to_redis = [], []
    store = FailoverSessionStore(
        RedisSessionStore.from_url(server.url, prefix="m:"),
        MemorySessionStore(),
        probe_interval=0.05,
    )
    served: list[tuple[float, str]] = []
    running = True

    async def traffic() -> None:
        n = 0
        while running:
            n += 1
            await store.set(f"s{n}", DATA, 60)
            served.append((time.monotonic(), store.active))
            await asyncio.sleep(0.001)

    task = asyncio.create_task(traffic())
    try:
        for _ in range(trials):
            await asyncio.sleep(0.2)
            killed = time.monotonic()
            server.kill9()
            # Polling on purpose: we measure what a caller sees, not what we could signal.
            while not any(at > killed and where == "memory" for at, where in served[-50:]):  # noqa: ASYNC110
                await asyncio.sleep(0.0005)
            first = min(at for at, where in served[-50:] if at > killed and where == "memory")
            to_memory.append(first - killed)
            await asyncio.sleep(0.2)
            server.start()
            back = time.monotonic()
            while store.active != "redis":  # noqa: ASYNC110 - polling, as a status page would
                await asyncio.sleep(0.001)
            to_redis.append(time.monotonic() - back)
    finally:
        running = False
        await task
        await store.aclose()
    return to_memory, to_redis


def _listener(url: str, ready, events, stop) -> None:  # a child process
    store = RedisStateStore.from_url(url, namespace="measure")

    def tell(event: sr.CircuitEvent) -> None:
        if isinstance(event, sr.CircuitStateChanged) and event.new_state is sr.CircuitState.OPEN:
            events.put(time.time())

    breaker = sr.CircuitBreaker(
        "p", failure_threshold=1, reset_timeout=60, state_store=store, listeners=[tell]
    )
    store.connected.wait(5)
    ready.set()
    stop.wait()
    del breaker
    store.close()


def propagation_times(server: RedisProc, trials: int) -> list[float]:
    context = multiprocessing.get_context("spawn")
    ready, stop, events = context.Event(), context.Event(), context.Queue()
    child = context.Process(target=_listener, args=(server.url, ready, events, stop))
    child.start()
    latencies = []
    with RedisStateStore.from_url(server.url, namespace="measure") as store:
        breaker = sr.CircuitBreaker("p", failure_threshold=1, reset_timeout=60, state_store=store)
        store.connected.wait(5)
        ready.wait(30)
        for _ in range(trials):
            breaker.reset()
            time.sleep(0.05)
            opened = time.time()
            _trip(breaker)
            latencies.append(events.get(timeout=5) - opened)
        stop.set()
        child.join(10)
    events.close()
    events.join_thread()
    return latencies


def _trip(breaker: sr.CircuitBreaker) -> None:
    def fail() -> None:
        raise RuntimeError

    try:
        breaker.call(fail)
    except RuntimeError:
        pass


async def ratios(server: RedisProc, rounds: int, calls: int) -> dict[str, float]:
    raw = redis.asyncio.Redis.from_url(server.url)
    store = FailoverSessionStore(
        RedisSessionStore.from_url(server.url, prefix="r:"), MemorySessionStore()
    )

    async def raw_get() -> object:
        text = await raw.get("r:sid")
        return None if text is None else json.loads(text)

    async def raw_set() -> None:
        await raw.set("r:sid", json.dumps(DATA), px=60_000)

    cases = {
        "raw-get": raw_get,
        "raw-set": raw_set,
        "failover-get": lambda: store.get("sid"),
        "failover-set": lambda: store.set("sid", DATA, 60.0),
    }
    best = dict.fromkeys(cases, float("inf"))
    await store.set("sid", DATA, 60.0)
    for _ in range(rounds):
        for name, op in cases.items():
            started = time.perf_counter()
            for _ in range(calls):
                await op()
            best[name] = min(best[name], (time.perf_counter() - started) / calls)
    await raw.aclose()
    await store.aclose()
    return best


def main() -> None:
    server = RedisProc()
    server.start()
    try:
        to_memory, to_redis = asyncio.run(failover_times(server, trials=10))
        print(f"kill -9 -> first operation served by memory: {summary(to_memory)}")
        print(f"restart -> serving from Redis again (probe 50 ms): {summary(to_redis)}")
        print(f"breaker open -> open in another process: {summary(propagation_times(server, 30))}")
        best = asyncio.run(ratios(server, rounds=40, calls=200))
        for op in ("get", "set"):
            raw, ours = best[f"raw-{op}"], best[f"failover-{op}"]
            print(
                f"session {op}: raw redis-py {raw * 1e6:.0f} us, "
                f"FailoverSessionStore {ours * 1e6:.0f} us, ratio {ours / raw:.3f}"
            )
    finally:
        server.close()


if __name__ == "__main__":
    main()

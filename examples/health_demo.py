"""A health endpoint's data: concurrent checks, timeouts, breakers, JSON and a gauge.

Run: python examples/health_demo.py
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import steinresil as sr
from steinresil.testing import FakeClock

clock = FakeClock()  # drives latency and the cache here; timeouts are always real time
registry = sr.Registry()
ai_breaker = sr.CircuitBreaker("openai", registry=registry, clock=clock)
runs = {"database": 0}
stuck = threading.Event()


def database() -> sr.ComponentHealth:
    runs["database"] += 1
    clock.advance(0.004)  # as if "select 1" took 4 ms
    return sr.ComponentHealth(sr.HealthStatus.HEALTHY, {"dialect": "sqlite"})


async def session_store() -> bool:
    await asyncio.sleep(0)
    raise ConnectionError("redis://localhost:6379 refused")


async def functions_catalog() -> sr.HealthStatus:
    return sr.HealthStatus.DEGRADED  # serving the last good tree after a failed reload


def legacy_ledger() -> bool:
    return stuck.wait()  # hangs: its own timeout abandons it after 50 ms


health = sr.HealthAggregator(timeout=2.0, cache_ttl=5.0, clock=clock)
health.register("database", database)
health.register("sessions", session_store, critical=False)
health.register("functions", functions_catalog, critical=False)
health.register("ledger", legacy_ledger, critical=False, timeout=0.05)
health.attach_breakers(registry)


async def main() -> None:
    print("Every check runs at once; the slowest timeout bounds the whole:")
    started = time.perf_counter()
    report = await health.check_async()
    print(f"  took {time.perf_counter() - started:.3f} s, status {report.status.value}")
    print(json.dumps(report.to_dict(), indent=2))
    print(f"gauge value: {report.status.code}  (0 healthy, 1 degraded, 2 unhealthy)")

    print("A burst of 1,000 probes within the TTL runs each check once:")
    await asyncio.gather(*(health.check_async() for _ in range(1000)))
    print(f"  the database check ran {runs['database']} time(s)")

    print("Open the AI circuit: it shows up, and degrades the report:")
    ai_breaker.force_open()
    report = health.check()  # the sync flavour, for threads and plain scripts
    part = report.components["circuit:openai"]
    print(f"  circuit:openai {part.status.value} ({part.error}); overall {report.status.value}")

    print("Take the database away: it is critical, so the whole is unhealthy:")
    health.unregister("database")
    health.register("database", lambda: False)
    report = health.check()
    print(f"  overall {report.status.value}, gauge {report.status.code}")
    stuck.set()

    if report.status is not sr.HealthStatus.UNHEALTHY or runs["database"] != 1:
        raise SystemExit("the demo did not go as described")


asyncio.run(main())

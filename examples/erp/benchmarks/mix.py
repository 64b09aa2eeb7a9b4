"""A fixed-rate, fixed-duration load over a realistic mix of the ERP app's routes.

    python examples/erp/benchmarks/mix.py                        # 60 s at 100 req/s
    python examples/erp/benchmarks/mix.py --rate 200 --seconds 30
    python examples/erp/benchmarks/mix.py --url http://127.0.0.1:8000 --json

Unlike ``load.py`` (each endpoint alone, as fast as it goes), this is an open-loop load:
request *i* is sent at ``start + i / rate`` whether or not earlier ones have answered, and
its latency is counted from that planned time. A server that falls behind therefore shows
it in the percentiles instead of being offered less work (no coordinated omission). At
most ``--max-in-flight`` requests are outstanding; a request that finds them all busy
waits for a slot and that wait is part of its latency.

The mix (weights, per 100 requests) stands for a browser session of the status page and
a user of the API: reads (health, functions tree, session stats, metrics) and writes
(a new session, an AI completion, ending a session). It starts the app itself on a free
loopback port (embedded default: SQLite, memory sessions, the local AI provider) unless
``--url`` is given; loopback only, and it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import httpx

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    weight: int
    body: dict[str, object] | None = None
    new_client: bool = False  # no cookie: the app makes (writes) a new session
    ok: tuple[int, ...] = (200,)


MIX = (
    Route("GET /api/health", "GET", "/api/health", 25),
    Route("GET /api/health/ready", "GET", "/api/health/ready", 5),
    Route("GET /api/functions/roots", "GET", "/api/functions/roots", 20),
    Route("GET /api/session (new)", "GET", "/api/session", 15, new_client=True),
    Route("GET /api/session/stats", "GET", "/api/session/stats", 10),
    Route("POST /api/ai/complete", "POST", "/api/ai/complete", 15, {"prompt": "Status?"}),
    Route("DELETE /api/session", "DELETE", "/api/session", 5, ok=(204,)),
    Route("GET /api/metrics", "GET", "/api/metrics", 5),
)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, seconds: float, outcome: str, ok: bool) -> None:
        self.latencies.append(seconds)
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1
        if not ok:
            self.errors += 1

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000

    def summary(self, seconds: float) -> dict[str, object]:
        return {
            "requests": len(self.latencies),
            "rate": round(len(self.latencies) / seconds, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p95_ms": round(self.percentile(0.95), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 2),
            "errors": self.errors,
            "statuses": dict(sorted(self.statuses.items())),
        }


def schedule(rate: float, seconds: float, seed: int = 13) -> list[Route]:
    """The routes in the order they are sent: the weights, shuffled reproducibly."""
    rng = random.Random(seed)
    population = [r for r in MIX for _ in range(r.weight)]
    return [rng.choice(population) for _ in range(round(rate * seconds))]


async def run_mix(
    url: str, rate: float, seconds: float, *, max_in_flight: int = 64, request_timeout: float = 10.0
) -> dict[str, object]:
    """Send ``rate * seconds`` requests at a fixed rate; every one is answered or counted."""
    plan = schedule(rate, seconds)
    stats = {r.name: Stats() for r in MIX}
    total = Stats()
    slots = asyncio.Semaphore(max_in_flight)
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with (
        httpx.AsyncClient(base_url=url, limits=limits, timeout=request_timeout) as http,
        httpx.AsyncClient(base_url=url, limits=limits, timeout=request_timeout) as fresh,
    ):
        await http.get("/api/session")  # the shared client has a session to read and end

        async def one(route: Route, planned: float) -> None:
            async with slots:
                client = fresh if route.new_client else http
                if route.new_client:
                    fresh.cookies.clear()
                try:
                    response = await client.request(route.method, route.path, json=route.body)
                    outcome, ok = str(response.status_code), response.status_code in route.ok
                except httpx.HTTPError as exc:
                    outcome, ok = type(exc).__name__, False
                if route.method == "DELETE" and ok:
                    await http.get("/api/session")  # a new one for the next reads (unmeasured)
            elapsed = time.perf_counter() - planned
            stats[route.name].add(elapsed, outcome, ok)
            total.add(elapsed, outcome, ok)

        start = time.perf_counter() + 0.05
        tasks = []
        for i, route in zip(itertools.count(), plan, strict=False):
            planned = start + i / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(route, planned)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {
        "target_rate": rate,
        "seconds": seconds,
        "wall_seconds": round(wall, 2),
        "planned": len(plan),
        "total": total.summary(wall),
        "routes": {name: s.summary(wall) for name, s in stats.items() if s.latencies},
    }


def table(report: dict[str, object]) -> str:
    lines = [
        (
            f"{report['planned']} requests planned at {report['target_rate']} req/s for "
            f"{report['seconds']} s (took {report['wall_seconds']} s)"
        ),
        "| route | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    routes = cast("dict[str, dict[str, object]]", report["routes"])
    rows = {**routes, "all": cast("dict[str, object]", report["total"])}
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['requests']} | {row['rate']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} | {row['errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-in-flight", type=int, default=64)
    parser.add_argument("--url", help="an app already running (loopback); else one is started")
    parser.add_argument("--workers", type=int, default=1, help="for the app started here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the app started below is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.url:
        report = asyncio.run(
            run_mix(args.url, args.rate, args.seconds, max_in_flight=args.max_in_flight)
        )
    else:
        sys.path.insert(0, str(HERE))
        from load import Server  # noqa: PLC0415 - the same process starter as the per-endpoint benchmark

        with tempfile.TemporaryDirectory(prefix="erp-mix-") as tmp:
            server = Server(
                ["-m", "erp_app", "--workers", str(args.workers)],
                {"ERP_DATA_DIR": tmp, "LOG_LEVEL": "WARNING"},
                "/api/health/ready",
            )
            try:
                report = asyncio.run(
                    run_mix(server.url, args.rate, args.seconds, max_in_flight=args.max_in_flight)
                )
            finally:
                server.stop()
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()

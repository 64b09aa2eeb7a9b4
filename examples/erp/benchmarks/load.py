"""Bounded loopback load against a real ERP process, and the same against a bare baseline.

    python examples/erp/benchmarks/load.py                 # 3,000 requests per endpoint
    python examples/erp/benchmarks/load.py --requests 300  # a short run

It starts the app (embedded default, one worker) and ``bare_app.py`` as uvicorn
processes on free loopback ports, loads each endpoint from ``--clients`` concurrent
connections, and prints requests/s, p50 and p99 per endpoint and the ratio to the bare
baseline. With ``wrk`` installed (Debian package) it drives the load for ``--seconds``
(a C client: the numbers are the server's); otherwise httpx sends ``--requests``
requests (a Python client shares the 2 cores and is most of what it measures). It stops
by itself; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ENDPOINTS = ("/api/health", "/api/functions/roots")
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Result:
    endpoint: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Server:
    def __init__(self, argv: list[str], env: dict[str, str], ready_path: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *argv, "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.started = time.monotonic()
        self.ready_seconds = self._wait(ready_path)

    def _wait(self, path: str) -> float:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise SystemExit("server not ready in 60 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def hammer(url: str, endpoint: str, requests: int, clients: int) -> Result:
    latencies: list[float] = []
    errors = 0
    remaining = requests
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await http.get(endpoint)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors += 1

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        for _ in range(min(50, requests)):  # warm up: connections, caches, first answers
            await http.get(endpoint)
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        seconds = time.perf_counter() - started
    return Result(endpoint, requests, seconds, latencies, errors)


def wrk(url: str, endpoint: str, clients: int, seconds: int) -> Result:
    """wrk's own numbers: requests, duration and the latency distribution."""
    done = subprocess.run(  # noqa: S603
        ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--latency", url + endpoint],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    text = done.stdout
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    points = {q: _ms(v, unit) for q, v, unit in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", text)}
    # A Result with two synthetic latencies carrying wrk's p50 and p99.
    result = Result(endpoint, requests, float(seconds), [], errors)
    result.latencies = [points["50"] / 1000] * 98 + [points["99"] / 1000] * 2
    return result


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run(requests: int, clients: int, seconds: int = 10) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="erp-load-") as tmp:
        app = Server(
            ["-m", "erp_app"],
            {"ERP_DATA_DIR": tmp, "LOG_LEVEL": "WARNING"},
            "/api/health/ready",
        )
        try:
            bodies = {e: httpx.get(app.url + e, timeout=10).text for e in ENDPOINTS}
            real = [load(app.url, e, requests, clients, seconds) for e in ENDPOINTS]
        finally:
            app.stop()
        body_file = Path(tmp) / "bodies.json"
        body_file.write_text(json.dumps(bodies))
        bare = Server(
            [
                "-m",
                "uvicorn",
                "bare_app:app",
                "--app-dir",
                str(HERE),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {"ERP_BARE_BODIES": str(body_file)},
            ENDPOINTS[0],
        )
        try:
            baseline = [load(bare.url, e, requests, clients, seconds) for e in ENDPOINTS]
        finally:
            bare.stop()
    rows = []
    for ours, theirs in zip(real, baseline, strict=True):
        rows.append(
            {
                "endpoint": ours.endpoint,
                "requests": ours.requests,
                "errors": ours.errors,
                "rate": round(ours.rate),
                "p50_ms": round(ours.percentile(0.5), 2),
                "p99_ms": round(ours.percentile(0.99), 2),
                "bare_rate": round(theirs.rate),
                "bare_p50_ms": round(theirs.percentile(0.5), 2),
                "bare_p99_ms": round(theirs.percentile(0.99), 2),
                "time_ratio": round(theirs.rate / ours.rate, 2),
            }
        )
    return {
        "clients": clients,
        "tool": "wrk" if shutil.which("wrk") else "httpx",
        "start_to_ready_s": round(app.ready_seconds, 2),
        "rows": rows,
    }


def load(url: str, endpoint: str, requests: int, clients: int, seconds: int) -> Result:
    if shutil.which("wrk"):
        return wrk(url, endpoint, clients, seconds)
    return asyncio.run(hammer(url, endpoint, requests, clients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint, with wrk")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args()
    report = run(arguments.requests, arguments.clients, arguments.seconds)
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{arguments.clients} clients ({report['tool']}); "
        f"start-up to ready {report['start_to_ready_s']} s\n"
        "| endpoint | req/s | p50 ms | p99 ms | bare req/s | bare p50 | bare p99 | cost vs bare |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for row in report["rows"]:  # type: ignore[attr-defined]
        print(
            f"| {row['endpoint']} | {row['rate']} | {row['p50_ms']} | {row['p99_ms']} | "
            f"{row['bare_rate']} | {row['bare_p50_ms']} | {row['bare_p99_ms']} | "
            f"{row['time_ratio']} |"
        )


if __name__ == "__main__":
    main()

"""The app as an operator runs it: a real uvicorn process, SIGTERM, several workers.

Start time is printed (``-s`` shows it) rather than asserted: timing goals live in the
benchmarks. These tests assert behaviour: it starts on the embedded default and says
where, a bad setting stops it with one line, SIGTERM lets in-flight requests finish and
exits 0, and with two workers the metrics add up across both.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.ai_stubs import AIStubServer, Reply
from support.redis_server import free_port

SHUTDOWN_LIMIT = 10.0


class ErpProcess:
    def __init__(self, tmp: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("REDIS_", "DATABASE_", "OPENAI_", "ANTHROPIC_", "OLLAMA_"))
            and k != "PROMETHEUS_MULTIPROC_DIR"
        }
        self.env = {**clean, "ERP_DATA_DIR": str(tmp / "data"), **(env or {})}
        self.args = ["--port", str(self.port), *args]
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = tmp / "erp.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        started = time.monotonic()
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "erp_app", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = started + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/api/health/ready", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"not ready in 60 s:\n{self.log()}")

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def terminate(self) -> tuple[int, float]:
        assert self.proc is not None
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        return code, time.monotonic() - sent

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[list[ErpProcess]]:
    made: list[ErpProcess] = []
    yield made
    for process in made:
        process.kill()


def test_starts_on_the_embedded_default_and_prints_its_url(
    erp: list[ErpProcess], tmp_path: Path
) -> None:
    process = ErpProcess(tmp_path)
    erp.append(process)
    seconds = process.start()
    print(f"\nstart-up to ready, embedded default: {seconds:.2f} s")
    assert f"ERP SteinmetZ on {process.url}/" in process.log()
    health = httpx.get(process.url + "/api/health").json()
    assert health["status"] == "degraded"
    assert (tmp_path / "data" / "erp.sqlite3").exists()
    code, took = process.terminate()
    assert code == 0
    assert took < SHUTDOWN_LIMIT


def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REDIS_URL": "http://user:hunter2@example:1",
        "ERP_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "erp_app", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("erp: invalid configuration: REDIS_URL")
    assert "hunter2" not in done.stderr + done.stdout


def test_sigterm_lets_in_flight_requests_finish_and_exits_0(
    erp: list[ErpProcess], tmp_path: Path
) -> None:
    with AIStubServer() as stub:
        stub.openai.default = Reply.slow(1.5, text="finished after SIGTERM")
        process = ErpProcess(
            tmp_path,
            env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": stub.openai.base_url},
        )
        erp.append(process)
        process.start()
        answers: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: answers.append(
                httpx.post(process.url + "/api/ai/complete", json={"prompt": "slow"}, timeout=20)
            )
        )
        request.start()
        assert stub.openai.wait_for("/v1/chat/completions", 1, timeout=10) == 1
        code, took = process.terminate()
        request.join(timeout=20)
    assert code == 0
    assert took < SHUTDOWN_LIMIT
    assert len(answers) == 1
    assert answers[0].status_code == 200
    assert answers[0].json()["text"] == "finished after SIGTERM"
    assert answers[0].json()["provider"] == "openai"
    assert '"event": "stopped"' in process.log()


def test_two_workers_share_metrics(erp: list[ErpProcess], tmp_path: Path) -> None:
    process = ErpProcess(tmp_path, "--workers", "2")
    erp.append(process)
    process.start()
    requests = 60
    for _ in range(requests):
        # A new connection each time, so both workers get some.
        with httpx.Client() as http:
            http.get(process.url + "/api/functions/roots")
    for _ in range(20):
        with httpx.Client() as http:
            text = http.get(process.url + "/api/metrics").text
        total = _counter(text, "/api/functions/roots")
        assert total == requests  # whichever worker answers, it counts both
    code, _ = process.terminate()
    assert code == 0


def _counter(text: str, route: str) -> float:
    pattern = re.compile(
        r'^erp_steinmetz_http_requests_total\{method="GET",route="'
        + re.escape(route)
        + r'",status_code="200"\} ([0-9.e+]+)$',
        re.MULTILINE,
    )
    return sum(float(value) for value in pattern.findall(text))

"""A private ``redis-server`` that a test may ``kill -9`` and restart on the same port.

From ../shared/RECIPES.md section 1. Started with ``subprocess.Popen`` (not daemonized)
so ``kill9()`` reaps it at once, without persistence, so a restart comes back empty::

    from support.redis_server import RedisProc, redis_proc   # fixture: one per module

The shared Redis on 6379 is never touched: every server here gets a free port.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["RedisProc", "free_port", "redis_available", "redis_proc", "redis_server"]


def free_port() -> int:
    """A port nobody listens on right now (small race, fine for tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_available() -> bool:
    """Whether a ``redis-server`` binary is on PATH."""
    return shutil.which("redis-server") is not None


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisProc:
    """One ``redis-server`` process on a fixed port; start, kill -9, restart, stop."""

    def __init__(self, port: int | None = None, workdir: str | None = None) -> None:
        self.port = port if port is not None else free_port()
        self._own_dir = workdir is None
        self.workdir = workdir if workdir is not None else tempfile.mkdtemp(prefix="redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not _answers_ping(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"redis-server on port {self.port} exited {self.proc.returncode}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server on port {self.port}: no PONG in {timeout} s")
            time.sleep(0.02)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL and reap: the port is free (and refuses connections) when this returns."""
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill9()

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_proc() -> Iterator[RedisProc]:
    """A private Redis for the test module; each test gets it running (restarted if killed)."""
    if not redis_available():
        pytest.skip("redis-server is not installed")
    server = RedisProc()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _flushall(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        sock.recv(64)


@pytest.fixture
def redis_server(redis_proc: RedisProc) -> RedisProc:
    """The module's private Redis, running and empty at the start of each test."""
    if not redis_proc.running:
        redis_proc.start()
    _flushall(redis_proc.port)
    return redis_proc

"""``python -m erp_app [--host] [--port] [--workers N]``: run the ERP service.

Settings are checked before anything starts: a bad value ends the process with one line
naming the variable (exit status 2). SIGTERM turns readiness to 503 at once, lets
in-flight requests finish, closes pools and clients, and exits 0.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import sys
import tempfile
from types import FrameType

import uvicorn

from erp_app.config import ConfigError, load_settings

GRACEFUL_SECONDS = 8
"""In-flight requests get this long after SIGTERM; the process exits within 10 s."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="erp", description="Run the ERP SteinmetZ service.")
    parser.add_argument("--host", default=os.environ.get("ERP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ERP_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("ERP_WORKERS", "1")))
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.workers <= 64:
        parser.error(f"--workers must be between 1 and 64, got {arguments.workers}")
    if not 0 <= arguments.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {arguments.port}")
    return arguments


def _multiprocess_metrics() -> None:
    """Workers share metric files in a fresh directory (set before they import anything)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = tempfile.mkdtemp(prefix="erp-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"erp: {exc}", file=sys.stderr)
        return 2
    if arguments.workers > 1:
        _multiprocess_metrics()
        if not settings.redis_url:
            print(
                "erp: warning: several workers without REDIS_URL: each keeps its own "
                "sessions, breakers and login limits",
                file=sys.stderr,
            )
    config = uvicorn.Config(
        "erp_app.main:create_app",
        factory=True,
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        lifespan="on",
    )
    shown_host = "127.0.0.1" if arguments.host in ("0.0.0.0", "::") else arguments.host  # noqa: S104
    print(
        f"ERP SteinmetZ on http://{shown_host}:{arguments.port}/  "
        f"(API docs /docs, health /api/health; {arguments.workers} worker(s), "
        f"database {settings.database_kind}, sessions "
        f"{'redis' if settings.redis_url else 'memory'})",
        flush=True,
    )
    # uvicorn drains and then raises the signal again for the handler it found: make
    # that handler end the process with status 0, as a graceful shutdown should.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    if arguments.workers == 1:
        server = uvicorn.Server(config)
        try:
            server.run()
        except SystemExit as exit_:
            return int(exit_.code or 0) if server.started else 1
        return 0 if server.started else 1
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

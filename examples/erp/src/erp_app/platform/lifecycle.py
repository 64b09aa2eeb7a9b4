"""Shutdown as the process sees it: readiness turns 503 the moment SIGTERM arrives.

uvicorn tells the app about shutdown only after in-flight requests have finished; the
server subclass in ``__main__`` calls ``begin_shutdown()`` from its signal handler, so
``/api/health/ready`` answers 503 at once, while those requests still finish.
"""

from __future__ import annotations

import threading

__all__ = ["begin_shutdown", "shutting_down"]

_shutting_down = threading.Event()


def begin_shutdown() -> None:
    _shutting_down.set()


def shutting_down() -> bool:
    return _shutting_down.is_set()

"""Shutdown as the process sees it: readiness turns 503 the moment SIGTERM arrives.

uvicorn tells the app about shutdown only after in-flight requests have finished. So at
start-up the app puts itself in front of uvicorn's own SIGTERM/SIGINT handler (uvicorn
installs it before the lifespan starts, in every worker): ``/api/health/ready`` answers
503 at once, while in-flight requests still finish and uvicorn drains as usual.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

__all__ = ["announce_shutdown_on_signals", "begin_shutdown", "shutting_down"]

_shutting_down = threading.Event()
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def begin_shutdown() -> None:
    _shutting_down.set()


def shutting_down() -> bool:
    return _shutting_down.is_set()


@contextmanager
def announce_shutdown_on_signals() -> Iterator[None]:
    """While the app runs, a SIGTERM or SIGINT marks it shutting down, then goes on as before."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers (tests run apps elsewhere too)
        return
    previous: dict[int, Any] = {}

    def announce(sig: int, frame: FrameType | None) -> None:
        begin_shutdown()
        handler = previous.get(sig)
        if callable(handler):
            handler(sig, frame)
        elif handler == signal.SIG_DFL:  # nobody else listens: end the process as usual
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    for sig in _SIGNALS:
        previous[sig] = signal.signal(sig, announce)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)

"""Time, injected: every primitive reads time and sleeps through a ``Clock``.

Intervals use the monotonic clock, never wall-clock time, so a clock change on the host
cannot open, close or stretch anything. Tests pass ``steinresil.testing.FakeClock``.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

from steinresil._backend import current

__all__ = ["Clock", "SystemClock", "system_clock"]


@runtime_checkable
class Clock(Protocol):
    """Where a primitive reads the time and how it waits."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the current thread for ``seconds``."""
        ...

    async def sleep_async(self, seconds: float) -> None:
        """Suspend the current task for ``seconds`` (asyncio or trio)."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.sleep`` and the running loop's sleep."""

    __slots__ = ()

    # The builtin itself, not a method calling it: breakers read the clock on hot paths.
    monotonic = staticmethod(time.monotonic)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def sleep_async(self, seconds: float) -> None:
        await current().sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


system_clock = SystemClock()
"""The clock every primitive uses unless given another."""

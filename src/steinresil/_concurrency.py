"""The few places where asyncio and trio differ, decided at call time.

Nothing here imports asyncio or trio at import time: ``import steinresil`` stays cheap
and loop-neutral. trio is detected through sniffio, which trio itself depends on.
"""

from __future__ import annotations

import sys

__all__ = ["async_sleep", "current_async_library"]


def current_async_library() -> str:
    """``"trio"`` when running under trio, else ``"asyncio"``."""
    # Only trio needs asking about: if it was never imported, it cannot be running. sniffio
    # alone proves nothing (httpx and anyio import it) and asking it costs ~0.7 us.
    if "trio" in sys.modules:
        import sniffio  # noqa: PLC0415 - only needed when trio may be running

        try:
            return sniffio.current_async_library()
        except sniffio.AsyncLibraryNotFoundError:
            return "asyncio"
    return "asyncio"


async def async_sleep(seconds: float) -> None:
    """Sleep on whatever loop is running; ``0`` still yields once (a checkpoint)."""
    if current_async_library() == "trio":
        import trio  # noqa: PLC0415

        await trio.sleep(max(seconds, 0.0))
    else:
        import asyncio  # noqa: PLC0415

        await asyncio.sleep(max(seconds, 0.0))

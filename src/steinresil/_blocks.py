"""Per-block data for ``with obj:`` / ``async with obj:``, matched to the block that ends.

``with cb:`` calls ``cb.__enter__()`` and later ``cb.__exit__()`` on the same object, with
nothing to say *which* of the blocks using ``cb`` is ending. A stack per thread or task
gets that wrong whenever blocks end out of order (two generators, a ``zip`` of two
streams) or a block is resumed elsewhere (an async generator driven by another task, a
generator finished on another thread).

What identifies a block is the frame running the ``with`` statement: a generator or
coroutine keeps its frame wherever it is resumed, two generators never share one, and
blocks nested in one frame end in the reverse order they began (the syntax makes them).
Frames of ``contextlib`` (``ExitStack``, ``@contextmanager`` wrappers) are looked
through to the code that uses them. A wrapper that calls ``__enter__`` and ``__exit__``
from two different methods of its own has no common frame: its block is matched to the
most recently begun block still open, as a stack would.

Entries live on the object guarding the blocks and go when their block ends, so nothing
is left behind in any thread's or task's context.
"""

from __future__ import annotations

import itertools
import sys
import threading
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from types import FrameType

__all__ = ["OpenBlocks"]

T = TypeVar("T")

_LOOKED_THROUGH = frozenset({"contextlib"})


def _user_frame(depth: int) -> FrameType:
    """The frame running the ``with`` statement, ``depth`` calls above the caller."""
    frame = sys._getframe(depth + 1)
    while frame.f_back is not None and frame.f_globals.get("__name__") in _LOOKED_THROUGH:
        frame = frame.f_back
    return frame


class OpenBlocks(Generic[T]):
    """The entries of the blocks that have begun and not yet ended."""

    __slots__ = ("_by_frame", "_lock", "_order")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_frame: dict[FrameType, list[tuple[int, T]]] = {}
        self._order = itertools.count()

    def begin(self, entry: T, *, depth: int = 1) -> None:
        """Remember ``entry`` for the block whose statement runs ``depth`` calls up."""
        frame = _user_frame(depth + 1)
        with self._lock:
            self._by_frame.setdefault(frame, []).append((next(self._order), entry))

    def end(self, *, depth: int = 1) -> T:
        """The entry of the block ending now (see the module docstring for the matching)."""
        frame = _user_frame(depth + 1)
        with self._lock:
            entries = self._by_frame.get(frame)
            if entries is None:  # entered and left from different frames of a wrapper
                if not self._by_frame:
                    raise RuntimeError("__exit__ called for a block that never began")
                frame, entries = max(self._by_frame.items(), key=lambda item: item[1][-1][0])
            _, entry = entries.pop()
            if not entries:
                del self._by_frame[frame]
            return entry

    def __len__(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._by_frame.values())

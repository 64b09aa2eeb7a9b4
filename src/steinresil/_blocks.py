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
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:
    from types import FrameType

__all__ = ["OpenBlocks"]

T = TypeVar("T")

_Node: TypeAlias = tuple[int, T, "_Node[T] | None"]
"""One open block: when it began (an order number), its entry, and the block it is nested
in within the same frame (``None`` for the outermost one)."""


def _user_frame(depth: int) -> FrameType:
    """The frame running the ``with`` statement, ``depth`` calls above the caller."""
    frame = sys._getframe(depth + 1)
    while frame.f_globals.get("__name__") == "contextlib" and frame.f_back is not None:
        frame = frame.f_back
    return frame


class OpenBlocks(Generic[T]):
    """The entries of the blocks that have begun and not yet ended."""

    __slots__ = ("_by_frame", "_lock", "_order")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_frame: dict[FrameType, _Node[T]] = {}
        self._order = itertools.count()

    # begin() and end() run for every ``with`` block: they find the frame inline and take
    # the lock with acquire/release, which costs a third of ``with lock:`` on 3.11.

    def begin(self, entry: T, *, depth: int = 1) -> None:
        """Remember ``entry`` for the block whose statement runs ``depth`` calls up."""
        frame = sys._getframe(depth + 1)
        if frame.f_globals.get("__name__") == "contextlib":
            frame = _user_frame(depth + 1)
        by_frame, lock = self._by_frame, self._lock
        lock.acquire()
        try:
            by_frame[frame] = (next(self._order), entry, by_frame.get(frame))
        finally:
            lock.release()

    def end(self, *, depth: int = 1) -> T:
        """The entry of the block ending now (see the module docstring for the matching)."""
        frame = sys._getframe(depth + 1)
        if frame.f_globals.get("__name__") == "contextlib":
            frame = _user_frame(depth + 1)
        by_frame, lock = self._by_frame, self._lock
        lock.acquire()
        try:
            node = by_frame.pop(frame, None)
            if node is None:  # entered and left from different frames of a wrapper
                if not by_frame:
                    raise RuntimeError("__exit__ called for a block that never began")
                frame, node = max(by_frame.items(), key=lambda item: item[1][0])
                del by_frame[frame]
            if node[2] is not None:
                by_frame[frame] = node[2]
            return node[1]
        finally:
            lock.release()

    def __len__(self) -> int:
        with self._lock:
            nodes = list(self._by_frame.values())
        count = 0
        for node in nodes:
            below: _Node[T] | None = node
            while below is not None:
                count += 1
                below = below[2]
        return count

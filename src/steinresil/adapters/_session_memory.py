"""Sessions in this process: a TTL per entry and a bound on how many are kept.

No timer or thread per entry: an expired entry is dropped when it is read, and every
write also sweeps the entries whose time is up, oldest deadline first, from a heap. The
heap may hold outdated deadlines of entries touched or replaced since; they are skipped
when they come up, and the heap is rebuilt when they outnumber the live entries.
"""

from __future__ import annotations

import heapq
import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from steinresil._clock import Clock, system_clock
from steinresil._validation import check_positive_int
from steinresil.adapters._session_base import SessionData, check_sid, check_ttl, encode

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MemorySessionStore"]


class MemorySessionStore:
    """A ``SessionStore`` in memory: per-entry TTL, at most ``max_entries`` sessions.

    When full, the least recently used session (read, written or touched) goes first.
    Methods are ``async`` for the protocol but never wait, so they are safe to call from
    one event loop's tasks; ``len()`` counts sessions, expired ones included until swept.
    """

    def __init__(
        self, max_entries: int = 100_000, *, name: str = "memory", clock: Clock | None = None
    ) -> None:
        self.max_entries = check_positive_int("MemorySessionStore", "max_entries", max_entries)
        self.name = name
        self._now = (clock if clock is not None else system_clock).monotonic
        # sid -> (expires_at, JSON text); order is recency of use, oldest first.
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._deadlines: list[tuple[float, str]] = []
        self.evicted = 0
        """Sessions dropped to stay within ``max_entries`` (not counting expiry)."""

    def _live(self, sid: str, now: float) -> tuple[float, str] | None:
        entry = self._entries.get(sid)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._entries[sid]
            return None
        self._entries.move_to_end(sid)
        return entry

    def _sweep(self, now: float) -> None:
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            expires_at, sid = heapq.heappop(deadlines)
            entry = self._entries.get(sid)
            if entry is not None and entry[0] == expires_at:
                del self._entries[sid]
        if len(deadlines) > 2 * len(self._entries) + 64:
            self._deadlines = [(expires_at, sid) for sid, (expires_at, _) in self._entries.items()]
            heapq.heapify(self._deadlines)

    def _put(self, sid: str, expires_at: float, text: str) -> None:
        self._entries[sid] = (expires_at, text)
        self._entries.move_to_end(sid)
        heapq.heappush(self._deadlines, (expires_at, sid))

    async def get(self, sid: str) -> SessionData | None:
        check_sid("MemorySessionStore.get", sid)
        entry = self._live(sid, self._now())
        return None if entry is None else _decode(entry[1])

    def remaining(self, sid: str) -> float | None:
        """Seconds ``sid`` has left, or ``None`` if it does not exist."""
        now = self._now()
        entry = self._live(sid, now)
        return None if entry is None else entry[0] - now

    async def set(self, sid: str, data: Mapping[str, Any], ttl: float) -> None:
        owner = "MemorySessionStore.set"
        check_sid(owner, sid)
        seconds = check_ttl(owner, sid, ttl)
        await self._set_json(sid, encode(owner, sid, data), seconds)

    async def _set_json(self, sid: str, text: str, ttl: float) -> None:
        """Store JSON text already checked by ``set`` or ``FailoverSessionStore.set``."""
        now = self._now()
        self._sweep(now)
        self._put(sid, now + ttl, text)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.evicted += 1

    async def touch(self, sid: str, ttl: float) -> bool:
        owner = "MemorySessionStore.touch"
        seconds = check_ttl(owner, check_sid(owner, sid), ttl)
        now = self._now()
        entry = self._live(sid, now)
        if entry is None:
            return False
        self._put(sid, now + seconds, entry[1])
        return True

    async def delete(self, sid: str) -> None:
        check_sid("MemorySessionStore.delete", sid)
        self._entries.pop(sid, None)

    async def ping(self) -> None:
        """Always answers: memory is never down."""

    def clear(self) -> None:
        """Forget every session."""
        self._entries.clear()
        self._deadlines.clear()

    async def aclose(self) -> None:
        self.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemorySessionStore(max_entries={self.max_entries}, entries={len(self)})"


def _decode(text: str) -> SessionData:
    data: SessionData = json.loads(text)
    return data

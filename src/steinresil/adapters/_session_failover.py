"""One session store failing over to another at runtime, and back, losing nothing.

A circuit breaker (one failure opens it) guards the primary. The call that meets the
failure is served by the fallback at once, and so is every call after it, until a probe
finds the primary back. Writes made meanwhile are remembered (ids only: the data is in
the fallback), and fail-back copies them, with the TTL they have left, and applies the
deletes, before the primary serves again. Which store serves is our own flag, not the
breaker's state, so a half-open breaker can never let a read reach a primary that has
not been brought up to date.

Fallback stores never wait (``MemorySessionStore``), so the copy-back's last "anything
left?" check and the switch happen with no other task running in between. The copy goes
in passes while calls go on writing to the fallback; from the second pass on, new calls
wait (at most ``_HOLD_LIMIT``) for the copy to end, so traffic that writes faster than
the copy cannot keep the store off the primary for ever.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Sized
from typing import TYPE_CHECKING, Any

from steinresil._backend import current
from steinresil._breaker import CircuitBreaker
from steinresil._clock import Clock, system_clock
from steinresil._health import ComponentHealth, HealthStatus
from steinresil._tasks import gather
from steinresil._validation import Duration, check_duration
from steinresil.adapters._session_base import (
    SessionData,
    SessionStore,
    check_sid,
    check_ttl,
    encode,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Mapping

    from steinresil._backend._protocols import BackgroundTask, Waiter

__all__ = ["FailoverSessionStore"]

logger = logging.getLogger("steinresil.adapters.sessions")

_COPY_BATCH = 64
"""Sessions copied back concurrently: a large outage must not fail back one by one."""
_PROBE_SID = "steinresil:probe"
_HOLD_LIMIT = 0.25
"""The longest a call waits for the last pass of a copy-back before it goes on (to the
fallback): a store call must stay quick even when the primary is slow again."""


class FailoverSessionStore:
    """``primary`` while it works, ``fallback`` while it does not; see the module docstring.

    ``probe_interval`` is how often the primary is pinged while it serves and tried
    while the fallback serves. On asyncio a background task does both, so fail-over and
    fail-back happen without traffic too; on trio calls find out, and the first call
    after each interval runs the probe. Use one store from one event loop.

    Errors of the caller's making (empty sid, bad TTL, data that is not JSON) are raised
    before any store is touched; every other error of the primary is absorbed by the
    fallback, never seen by the caller.
    """

    def __init__(
        self,
        primary: SessionStore,
        fallback: SessionStore,
        *,
        probe_interval: Duration = 1.0,
        name: str = "sessions",
        clock: Clock | None = None,
    ) -> None:
        owner = "FailoverSessionStore"
        self.primary = primary
        self.fallback = fallback
        self.probe_interval = check_duration(
            owner, "probe_interval", probe_interval, allow_zero=False
        )
        self.clock = clock if clock is not None else system_clock
        self.breaker = CircuitBreaker(
            name,
            failure_threshold=1,
            success_threshold=1,
            reset_timeout=self.probe_interval,
            clock=self.clock,
        )
        """Guards the primary: open while the fallback serves (for metrics and status)."""
        self._primary_set_json = _json_setter(primary)
        self._fallback_set_json = _json_setter(fallback)
        self._on_primary = True
        self._version = 0
        self._written: dict[str, tuple[float, int]] = {}  # sid -> (expires_at, version)
        self._deleted: dict[str, int] = {}  # sid -> version
        self._failing_back = False
        self._held: list[Waiter] | None = None
        """Calls waiting for the last pass of a copy-back; ``None`` when nobody is held."""
        self._watcher: BackgroundTask | None = None
        self._closed = False
        self._last_error: str | None = None
        self._failovers = 0
        self._failbacks = 0
        self._copied_back = 0

    # ---- routing ----------------------------------------------------------------------

    @property
    def active(self) -> str:
        """The name of the store serving now: ``"redis"`` or ``"memory"`` for the usual pair."""
        return _name(self.primary if self._on_primary else self.fallback)

    @property
    def name(self) -> str:
        """The active store's name: a fail-over store can be another one's primary."""
        return self.active

    async def _route(
        self, on_primary: Callable[[], Awaitable[Any]], on_fallback: Callable[[], Awaitable[Any]]
    ) -> Any:
        if self._watcher is None:
            self._start_watcher()
        if self._held is not None:
            await self._wait_for_copy_back(self._held)
        if self._on_primary:
            try:
                return await self.breaker.call_async(on_primary)
            except Exception as exc:  # the caller must never see the primary's trouble
                self._fail_over(exc)
        elif self._watcher is None and not self._failing_back and await self._try_fail_back():
            # No background task on trio: the caller probes, and may find the primary back.
            return await self._route(on_primary, on_fallback)
        return await on_fallback()

    async def _wait_for_copy_back(self, held: list[Waiter]) -> None:
        waiter = current().waiter()
        held.append(waiter)
        await waiter.wait(_HOLD_LIMIT)

    def _release_held(self) -> None:
        held, self._held = self._held, None
        for waiter in held or ():
            waiter.wake()

    def _fail_over(self, exc: Exception) -> None:
        if not self._on_primary:
            return  # a call that was already in flight when another one failed over
        self._on_primary = False
        self._failovers += 1
        self._last_error = f"{type(exc).__name__}: {exc}"
        logger.warning(
            "session store %r failed (%s); serving from %r until it is back",
            _name(self.primary),
            self._last_error,
            _name(self.fallback),
        )

    # ---- the operations ---------------------------------------------------------------

    async def get(self, sid: str) -> SessionData | None:
        check_sid("FailoverSessionStore.get", sid)
        result: SessionData | None = await self._route(
            lambda: self.primary.get(sid), lambda: self.fallback.get(sid)
        )
        return result

    async def set(self, sid: str, data: Mapping[str, Any], ttl: float) -> None:
        owner = "FailoverSessionStore.set"
        check_sid(owner, sid)
        seconds = check_ttl(owner, sid, ttl)
        text = encode(owner, sid, data)  # refuse bad data before either store sees it

        async def on_primary() -> None:
            await self._primary_set_json(sid, text, seconds)

        async def on_fallback() -> None:
            await self._fallback_set_json(sid, text, seconds)
            self._deleted.pop(sid, None)
            self._written[sid] = (self.clock.monotonic() + seconds, self._next_version())

        await self._route(on_primary, on_fallback)

    async def touch(self, sid: str, ttl: float) -> bool:
        owner = "FailoverSessionStore.touch"
        seconds = check_ttl(owner, check_sid(owner, sid), ttl)

        async def on_fallback() -> bool:
            touched = await self.fallback.touch(sid, seconds)
            if touched:
                self._written[sid] = (self.clock.monotonic() + seconds, self._next_version())
            return touched

        touched: bool = await self._route(lambda: self.primary.touch(sid, seconds), on_fallback)
        return touched

    async def delete(self, sid: str) -> None:
        check_sid("FailoverSessionStore.delete", sid)

        async def on_fallback() -> None:
            await self.fallback.delete(sid)
            self._written.pop(sid, None)
            self._deleted[sid] = self._next_version()

        await self._route(lambda: self.primary.delete(sid), on_fallback)

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    # ---- fail-back --------------------------------------------------------------------

    async def start(self) -> None:
        """Watch the primary from now on, not only from the first session call.

        Call it at application start-up (on asyncio): ``active`` and ``health()`` then
        follow Redis even before any session is used. On trio, calls run the probes.
        """
        if self._watcher is None:
            self._start_watcher()

    def _start_watcher(self) -> None:
        if not self._closed:  # on trio there is no task outliving the call: stays None
            self._watcher = current().start_background_task(self._watch)

    async def _watch(self) -> None:
        """Ping the primary while it serves, probe it while it does not.

        So ``active`` and ``health()`` follow Redis within ``probe_interval`` even when
        no session call comes in. The cadence is real time (the loop's own sleep): an
        injected fake clock must not turn this loop into a busy one.
        """
        try:
            while not self._closed:
                if self._on_primary:
                    await current().sleep(self.probe_interval)
                    await self._check_primary()
                else:
                    await current().sleep(max(self.breaker.metrics.retry_after, 0.005))
                    await self._try_fail_back()
        finally:
            self._watcher = None

    async def _check_primary(self) -> None:
        if not self._on_primary or self._closed:
            return  # a call failed over while we slept
        try:
            await self.breaker.call_async(self._ping_primary)
        except Exception as exc:
            self._fail_over(exc)

    async def _ping_primary(self) -> None:
        ping: Callable[[], Awaitable[None]] | None = getattr(self.primary, "ping", None)
        await (ping() if ping is not None else self.primary.get(_PROBE_SID))

    async def _try_fail_back(self) -> bool:
        """Probe and copy back if the breaker lets a trial through; whether it is back."""
        if self._on_primary or self._failing_back or not self.breaker.accepting_calls:
            return self._on_primary
        self._failing_back = True
        try:
            await self.breaker.call_async(self._copy_back)
        except Exception as exc:
            logger.debug("session store %r is still down: %s", _name(self.primary), exc)
            return False
        finally:
            self._failing_back = False
        return True

    async def _copy_back(self) -> None:
        reset: Callable[[], Awaitable[None]] | None = getattr(
            self.primary, "reset_connections", None
        )
        if reset is not None:
            await reset()  # pooled connections died with the old server
        await self._ping_primary()
        # What this attempt has sent, by version: the records themselves are cleared only
        # when the whole copy is done, so a primary that dies (and forgets) halfway
        # through gets everything again at the next attempt.
        sent: dict[str, int] = {}
        deleted: dict[str, int] = {}
        copied: set[str] = set()
        try:
            passes = 0
            while True:
                todo = [(sid, e) for sid, e in self._written.items() if sent.get(sid) != e[1]]
                gone = [(sid, v) for sid, v in self._deleted.items() if deleted.get(sid) != v]
                if not todo and not gone:
                    break
                passes += 1
                if passes > 1 and self._held is None:
                    # Calls wrote while the first pass copied, and may write faster than
                    # the copy goes: hold new calls (briefly) so the passes come to an end.
                    self._held = []
                for start in range(0, len(todo), _COPY_BATCH):
                    batch = todo[start : start + _COPY_BATCH]
                    copied.update(await gather([self._copier(*item) for item in batch]))
                    sent.update((sid, version) for sid, (_, version) in batch)
                for sid, version in gone:
                    await self.primary.delete(sid)
                    deleted[sid] = version
            # Nothing awaited since the loop found every record sent: none slipped in.
            self._written.clear()
            self._deleted.clear()
            self._on_primary = True
        finally:
            self._release_held()  # to the primary if the copy is done, else the fallback
        self._failbacks += 1
        copied.discard("")
        self._copied_back += len(copied)
        logger.warning(
            "session store %r is back; %d sessions copied back", _name(self.primary), len(copied)
        )
        for sid in copied:  # stale copies must not resurface in the next outage
            with contextlib.suppress(Exception):
                await self.fallback.delete(sid)

    def _copier(self, sid: str, entry: tuple[float, int]) -> Callable[[], Coroutine[Any, Any, str]]:
        async def copy() -> str:
            data = await self.fallback.get(sid)
            remaining = entry[0] - self.clock.monotonic()
            if data is None or remaining <= 0:
                return ""  # expired or evicted meanwhile: nothing to copy
            await self.primary.set(sid, data, remaining)
            return sid

        return copy

    # ---- status -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters for a status endpoint: ``entries`` counts sessions held by the fallback."""
        return {
            "active": self.active,
            "failovers": self._failovers,
            "failbacks": self._failbacks,
            "copied_back": self._copied_back,
            "entries": len(self.fallback) if isinstance(self.fallback, Sized) else None,
            "pending_copy": len(self._written),
            "pending_deletes": len(self._deleted),
            "probe_interval": self.probe_interval,
        }

    def health(self) -> ComponentHealth:
        """HEALTHY on the primary, DEGRADED on the fallback (still serving every call)."""
        if self._on_primary:
            return ComponentHealth(HealthStatus.HEALTHY, details=self.stats())
        return ComponentHealth(HealthStatus.DEGRADED, details=self.stats(), error=self._last_error)

    async def aclose(self) -> None:
        """Stop probing and close both stores."""
        self._closed = True
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await watcher.cancel()
        try:
            await self.primary.aclose()
        finally:
            await self.fallback.aclose()

    def __repr__(self) -> str:
        return f"FailoverSessionStore({self.primary!r}, {self.fallback!r}, active={self.active!r})"


def _json_setter(store: SessionStore) -> Callable[[str, str, float], Awaitable[None]]:
    """``store._set_json`` (our stores: the JSON is encoded once), else ``set`` decoding it."""
    set_json: Callable[[str, str, float], Awaitable[None]] | None = getattr(
        store, "_set_json", None
    )
    if set_json is not None:
        return set_json

    async def set_decoded(sid: str, text: str, ttl: float) -> None:
        await store.set(sid, json.loads(text), ttl)

    return set_decoded


def _name(store: SessionStore) -> str:
    return str(getattr(store, "name", type(store).__name__))

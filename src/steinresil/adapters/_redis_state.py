"""Circuit breaker state shared through Redis, for breakers of one name in many processes.

A transition is written to a key (``SET``, expiring when an open circuit would let a
trial through; closing deletes it, as a missing key reads as closed) and announced on
one channel per namespace (``PUBLISH``). A breaker that starts reads the key (``GET``
and ``PTTL``: the wait that is left); the others hear the announcement through one
pub/sub listener thread per store.

Nothing here stands in a breaker's way. ``publish`` only records the latest state per
name and wakes a publisher thread, so a slow or dead Redis is never felt by the call that
tripped the breaker. While Redis is down, breakers decide on their own (and breakers of
one name in this process still hear each other); when it returns, the listener
resubscribes and re-reads every name, and the publisher sends what is still pending.
A key that is gone (expired, flushed, evicted) just means "nothing known".
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeAlias

from steinresil._backend import start_daemon_thread
from steinresil._circuit_state import CircuitState
from steinresil._state_store import SharedState, aged
from steinresil._validation import check_duration, check_name
from steinresil.adapters._redis_conn import (
    CONNECT_TIMEOUT,
    SOCKET_TIMEOUT,
    UNAVAILABLE,
    RedisUnavailableError,
    check_url,
    sync_client,
)

if TYPE_CHECKING:
    import redis
    from redis.client import PubSub

__all__ = ["RedisStateStore"]

logger = logging.getLogger("steinresil.adapters.redis")

Apply: TypeAlias = Callable[[SharedState], None]

_POLL = 0.1
"""Seconds the listener waits for a message before it checks whether it should stop."""


class RedisStateStore:
    """A ``CircuitStateStore`` in Redis: breakers of one name agree across processes.

    ``namespace`` prefixes keys (``{namespace}:breaker:{name}``) and names the channel
    (``{namespace}:breakers``), so several applications can share one Redis.
    ``reconnect_interval`` is how often a lost Redis is tried again. Call ``close()``
    (or use ``with``) to stop the two background threads and the connections.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = "steinresil",
        url: str = "",
        reconnect_interval: float = 0.5,
    ) -> None:
        owner = "RedisStateStore"
        self.namespace = check_name(owner, namespace)
        self.url = url
        """The URL with any password masked."""
        self.reconnect_interval = check_duration(
            owner, "reconnect_interval", reconnect_interval, allow_zero=False
        )
        self._client = client
        self._channel = f"{namespace}:breakers"
        # Tells our own announcements apart when Redis echoes them back to us.
        self._token = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._subscribers: dict[str, dict[str, Apply]] = {}
        self._pending: dict[str, tuple[SharedState, float]] = {}  # name -> (state, at)
        # The last (state, origin) every subscriber of a name has had, so re-reading
        # after a reconnect does not hand breakers a transition they already made.
        self._known: dict[str, tuple[CircuitState, str]] = {}
        # Breakers inside ``subscribe``: they get the state from its return value, so the
        # listener's re-read must not hand it to them a second time meanwhile.
        self._joining: set[tuple[str, str]] = set()
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._down = False
        self.connected = threading.Event()
        """Set while the listener is subscribed (for tests and status pages)."""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = "steinresil",
        reconnect_interval: float = 0.5,
        connect_timeout: float = CONNECT_TIMEOUT,
        socket_timeout: float = SOCKET_TIMEOUT,
    ) -> Self:
        """A store for ``url``; connects in the background, Redis may be down at first."""
        owner = "RedisStateStore.from_url"
        client = sync_client(
            owner, url, connect_timeout=connect_timeout, socket_timeout=socket_timeout
        )
        return cls(
            client,
            namespace=namespace,
            url=check_url(owner, url),
            reconnect_interval=reconnect_interval,
        )

    def _key(self, name: str) -> str:
        return f"{self.namespace}:breaker:{name}"

    # ---- CircuitStateStore ------------------------------------------------------------

    def subscribe(self, name: str, origin: str, apply: Apply) -> SharedState | None:
        with self._lock:
            self._subscribers.setdefault(name, {})[origin] = apply
            down = self._down
            if down:  # this one has heard nothing: the re-read must reach it
                self._known.pop(name, None)
            else:
                self._joining.add((name, origin))
        self._start()
        # While Redis is known to be down the read would only fail: the listener reads
        # every name again when it reconnects.
        try:
            shared = None if down else self._read(name)
            if shared is not None:
                with self._lock:
                    self._known[name] = (shared.state, shared.origin)
        finally:
            with self._lock:
                self._joining.discard((name, origin))
        return shared

    def unsubscribe(self, name: str, origin: str) -> None:
        with self._lock:
            subscribers = self._subscribers.get(name)
            if subscribers is not None:
                subscribers.pop(origin, None)
                if not subscribers:
                    del self._subscribers[name]

    def publish(self, name: str, shared: SharedState) -> None:
        with self._wake:
            self._pending[name] = (shared, time.monotonic())
            self._known[name] = (shared.state, shared.origin)
            self._wake.notify()
            local = self._targets(name, shared.origin)
        self._start()
        for apply in local:  # breakers here hear it even while Redis is down
            _deliver(apply, name, shared)

    def _targets(self, name: str, origin: str) -> list[Apply]:
        """Subscribers of ``name`` other than ``origin`` (call with the lock held)."""
        return [a for o, a in self._subscribers.get(name, {}).items() if o != origin]

    # ---- reading and writing Redis ------------------------------------------------------

    def _read(self, name: str) -> SharedState | None:
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.get(self._key(name))
                pipe.pttl(self._key(name))
                text, pttl = pipe.execute()
        except UNAVAILABLE as exc:
            self._went_down(exc)
            return None
        if text is None:
            return None
        state, _ = _decode(text)
        if state is None or state.state is not CircuitState.OPEN:
            return state
        # The key expires when the wait is over: what it has left is the wait left.
        return aged(state, state.retry_after - pttl / 1000) if pttl > 0 else state

    def _write(self, batch: dict[str, tuple[SharedState, float]]) -> None:
        now = time.monotonic()
        with self._client.pipeline(transaction=False) as pipe:
            for name, (shared, at) in batch.items():
                current = aged(shared, now - at)
                if current.state is CircuitState.OPEN and current.retry_after <= 0:
                    continue  # its wait ran out while Redis was down: old news
                text = json.dumps(
                    {
                        "name": name,
                        "state": current.state.value,
                        "retry_after": current.retry_after,
                        "origin": current.origin,
                        "store": self._token,
                    }
                )
                if current.state is CircuitState.OPEN:
                    pipe.set(self._key(name), text, px=max(1, round(current.retry_after * 1000)))
                elif current.state is CircuitState.CLOSED:
                    pipe.delete(self._key(name))  # no key reads as closed: nothing to keep
                else:
                    pipe.set(self._key(name), text)  # forced: holds until changed by hand
                pipe.publish(self._channel, text)
            pipe.execute()

    # ---- background threads -------------------------------------------------------------

    def _start(self) -> None:
        if self._threads or self._closed.is_set():
            return
        with self._lock:
            if self._threads:
                return
            for target, role in (
                (self._publish_loop, "publisher"),
                (self._listen_loop, "listener"),
            ):
                name = f"steinresil-redis-{role}-{self.namespace}"
                self._threads.append(start_daemon_thread(target, name))

    def _publish_loop(self) -> None:
        while not self._closed.is_set():
            with self._wake:
                while not self._pending and not self._closed.is_set():
                    self._wake.wait()
                batch, self._pending = self._pending, {}
            if not batch:
                continue
            try:
                self._write(batch)
            except UNAVAILABLE as exc:
                self._went_down(exc)
                with self._lock:  # keep what is unsent, unless something newer came
                    self._pending = batch | self._pending
                self._closed.wait(self.reconnect_interval)
            except Exception:
                logger.exception("RedisStateStore %s: could not publish", self.url)

    def _listen_loop(self) -> None:
        while not self._closed.is_set():
            pubsub: PubSub = self._client.pubsub(  # type: ignore[no-untyped-call] # redis-py
                ignore_subscribe_messages=True
            )
            try:
                pubsub.subscribe(self._channel)
                self._came_back()
                self._resync()
                self._receive(pubsub)
            except UNAVAILABLE as exc:
                self._went_down(exc)
                self._closed.wait(self.reconnect_interval)
            except Exception:
                logger.exception("RedisStateStore %s: listener failed", self.url)
                self._closed.wait(self.reconnect_interval)
            finally:
                self.connected.clear()
                pubsub.close()

    def _receive(self, pubsub: PubSub) -> None:
        self.connected.set()
        while not self._closed.is_set():
            message = pubsub.get_message(timeout=_POLL)
            if message is None or message.get("type") != "message":
                continue
            shared, (name, store) = _decode(message["data"])
            if shared is None or store == self._token:
                continue  # unreadable, or ours: breakers here heard it from publish()
            with self._lock:
                self._known[name] = (shared.state, shared.origin)
                targets = self._targets(name, shared.origin)
            for apply in targets:
                _deliver(apply, name, shared)

    def _resync(self) -> None:
        """After (re)connecting: what changed while we were not listening."""
        with self._lock:
            names = [name for name in self._subscribers if name not in self._pending]
        for name in names:  # a name with a pending publish is newer here than in Redis
            shared = self._read(name)
            if shared is None:
                continue
            with self._lock:
                if self._known.get(name) == (shared.state, shared.origin):
                    continue
                self._known[name] = (shared.state, shared.origin)
                targets = [
                    apply
                    for origin, apply in self._subscribers.get(name, {}).items()
                    if origin != shared.origin and (name, origin) not in self._joining
                ]
            for apply in targets:
                _deliver(apply, name, shared)

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            was_down, self._down = self._down, True
        if not was_down:
            logger.warning(
                "Redis at %s is unavailable (%s); breakers decide locally until it returns",
                self.url,
                exc,
            )

    def _came_back(self) -> None:
        with self._wake:
            was_down, self._down = self._down, False
            self._wake.notify()  # the publisher may have something pending
        if was_down:
            logger.warning("Redis at %s is back; breakers share their state again", self.url)

    def ping(self) -> None:
        """Raise ``RedisUnavailableError`` (naming the URL) unless Redis answers now.

        For a start-up check; the store itself never needs Redis to be up.
        """
        try:
            self._client.ping()
        except UNAVAILABLE as exc:
            raise RedisUnavailableError(self.url, str(exc) or type(exc).__name__) from exc

    # ---- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the threads and close the connections (breakers keep working, locally)."""
        self._closed.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RedisStateStore({self.url!r}, namespace={self.namespace!r})"


def _decode(raw: bytes | str) -> tuple[SharedState | None, tuple[str, str]]:
    """A stored or announced state, with its breaker name and publishing store."""
    try:
        fields: dict[str, Any] = json.loads(raw)
        shared = SharedState(
            CircuitState(fields["state"]), float(fields["retry_after"]), str(fields["origin"])
        )
        return shared, (str(fields["name"]), str(fields["store"]))
    except (ValueError, KeyError, TypeError):
        logger.warning("RedisStateStore: ignoring a malformed state %r", raw)
        return None, ("", "")


def _deliver(apply: Apply, name: str, shared: SharedState) -> None:
    try:
        apply(shared)
    except Exception:  # one broken subscriber must not silence the others
        logger.exception("circuit %r: could not apply a shared state", name)

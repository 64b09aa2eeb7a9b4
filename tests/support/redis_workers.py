"""Worker processes for the cross-process Redis tests (started with multiprocessing, spawn).

They live here, not in a test module, so a spawned child imports them without importing
pytest's test modules. Each reports through a queue: ``(worker, what, value, time.time())``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import steinresil as sr
from steinresil.adapters.redis import RedisRateLimiter, RedisStateStore

__all__ = ["breaker_worker", "rate_worker"]


class Boom(Exception):
    pass


def _fail() -> None:
    raise Boom


def breaker_worker(url: str, namespace: str, index: int, commands: Any, events: Any) -> None:
    """A breaker named "payments" on a ``RedisStateStore``; obeys trip/reset/call/stop."""
    store = RedisStateStore.from_url(url, namespace=namespace, reconnect_interval=0.1)

    def tell(event: sr.CircuitEvent) -> None:
        if isinstance(event, sr.CircuitStateChanged):
            events.put((index, "state", event.new_state.value, time.time()))

    breaker = sr.CircuitBreaker(
        "payments", failure_threshold=1, reset_timeout=30, state_store=store, listeners=[tell]
    )
    store.connected.wait(5)
    events.put((index, "ready", breaker.state.value, time.time()))
    while (command := commands.get()) != "stop":
        try:
            if command == "trip":
                try:
                    breaker.call(_fail)
                except Boom:
                    pass
            elif command == "reset":
                breaker.reset()
            elif command == "call":
                breaker.call(lambda: None)
            events.put((index, command, "ok", time.time()))
        except sr.CircuitOpenError:
            events.put((index, command, "rejected", time.time()))
        except Exception as exc:
            events.put((index, command, repr(exc), time.time()))
    store.close()


def rate_worker(
    url: str,
    *,
    name: str,
    rate: float,
    threads: int,
    duration: float,
    go: Any,
    results: Any,
) -> None:
    """``threads`` threads calling ``try_acquire`` for ``duration`` s once ``go`` is set."""
    limiter = RedisRateLimiter.from_url(url, name=name, rate=rate, per=1.0)
    admitted: list[float] = []
    errors: list[str] = []
    results.put("ready")
    go.wait()
    end = time.time() + duration

    def hammer() -> None:
        while time.time() < end:
            try:
                if limiter.try_acquire():
                    admitted.append(time.time())
            except Exception as exc:
                errors.append(repr(exc))
            time.sleep(0.003)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((admitted, errors, limiter.stats()))
    limiter.close()

"""How long an error asks us to wait before trying again.

Some errors know better than any backoff formula: an open circuit knows when it will let a
trial through, a rate limiter knows when it will have a token, and an HTTP 429 or 503
response may carry a ``Retry-After`` header. A retry policy waits exactly that long.

Everything here is duck-typed, so no HTTP client is imported: an exception with a
``retry_after`` attribute (seconds, a ``timedelta`` or a header string), or with a
``response`` (httpx, requests) - or being one itself (aiohttp) - whose ``status_code`` or
``status`` is 429 or 503 and whose ``headers`` hold ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import TypeAlias

__all__ = ["WaitFrom", "as_seconds", "parse_retry_after", "retry_after_from"]

WaitFrom: TypeAlias = Callable[[Exception], float | timedelta | None]
"""Given a failure, the seconds it asks to wait before the next attempt, or ``None``."""

_STATUSES_WITH_RETRY_AFTER = frozenset({429, 503})
_SAYING = frozenset({"retry_after", "response", "status_code", "status"})


_CLASSES_SAYING: dict[type, bool] = {}


def _class_may_say(kind: type) -> bool:
    """Whether the class itself (a property, a slot, a class attribute) has a wait."""
    says = _CLASSES_SAYING.get(kind)
    if says is None:
        if len(_CLASSES_SAYING) >= 1024:  # classes made on the fly must not grow it forever
            _CLASSES_SAYING.clear()
        says = _CLASSES_SAYING[kind] = any(hasattr(kind, name) for name in _SAYING)
    return says


def retry_after_from(error: Exception) -> float | None:
    """The wait ``error`` asks for, in seconds, or ``None`` when it does not say.

    Looks at ``error.retry_after`` first (``CircuitOpenError``, ``RateLimitExceededError``
    and any exception of yours), then at an HTTP 429/503 response's ``Retry-After``.
    """
    # Most errors say nothing: find that out without four failing attribute lookups. The
    # class answer is cached; an instance can only add a wait through its __dict__.
    says = _CLASSES_SAYING.get(type(error))
    if not (says or (says is None and _class_may_say(type(error)))):
        own = error.__dict__
        if not own or own.keys().isdisjoint(_SAYING):
            return None
    wait = as_seconds(getattr(error, "retry_after", None))
    if wait is not None:
        return wait
    response = getattr(error, "response", None)
    for source in (response, error) if response is not None else (error,):
        status = getattr(source, "status_code", None)
        if status is None:
            status = getattr(source, "status", None)
        if status in _STATUSES_WITH_RETRY_AFTER:
            return _header_wait(getattr(source, "headers", None))
    return None


def as_seconds(value: object) -> float | None:
    """A wait as seconds: numbers, ``timedelta`` and header strings; ``None`` if unclear.

    Negative waits mean "now" (``0.0``); ``math.inf`` stays (nobody can wait that long).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, int | float):
        if math.isnan(value):
            return None
        return max(float(value), 0.0)
    if isinstance(value, str | bytes):
        return parse_retry_after(value)
    return None


def _header_wait(headers: object) -> float | None:
    get = getattr(headers, "get", None)
    if get is None:
        return None
    # httpx, requests and aiohttp headers ignore case; a plain dict does not.
    value = get("Retry-After")
    if value is None:
        value = get("retry-after")
    # Headers built by hand (tests, some clients) may hold a number, not a string.
    return as_seconds(value)


def parse_retry_after(value: str | bytes, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (RFC 9110, section 10.2.3).

    The value is either whole seconds (``"120"``) or an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``), measured against the wall clock ``now``
    (default: ``time.time()``); a date in the past means "now" (``0.0``). Anything else
    is ``None``: a malformed header must not turn into a wait.
    """
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    try:
        seconds = float(text)  # the RFC says whole seconds; "1.5" is accepted all the same
    except ValueError:
        return _seconds_until_http_date(text, now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _seconds_until_http_date(text: str, now: float | None) -> float | None:
    # email.utils is only needed for this rare header form; keep it off the import path.
    from email.utils import parsedate_to_datetime  # noqa: PLC0415

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" parses as naive; HTTP-dates are always GMT
        moment = moment.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(moment.timestamp() - current, 0.0)

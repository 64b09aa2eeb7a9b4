"""What every session store accepts, checked once, before any store is touched.

A session is a JSON object under a non-empty id, alive for a positive number of seconds.
Stores keep the JSON text, not the dict: what a caller changes after ``set`` does not
leak into the store, and every store hands back the same thing Redis would.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["SessionData", "SessionDataError", "SessionStore", "check_sid", "check_ttl", "encode"]

SessionData = dict[str, Any]


class SessionDataError(TypeError, ValueError):
    """Session data that cannot be stored as a JSON object.

    Both a ``TypeError`` (the json module's answer to an unknown type) and a
    ``ValueError`` (bad input, like every other check here), so either catch works.
    """


class SessionStore(Protocol):
    """Where sessions live: Redis, memory, or one failing over to the other."""

    @property
    def name(self) -> str:
        """What ``FailoverSessionStore.active`` reports while this store serves."""
        ...

    async def get(self, sid: str) -> SessionData | None:
        """The session's data, or ``None`` if there is none (or it expired)."""
        ...

    async def set(self, sid: str, data: Mapping[str, Any], ttl: float) -> None:
        """Store ``data`` under ``sid`` for ``ttl`` seconds (replacing any)."""
        ...

    async def touch(self, sid: str, ttl: float) -> bool:
        """Give ``sid`` ``ttl`` more seconds from now; ``False`` if it does not exist."""
        ...

    async def delete(self, sid: str) -> None:
        """Remove ``sid``; a missing one is not an error."""
        ...

    async def aclose(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...


def check_sid(owner: str, sid: object) -> str:
    if not isinstance(sid, str) or not sid:
        raise ValueError(f"{owner}: sid must be a non-empty string, got {sid!r}")
    return sid


def check_ttl(owner: str, sid: str, ttl: object) -> float:
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not math.isfinite(ttl):
        raise ValueError(f"{owner}: ttl for session {sid!r} must be seconds, got {ttl!r}")
    if ttl <= 0:
        raise ValueError(f"{owner}: ttl for session {sid!r} must be > 0 seconds, got {ttl!r}")
    return float(ttl)


def _culprit(data: Mapping[Any, Any]) -> str:
    """Name the first top-level key whose value is the problem (or the keys themselves)."""
    for key, value in data.items():
        if not isinstance(key, str):
            return f"key {key!r} is not a string"
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return f"data[{key!r}]: {exc}"
    return "unknown"


# One encoder, made once: json.dumps with options builds a new one per call (2x slower).
# No NaN or Infinity: other languages' JSON readers refuse them.
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def encode(owner: str, sid: str, data: object) -> str:
    """``data`` as JSON text, or a ``SessionDataError`` naming the session and the key."""
    if not isinstance(data, Mapping):  # what mypy cannot stop: a caller's runtime value
        raise SessionDataError(
            f"{owner}: data for session {sid!r} must be a JSON object (a dict), got "
            f"{type(data).__name__}"
        )
    for key in data:
        if key.__class__ is not str:
            # json would turn an int key into a string silently: a round trip changes it.
            break
    else:
        try:
            return _ENCODER.encode(data)
        except (TypeError, ValueError, RecursionError):
            pass
    raise SessionDataError(
        f"{owner}: data for session {sid!r} is not JSON-serialisable: {_culprit(data)}"
    )

"""Checks run once, at construction: nonsense is refused loudly, naming field and value."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TypeAlias

__all__ = [
    "Duration",
    "check_duration",
    "check_name",
    "check_optional_duration",
    "check_positive_int",
    "check_rate",
]

Duration: TypeAlias = float | int | timedelta
"""Seconds as a number, or a ``datetime.timedelta``."""


def _fail(owner: str, field: str, value: object, rule: str) -> ValueError:
    return ValueError(f"{owner}: {field} must be {rule}, got {value!r}")


def check_name(owner: str, value: object) -> str:
    """A non-empty string: what registries, metrics and logs know an instance by."""
    if not isinstance(value, str) or not value:
        raise _fail(owner, "name", value, "a non-empty string")
    return value


def check_positive_int(owner: str, field: str, value: object, *, minimum: int = 1) -> int:
    """An ``int`` (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(owner, field, value, "an integer")
    if value < minimum:
        raise _fail(owner, field, value, f">= {minimum}")
    return value


def check_duration(owner: str, field: str, value: object, *, allow_zero: bool = True) -> float:
    """Seconds as a finite, non-negative ``float`` (positive unless ``allow_zero``)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise _fail(owner, field, value, "a number of seconds or a timedelta")
    if math.isnan(seconds) or math.isinf(seconds):
        raise _fail(owner, field, value, "a finite number of seconds")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise _fail(owner, field, value, ">= 0 seconds" if allow_zero else "> 0 seconds")
    return float(seconds)


def check_optional_duration(
    owner: str, field: str, value: object, *, allow_zero: bool = True
) -> float | None:
    """Like ``check_duration``, but ``None`` stays ``None`` (meaning "no limit")."""
    if value is None:
        return None
    return check_duration(owner, field, value, allow_zero=allow_zero)


def check_rate(owner: str, field: str, value: object) -> float:
    """A fraction in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _fail(owner, field, value, "a number in (0, 1]")
    if not 0 < value <= 1:
        raise _fail(owner, field, value, "in (0, 1]")
    return float(value)

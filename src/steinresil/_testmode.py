"""The global test mode: no waiting, and optionally fewer attempts.

It lives in its own module so that every primitive that waits can read it without
importing ``steinresil.testing``; users switch it with ``steinresil.testing.set_testing``.
A module global, not a context variable, on purpose: threads and tasks started by the code
under test must see it too.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TestMode", "current", "switch"]


@dataclass(frozen=True, slots=True)
class TestMode:
    """What test mode changes: waits are always zero; ``attempts`` replaces (or caps) the
    policy's ``1 + max_retries`` unless it is ``None``."""

    __test__ = False  # not a pytest test class, despite the name

    attempts: int | None
    cap: bool

    def max_retries(self, configured: int) -> int:
        if self.attempts is None:
            return configured
        if self.cap:
            return min(self.attempts - 1, configured)
        return self.attempts - 1


_current: TestMode | None = None


def current() -> TestMode | None:
    """The active test mode, or ``None`` in normal operation."""
    return _current


def switch(mode: TestMode | None) -> TestMode | None:
    """Make ``mode`` the active one and return the previous one."""
    global _current
    previous, _current = _current, mode
    return previous

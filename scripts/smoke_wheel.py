"""A first program, as a new user runs it: the installed wheel alone, no other package.

Run by ./scripts/test's pkg part with `python -I` in a fresh virtualenv, from a directory
that holds no steinresil source, so only the installed wheel can be imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import sys
from pathlib import Path

import steinresil as sr
from steinresil.testing import FakeClock

here = Path(sr.__file__).resolve()
if Path(sys.prefix).resolve() not in here.parents:
    raise SystemExit(f"imported {here}, not the wheel installed in {sys.prefix}")
if sr.__version__ != importlib.metadata.version("steinresil"):
    raise SystemExit(f"__version__ {sr.__version__!r} is not the installed version")
names = {dist.metadata["Name"] for dist in importlib.metadata.distributions()}
others = sorted(names - {"steinresil"})
if others:
    raise SystemExit(f"the fresh venv holds other packages: {others}")

clock = FakeClock()
breaker = sr.CircuitBreaker("smoke", failure_threshold=2, reset_timeout=5.0, clock=clock)


def broken() -> None:
    raise ConnectionError("down")


def check(ok: bool, what: object) -> None:  # not assert: it must hold under -O too
    if not ok:
        raise SystemExit(f"smoke test failed: {what}")


for _ in range(2):
    with contextlib.suppress(ConnectionError):  # the tripping call raises its own error
        breaker.call(broken)
try:
    breaker.call(broken)
except sr.CircuitOpenError as exc:
    check(exc.retry_after == 5.0, exc.retry_after)
else:
    raise SystemExit("the breaker did not open")

attempts = 0


@sr.retry(max_retries=2, initial_delay=0.1, clock=clock)
async def flaky() -> str:
    global attempts  # noqa: PLW0603 - a counter for this one program
    attempts += 1
    if attempts < 3:
        raise ConnectionError("reset")
    return "ok"


check(asyncio.run(flaky()) == "ok", "retry result")
check(attempts == 3, f"{attempts} attempts")
check(clock.sleeps == [0.1, 0.2], clock.sleeps)
print(f"ok  steinresil {sr.__version__} from {here.parent}")

"""What ``ensure_schema`` raises, and which driver errors are worth waiting out.

The tree (both under ``steinresil.ResilienceError``)::

    ResilienceError
    ├── DatabaseUnavailableError   no connection: gave up after the retry policy, or the
    │                              server refused us for a reason waiting will not fix;
    │                              also a builtin ConnectionError
    └── SchemaError                connected, but the schema needs a change that is not safe
                                   to make automatically; ``.report`` says what

Messages name the database by its URL with the password masked; a driver's message is
cut to its first line (SQLAlchemy appends a background link and, for statements, the SQL).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from steinresil._errors import ResilienceError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import URL

    from steinresil.adapters._db_schema import SchemaIssue, SchemaReport

__all__ = ["DatabaseUnavailableError", "SchemaError", "describe_error", "is_transient", "safe_url"]

# SQLSTATE codes (PostgreSQL, and any driver that reports them) that a later attempt may
# not meet. Class 08: connection exceptions. 57P01-57P03: the server is shutting down,
# crashed, or is starting up ("the database system is starting up"). 53300: too many
# connections. 40001/40P01: serialisation failure and deadlock, possible when several
# processes initialise one database at once.
_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "40001", "40P01"})
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08"})

# SQLite reports a busy database (another process holds the write lock) only in words.
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database is busy")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (SQLAlchemy's ``.orig``) and its causes, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend(
            [
                current.__context__,
                current.__cause__,
                orig if isinstance(orig, BaseException) else None,
            ]
        )


def is_transient(error: BaseException) -> bool:
    """Whether waiting and trying again may help: for ``RetryPolicy(retry_on=is_transient)``.

    Yes for refused or dropped connections, timeouts, unresolvable hosts (a container that
    is not up yet), a server that is starting up or shutting down, too many connections,
    and a locked SQLite file. No for everything else, in particular a failed login (SQLSTATE
    class 28) and an unknown database (3D000): those are configuration errors, and retrying
    them only delays the message that says so.
    """
    for part in _chain(error):
        if isinstance(part, DatabaseUnavailableError):
            return part.transient  # ours: it already knows, and it is an OSError too
        sqlstate = getattr(part, "sqlstate", None) or getattr(part, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate:
            return sqlstate in _TRANSIENT_SQLSTATES or sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
        if getattr(part, "connection_invalidated", False):
            return True  # SQLAlchemy recognised a dropped connection
        if isinstance(part, sqlite3.OperationalError):
            return str(part).lower().startswith(_SQLITE_TRANSIENT)
    # No code anywhere: decide on the lowest-level error, usually the socket's.
    return any(isinstance(part, OSError | TimeoutError) for part in _chain(error))


def safe_url(url: URL) -> str:
    """The URL as text with its password masked: the only way a URL reaches a message."""
    return url.render_as_string(hide_password=True)


def describe_error(error: BaseException, url: URL | None = None) -> str:
    """``Type: first line of the message``, with the password masked should it appear."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    password = None if url is None else url.password
    if password:
        text = text.replace(str(password), "***")
    return text


class DatabaseUnavailableError(ResilienceError, ConnectionError):
    """No usable connection to the database (also a builtin ``ConnectionError``).

    ``transient`` is true when the retry policy gave up on an error that could have healed
    (the server was down or starting); false when the server refused us for a reason that
    waiting does not fix (wrong password, unknown database), which is never retried. The
    driver's error is the ``__cause__``.
    """

    def __init__(
        self, url: str, attempts: int, elapsed: float, reason: str, *, transient: bool
    ) -> None:
        if transient:
            message = (
                f"database {url} is unavailable: gave up after {attempts} attempt"
                f"{'s' if attempts != 1 else ''} in {elapsed:.1f} s; last error: {reason}"
            )
        else:
            message = (
                f"database {url} refused the connection, not retried because waiting will "
                f"not fix it (check the URL, user and password): {reason}"
            )
        super().__init__(message)
        self.url = url
        """The database URL with its password masked."""
        self.attempts = attempts
        self.elapsed = elapsed
        self.reason = reason
        self.transient = transient


class SchemaError(ResilienceError):
    """The live schema differs from the metadata in ways ``ensure_schema`` will not repair.

    ``report`` is the full ``SchemaReport``; ``report.missing`` names each table and
    column with the reason. Not retried: a schema does not heal by waiting.
    """

    def __init__(self, url: str, report: SchemaReport) -> None:
        problems = "; ".join(report.missing)
        count = len(report.missing)
        super().__init__(
            f"database {url}: {count} schema difference{'s' if count != 1 else ''} "
            f"cannot be repaired automatically; a migration is needed: {problems}"
        )
        self.url = url
        self.report = report

    @property
    def missing(self) -> list[SchemaIssue]:
        """Shortcut for ``report.missing``."""
        return self.report.missing

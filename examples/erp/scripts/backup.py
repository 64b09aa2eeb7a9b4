"""Back up and restore the ERP database: SQLite (online backup API) or PostgreSQL (pg_dump).

    python examples/erp/scripts/backup.py backup  DATABASE  BACKUP_DIR
    python examples/erp/scripts/backup.py restore DATABASE  BACKUP_FILE

DATABASE is what the app is configured with: a SQLite file path (``data/erp.sqlite3``),
a ``sqlite:///`` URL, or a PostgreSQL URL (``postgresql+asyncpg://user@host:5432/erp``;
the driver suffix is dropped). Passwords come from the URL or the usual ``PGPASSWORD`` /
``~/.pgpass`` and are never printed.

A backup is one file plus a manifest next to it (``<file>.json``: kind, time, size,
SHA-256, rows per table). Restore checks the SHA-256 first and refuses a damaged file.

- SQLite: ``sqlite3.Connection.backup`` copies a consistent snapshot while the app keeps
  running (readers and writers are not stopped; WAL contents are included). Restore
  copies the backup over the live file's pages with the same API, so run it with the app
  stopped: a running app would keep its old connections to the replaced content.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, compressed); restore
  is ``pg_restore --clean --if-exists --no-owner --single-transaction``, so a restore that
  fails leaves the database as it was.

Exit status 0 on success; 1 with one line on stderr otherwise (for cron and runbooks).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Manifest", "backup", "restore"]

Manifest = dict[str, object]


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why."""


# ---- which database ----


def is_postgres(database: str) -> bool:
    return database.startswith(("postgres://", "postgresql://", "postgresql+"))


def sqlite_path(database: str) -> Path:
    if database.startswith("sqlite"):
        # sqlite:///relative.db, sqlite:////absolute.db, sqlite+aiosqlite:///...
        return Path(database.split(":///", 1)[1])
    return Path(database)


def libpq_url(database: str) -> str:
    """The URL pg_dump understands: ``postgresql://``, no SQLAlchemy driver suffix."""
    parts = urlsplit(database)
    return urlunsplit(parts._replace(scheme="postgresql"))


def redacted(database: str) -> str:
    if not is_postgres(database):
        return database
    parts = urlsplit(database)
    if parts.password is None:
        return database
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore: $PG_BIN, else the newest /usr/lib/postgresql/N/bin, else PATH.

    The versioned directory beats Debian's /usr/bin wrapper, which picks a version from
    the local clusters; a dump must be made by a pg_dump at least as new as the server.
    """
    if pg_bin := os.environ.get("PG_BIN"):
        return str(Path(pg_bin) / name)
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install postgresql-client or set PG_BIN")
    return found


# ---- helpers ----


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sqlite_row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        # Table names come from sqlite_master itself, not from input.
        count = 'SELECT count(*) FROM "{}"'
        return {t: conn.execute(count.format(t)).fetchone()[0] for t in tables}


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise BackupError(f"{what} failed: {last}")


def _write_manifest(file: Path, manifest: Manifest) -> None:
    file.with_name(file.name + ".json").write_text(json.dumps(manifest, indent=2) + "\n")


def read_manifest(file: Path) -> Manifest:
    path = file.with_name(file.name + ".json")
    if not path.exists():
        raise BackupError(f"no manifest {path.name} next to the backup")
    manifest: Manifest = json.loads(path.read_text())
    return manifest


# ---- backup and restore ----


def backup(database: str, directory: Path, *, now: dt.datetime | None = None) -> Path:
    """Write a backup of ``database`` into ``directory``; return the backup file."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    manifest: Manifest
    if is_postgres(database):
        target = directory / f"erp-{stamp}.pgdump"
        partial = target.with_name(target.name + ".partial")
        _run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--file={partial}",
                *("--dbname", libpq_url(database)),
            ],
            "pg_dump",
        )
        manifest = {"kind": "postgresql", "tool": "pg_dump --format=custom"}
    else:
        source = sqlite_path(database)
        if not source.exists():
            raise BackupError(f"no SQLite database at {source}")
        target = directory / f"erp-{stamp}.sqlite3"
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            # pages=0: the whole database in one step, so the copy is one consistent
            # snapshot (in steps, a write between them restarts the copy).
            src.backup(dst, pages=0)
            integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if integrity != "ok":
            partial.unlink(missing_ok=True)
            raise BackupError(f"the copy failed its integrity check: {integrity}")
        manifest = {
            "kind": "sqlite",
            "tool": "sqlite3 online backup API",
            "tables": sqlite_row_counts(partial),
        }
    # Renamed only once complete: a file without .partial is always a whole backup.
    partial.rename(target)
    manifest |= {
        "file": target.name,
        "created": stamp,
        "source": redacted(database),
        "bytes": target.stat().st_size,
        "sha256": sha256(target),
    }
    _write_manifest(target, manifest)
    return target


def restore(database: str, file: Path) -> Manifest:
    """Replace ``database``'s content with the backup ``file`` (after checking it)."""
    manifest = read_manifest(file)
    if sha256(file) != manifest["sha256"]:
        raise BackupError(f"{file.name} does not match its manifest's SHA-256: damaged")
    expected = "postgresql" if is_postgres(database) else "sqlite"
    if manifest["kind"] != expected:
        raise BackupError(f"{file.name} is a {manifest['kind']} backup, not {expected}")
    if is_postgres(database):
        _run(
            [
                pg_tool("pg_restore"),
                *("--clean", "--if-exists", "--no-owner"),
                *("--single-transaction", "--exit-on-error"),
                *("--dbname", libpq_url(database)),
                str(file),
            ],
            "pg_restore",
        )
        return manifest
    target = sqlite_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=0)
    finally:
        dst.close()
        src.close()
    if sqlite_row_counts(target) != manifest["tables"]:
        raise BackupError("restored row counts differ from the manifest")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup", help="write a backup and its manifest")
    make.add_argument("database")
    make.add_argument("directory", type=Path)
    back = sub.add_parser("restore", help="replace the database with a backup")
    back.add_argument("database")
    back.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            print(backup(args.database, args.directory))
        else:
            manifest = restore(args.database, args.file)
            print(
                f"restored {args.file.name} ({manifest['created']}) into {redacted(args.database)}"
            )
    except (BackupError, OSError, sqlite3.Error) as exc:
        print(f"backup.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Disaster recovery, tested: back up, wipe, restore, and the data is identical.

``scripts/backup.py`` runs as operators run it (a subprocess, its CLI). SQLite is backed
up while the app is running (the online backup API), then the file is deleted and
restored; PostgreSQL is a private server (tests/support) dumped with pg_dump, its schema
dropped, and restored with pg_restore. "Identical" compares the schema and every row of
every table, the app's migrated tables included.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from erp_app.config import Settings
from erp_app.main import create_app

from support.pg_server import PgProc

pytestmark = pytest.mark.anyio

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "backup.py"
ROWS = [
    (1, "Steinmetz GmbH", 1234.5, b"\x00\x01\xff"),
    (2, "Übergrößenträger \u2603 \U0001f600", -0.0001, b""),
    (3, "quote ' and \" and \\ and \n newline", 0.0, None),
]


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def select_all(table: str) -> str:
    # Table names come from the catalogue (sqlite_master, information_schema), not input.
    return 'SELECT * FROM "{}"'.format(table.replace('"', '""'))  # noqa: S608


def sqlite_snapshot(path: Path) -> dict[str, object]:
    with sqlite3.connect(path) as conn:
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index')"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        rows = {
            name: sorted(map(repr, conn.execute(select_all(name))))
            for name, sql in tables
            if sql and sql.startswith("CREATE TABLE")
        }
    return {"schema": tables, "rows": rows}


def pg_snapshot(dsn: str) -> dict[str, object]:
    with psycopg.connect(dsn) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, ordinal_position"
        ).fetchall()
        tables = sorted({c[0] for c in columns})
        rows = {t: sorted(map(repr, conn.execute(select_all(t)))) for t in tables}
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return {"columns": columns, "rows": rows, "indexes": indexes}


async def test_sqlite_backup_while_running_wipe_restore_identical(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    app = create_app(settings)
    database = tmp_path / "data" / "erp.sqlite3"
    async with app.router.lifespan_context(app):  # migrated, running, holding connections
        with sqlite3.connect(database) as conn:
            conn.execute(
                "CREATE TABLE ops_probe (id INTEGER PRIMARY KEY, name TEXT, x REAL, b BLOB)"
            )
            conn.executemany("INSERT INTO ops_probe VALUES (?, ?, ?, ?)", ROWS)
        before = sqlite_snapshot(database)
        made = run_script("backup", str(database), str(tmp_path / "backups"))
        assert made.returncode == 0, made.stderr
    backup_file = Path(made.stdout.strip())
    manifest = json.loads(backup_file.with_name(backup_file.name + ".json").read_text())
    assert manifest["kind"] == "sqlite"
    assert manifest["tables"]["ops_probe"] == len(ROWS)
    assert "alembic_version" in manifest["tables"]  # the app's schema is in it

    database.unlink()  # the disaster
    for leftover in database.parent.glob("erp.sqlite3-*"):  # -wal, -shm
        leftover.unlink()
    restored = run_script("restore", f"sqlite:///{database}", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert sqlite_snapshot(database) == before

    # The app starts on the restored file and keeps every row. (It may add tables its
    # metadata has and the file lacks: compare the tables the backup had.)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass
    after = sqlite_snapshot(database)["rows"]
    assert isinstance(after, dict)
    assert isinstance(before["rows"], dict)
    assert {name: after[name] for name in before["rows"]} == before["rows"]


def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    made = run_script("backup", str(database), str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    backup_file = Path(made.stdout.strip())
    with backup_file.open("r+b") as f:
        f.seek(200)
        f.write(b"rot")
    refused = run_script("restore", str(database), str(backup_file))
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("does not match its manifest's SHA-256: damaged")
    assert len(refused.stderr.strip().splitlines()) == 1


async def test_postgres_dump_wipe_restore_identical(
    make_settings: Callable[..., Settings], private_pg: PgProc, tmp_path: Path
) -> None:
    app = create_app(make_settings(database_url=private_pg.url()))
    async with app.router.lifespan_context(app):  # the app's migrations make its tables
        pass
    with psycopg.connect(private_pg.dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE ops_probe (id int PRIMARY KEY, name text NOT NULL,"
            " x double precision, b bytea, at timestamptz DEFAULT now())"
        )
        for row in ROWS:
            conn.execute("INSERT INTO ops_probe (id, name, x, b) VALUES (%s, %s, %s, %s)", row)
        conn.execute("CREATE INDEX ops_probe_name ON ops_probe (name)")
    before = pg_snapshot(private_pg.dsn)
    assert "alembic_version" in before["rows"]  # type: ignore[operator]

    made = run_script("backup", private_pg.url(), str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    backup_file = Path(made.stdout.strip())
    assert backup_file.suffix == ".pgdump"

    with psycopg.connect(private_pg.dsn, autocommit=True) as conn:  # the disaster
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    assert pg_snapshot(private_pg.dsn)["rows"] == {}

    restored = run_script("restore", private_pg.url(), str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert pg_snapshot(private_pg.dsn) == before

    # Restoring again over live data (--clean) gives the same result, not duplicates.
    again = run_script("restore", private_pg.url(), str(backup_file))
    assert again.returncode == 0, again.stderr
    assert pg_snapshot(private_pg.dsn) == before

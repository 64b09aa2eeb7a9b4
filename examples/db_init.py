"""Database start-up: create the schema, add what a new release needs, refuse what is unsafe.

Uses SQLite in a temporary directory (needs the ``db`` extra: SQLAlchemy 2, aiosqlite).
Run: python examples/db_init.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, text
from sqlalchemy.ext.asyncio import create_async_engine

import steinresil as sr
from steinresil.adapters.db import SchemaError, database_check, ensure_schema, instrument_queries


def model(release: int) -> MetaData:
    """The application's tables; release 2 adds a column and an index."""
    metadata = MetaData()
    Table(
        "customers",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(200), nullable=False, index=True),
    )
    invoice_columns = [
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
        Column("number", String(30), nullable=False, unique=True),
    ]
    if release >= 2:  # nullable, or with a server default: safe to add to a table with rows
        invoice_columns += [
            Column("note", Text),
            Column("status", String(20), nullable=False, server_default=text("'open'")),
        ]
    Table("invoices", metadata, *invoice_columns)
    return metadata


def unsafe_model() -> MetaData:
    """Release 3 gets it wrong: a NOT NULL column without a default, on a table with rows."""
    metadata = model(2)
    metadata.tables["customers"].append_column(Column("vat_id", String(40), nullable=False))
    return metadata


async def main(directory: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{directory / 'erp.db'}")
    queries = instrument_queries(engine, slow_threshold=0.1)  # the slow-query log is on too
    # A database that is not up yet is waited for; these delays suit a container start.
    policy = sr.RetryPolicy(max_retries=5, initial_delay=0.2, max_delay=2.0)
    try:
        report = await ensure_schema(engine, model(1), retry=policy)
        print(f"first start:  created {report.created_tables}, indexes {report.created_indexes}")
        print(f"              in {report.duration * 1000:.0f} ms")

        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO customers (id, name) VALUES (1, 'Granit AG')"))
            await conn.execute(
                text("INSERT INTO invoices (id, customer_id, number) VALUES (1, 1, 'R-1')")
            )

        report = await ensure_schema(engine, model(1), retry=policy)
        print(f"second start: changed anything? {report.changed}")

        report = await ensure_schema(engine, model(2), retry=policy)
        print(f"release 2:    added {report.added_columns}")

        preview = await ensure_schema(engine, unsafe_model(), create_missing=False)
        print(f"release 3, dry run: {preview.missing}")
        try:
            await ensure_schema(engine, unsafe_model(), retry=policy)
        except SchemaError as error:
            print(f"release 3:    refused: {error}")

        health = sr.HealthAggregator(timeout=2.0)
        health.register("database", database_check(engine), critical=True)
        result = await health.check_async()
        print("health:", json.dumps(result.to_dict()["components"]["database"], indent=2))

        counts = {kind: stats.count for kind, stats in queries.stats().items()}
        print(f"queries by kind: {counts}")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(Path(tmp)))

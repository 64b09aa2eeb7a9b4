"""Alembic's versions and the models describe the same schema; old databases upgrade."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import erp_app.models  # noqa: F401 - every domain's tables
import pytest
from erp_app.config import Settings
from erp_app.main import create_app
from erp_app.platform.db import Base, _alembic_config
from sqlalchemy.ext.asyncio import create_async_engine

from steinresil.adapters.db import ensure_schema

pytestmark = pytest.mark.anyio


def _upgrade_to(connection: object, revision: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), revision)  # type: ignore[arg-type]


async def test_migrations_alone_build_what_the_models_describe(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "head")
        report = await ensure_schema(engine, Base.metadata, create_missing=False)
    finally:
        await engine.dispose()
    assert list(report.missing) == []


async def test_a_database_at_an_old_version_is_upgraded_at_start(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    path = settings.async_database_url.removeprefix("sqlite+aiosqlite:///")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.async_database_url)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_to, "0001")
    await engine.dispose()
    app = create_app(settings)
    report = await app.state.db.start()
    await app.state.db.close()
    assert report.migrated == "upgraded"
    assert list(report.schema.missing) == []

"""First-start annotations for a few areas of the shipped catalogue.

Written from the catalogue itself, not by a provider: they say ``provider="seed"``.
Idempotent: nothing happens once any annotation exists. A catalogue that cannot be read
seeds nothing (its health check reports why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio.to_thread
from sqlalchemy import func, select

from erp_app.annotator.models import Annotation
from erp_app.functions.service import DEFAULT_DIRECTORY, CatalogError, read_catalog

if TYPE_CHECKING:
    from erp_app.config import Settings
    from erp_app.platform.db import Database

__all__ = ["seed_annotations"]

SEED = "seed"
AREAS = 3


async def seed_annotations(db: Database, settings: Settings) -> None:
    async with db.session() as session:
        if await session.scalar(select(func.count(Annotation.id))):
            return
    directory = settings.functions_json_dir or DEFAULT_DIRECTORY
    try:
        catalog = await anyio.to_thread.run_sync(read_catalog, directory)
    except CatalogError:
        return
    async with db.session() as session:
        for area in catalog.roots[:AREAS]:
            modules = ", ".join(child.title for child in area.children[:4])
            session.add(
                Annotation(
                    node_id=area.id,
                    node_title=area.title,
                    text=f"{area.description} Start here for: {modules}.",
                    provider=SEED,
                    model=SEED,
                    latency_ms=0.0,
                    created_by="admin",
                )
            )

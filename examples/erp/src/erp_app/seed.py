"""First-start data: each domain adds a seeder here; they run after the database is ready.

A seeder is ``async def seed(db: Database, settings: Settings) -> None`` and must be
idempotent (look before inserting): it runs at every start, in every worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from erp_app.annotator.seed import seed_annotations
from erp_app.auth.service import seed_auth
from erp_app.config import Settings
from erp_app.platform.db import Database
from erp_app.quickchat.seed import seed_quickchat
from erp_app.seed_company import seed_company

Seeder = Callable[[Database, Settings], Awaitable[None]]

SEEDERS: list[Seeder] = [
    seed_auth,
    seed_quickchat,
    seed_annotations,
    seed_company,  # departments, employees, invoices, events, ideas
]

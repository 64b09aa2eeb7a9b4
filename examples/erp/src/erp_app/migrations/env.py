"""Alembic's environment: run against the connection the app hands over (never a URL).

The app calls Alembic from ``Database.start`` with a live connection in
``config.attributes["connection"]``; nothing here reads alembic.ini or configures logging.
"""

from __future__ import annotations

import erp_app.models  # noqa: F401 - every domain's tables on Base.metadata
from alembic import context
from erp_app.platform.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

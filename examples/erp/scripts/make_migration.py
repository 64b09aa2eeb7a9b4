"""Write a new Alembic version from the models: ``python scripts/make_migration.py "message"``.

Builds a throwaway SQLite database at the newest existing version, lets Alembic compare
it with every domain's models (``erp_app.models``) and writes the difference as the next
numbered version under ``src/erp_app/migrations/versions``. Read what it wrote before
committing it: autogenerate misses some things (renames, server defaults).
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import erp_app.models  # noqa: F401 - every domain's tables on Base.metadata
from alembic import command
from alembic.config import Config
from erp_app.platform.db import MIGRATIONS
from sqlalchemy import create_engine

VERSIONS = MIGRATIONS / "versions"


def next_revision() -> str:
    numbers = [
        int(m.group(1)) for p in VERSIONS.glob("*.py") if (m := re.match(r"(\d{4})_", p.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message")
    message = parser.parse_args().message
    revision = next_revision()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'm.sqlite3'}")
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True, rev_id=revision)
        engine.dispose()
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    for path in VERSIONS.glob(f"{revision}_*.py"):
        path.rename(VERSIONS / f"{revision}_{slug}.py")
        print(f"wrote {VERSIONS / f'{revision}_{slug}.py'}")


if __name__ == "__main__":
    main()

"""Autogenerate the next Alembic migration from the models: python scripts/new_migration.py "message" REV."""

from __future__ import annotations

import sys
import tempfile

from alembic import command

from warpware.db import Database
from warpware.schema import alembic_config, upgrade


def main() -> None:
    message, rev_id = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/gen.db")
        upgrade(database)
        config = alembic_config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main()

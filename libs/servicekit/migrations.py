"""Alembic, run programmatically per service: `python -m servicekit.migrations <service>`."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig


def alembic_config(service_package: str, database_url: str) -> AlembicConfig:
    package = importlib.import_module(service_package)
    location = Path(package.__file__).parent / "migrations"
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(service_package: str, database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service_package, database_url), revision)


def run_env(target_metadata) -> None:
    """Body of every service's migrations/env.py (online mode only: we always have a database)."""
    from alembic import context as alembic_context
    from sqlalchemy import create_engine, pool

    url = alembic_context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        alembic_context.configure(connection=connection, target_metadata=target_metadata,
                                  render_as_batch=url.startswith("sqlite"))
        with alembic_context.begin_transaction():
            alembic_context.run_migrations()
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    service = args[0]
    url = args[1] if len(args) > 1 else os.environ["DATABASE_URL"]
    upgrade(service, url)


if __name__ == "__main__":
    main()

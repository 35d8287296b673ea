"""Fixtures of the security walks: one world per service on a fresh database (SQLite and PostgreSQL)."""
import importlib
from datetime import datetime, timezone

import pytest

from tests.security.worlds import (DonorWorld, InventoryWorld, Snapshot, WaiverWorld, apps_kwargs,
                                   session_factory_for)


def _world(databases, db_kind, service: str, world_class):
    """A world on a fresh database of `service`, its app built with the shared test settings."""
    create_app = importlib.import_module(f"{service}.app").create_app
    url = databases.new(service, db_kind)
    engine, sessions = session_factory_for(url)
    world = world_class(create_app(database_url=url, **apps_kwargs()).test_client(), Snapshot(url), sessions)
    yield world
    world.snapshot.close()
    engine.dispose()


@pytest.fixture
def donor_world(databases, db_kind):
    yield from _world(databases, db_kind, "donor", DonorWorld)


@pytest.fixture
def inventory_world(databases, db_kind):
    yield from _world(databases, db_kind, "inventory", InventoryWorld)


@pytest.fixture
def waiver_world(databases, db_kind, tmp_path):
    from tests.waiver.builders import Ledger
    from waiver.app import create_app

    url = databases.new("waiver", db_kind)
    engine, sessions = session_factory_for(url)
    now = datetime.now(timezone.utc)
    documents = tmp_path / "documents"
    documents.mkdir()
    app = create_app(database_url=url, clock=lambda: now, documents_dir=str(documents),
                     bank_batch_dir=str(tmp_path / "bank"), **apps_kwargs())
    world = WaiverWorld(app.test_client(), Snapshot(url, files=documents), Ledger(sessions), now)
    yield world
    world.snapshot.close()
    engine.dispose()

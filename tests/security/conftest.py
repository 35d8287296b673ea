"""Fixtures of the security walks: one world per service on a fresh database (SQLite and PostgreSQL)."""
from datetime import datetime, timezone

import pytest

from tests.security.worlds import (DonorWorld, InventoryWorld, Snapshot, WaiverWorld, apps_kwargs,
                                   session_factory_for)


@pytest.fixture
def donor_world(databases, db_kind):
    from donor.app import create_app

    url = databases.new("donor", db_kind)
    engine, sessions = session_factory_for(url)
    world = DonorWorld(create_app(database_url=url, **apps_kwargs()).test_client(), Snapshot(url), sessions)
    yield world
    world.snapshot.close()
    engine.dispose()


@pytest.fixture
def inventory_world(databases, db_kind):
    from inventory.app import create_app

    url = databases.new("inventory", db_kind)
    engine, sessions = session_factory_for(url)
    world = InventoryWorld(create_app(database_url=url, **apps_kwargs()).test_client(), Snapshot(url), sessions)
    yield world
    world.snapshot.close()
    engine.dispose()


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

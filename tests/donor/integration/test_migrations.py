"""The Alembic migrations build exactly the tables the mapping uses, and step back down cleanly."""
from alembic import command
from sqlalchemy import create_engine, inspect

from donor import orm
from servicekit.migrations import alembic_config, upgrade


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_mapping_and_downgrades(databases, db_kind):
    url = databases.empty(db_kind)
    upgrade("donor", url)
    migrated = _columns(url)
    for table in orm.metadata.sorted_tables:
        assert migrated.get(table.name) == {c.name for c in table.columns}, table.name
    command.downgrade(alembic_config("donor", url), "0001")
    assert "donations" not in _columns(url) and "donors" in _columns(url)
    upgrade("donor", url)
    assert _columns(url) == migrated

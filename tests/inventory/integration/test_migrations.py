"""The inventory migrations build the tables the mapping uses (with the snapshot reads' indexes), and 0011 steps
back down cleanly."""
from alembic import command
from sqlalchemy import create_engine, inspect

from inventory import orm
from servicekit.migrations import alembic_config, upgrade


def _schema(url: str) -> tuple[dict[str, set[str]], dict[str, set[tuple]]]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        tables = inspector.get_table_names()
        return ({t: {c["name"] for c in inspector.get_columns(t)} for t in tables},
                {t: {tuple(i["column_names"]) for i in inspector.get_indexes(t)} for t in tables})
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_mapping_and_0011_downgrades(databases, db_kind):
    url = databases.empty(db_kind)
    upgrade("inventory", url)
    columns, indexes = _schema(url)
    for table in orm.metadata.sorted_tables:
        assert columns.get(table.name) == {c.name for c in table.columns}, table.name
    assert {("region", "day"), ("day",)} <= indexes["stock_snapshots"]
    engine = create_engine(url)
    try:
        pk = inspect(engine).get_pk_constraint("stock_snapshots")["constrained_columns"]
    finally:
        engine.dispose()
    assert pk == ["site_id", "day", "component", "abo", "rhd"]       # a site's history reads a day range of it
    command.downgrade(alembic_config("inventory", url), "0010")
    assert "stock_snapshots" not in _schema(url)[0] and "recalls" in _schema(url)[0]
    upgrade("inventory", url)
    assert _schema(url)[0] == columns

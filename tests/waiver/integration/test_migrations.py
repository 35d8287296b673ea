"""The migrations build exactly the tables and columns the ORM maps, on both databases."""
from sqlalchemy import inspect

from servicekit.db import make_engine
from waiver.orm import metadata


def test_migrated_schema_matches_the_orm(waiver_db):
    engine = make_engine(waiver_db)
    try:
        inspector = inspect(engine)
        for table in metadata.sorted_tables:
            migrated = {c["name"] for c in inspector.get_columns(table.name)}
            assert migrated == {c.name for c in table.columns}, table.name
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("pools")}
        assert ("donor_id", "kind", "region") in uniques
    finally:
        engine.dispose()

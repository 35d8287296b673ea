"""One timestamp column type: UTC in, aware UTC out, and naive values taken as UTC (as SQLite returns them)."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from servicekit.db import UtcDateTime, make_engine

SHANGHAI = timezone(timedelta(hours=8))


def test_offsets_are_converted_and_naive_values_are_taken_as_utc(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)},
                                     {"id": 2, "at": datetime(2026, 12, 7, 0, 0)},
                                     {"id": 3, "at": None}])
        rows = dict(conn.execute(select(table.c.id, table.c.at)).all())
    assert rows[1] == rows[2] == datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)
    assert rows[1].tzinfo == timezone.utc and rows[3] is None

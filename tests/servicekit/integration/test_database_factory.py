"""The test helper that copies a database: the bench replays statements on a copy taken before they ran."""
from sqlalchemy import create_engine, text


def test_a_copy_has_the_contents_and_is_independent(databases, db_kind):
    url = databases.empty(db_kind)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1), (2)"))
    engine.dispose()

    copy = create_engine(databases.copy(url))
    try:
        with copy.begin() as conn:
            assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
            conn.execute(text("INSERT INTO t VALUES (3)"))
    finally:
        copy.dispose()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    finally:
        engine.dispose()

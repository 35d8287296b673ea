"""Pruning the outbox and the inbox at a region's volume (issue #18 point 5, servicekit.retention).

A database with EVENTS outbox rows and EVENTS inbox claims spread evenly over the last 60 days (so ~88 % are
older than the 7-day retention; 1 % of the outbox rows unpublished, old ones included, which must stay), then
the job's step as `python -m <service>.jobs prune` runs it: the time to prune each table, rows per second, the
size before and after, and the next step, which finds nothing to do (what the job costs every hour from then
on). On PostgreSQL and on SQLite. `BENCH_PRUNE_EVENTS` scales it (default 3,000,000: about 1.3 GB on
PostgreSQL; it is written server-side with generate_series / a recursive CTE, not through the client).

Figures only: nothing here is asserted.
"""
from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, text

from servicekit.config import BaseConfig
from servicekit.db import make_engine, make_session_factory
from servicekit.retention import CLOCK_MARGIN, outbox_cutoff, prune_inbox, prune_outbox
from servicekit.tables import infra_metadata, outbox, processed_events
from servicekit.testing import DatabaseFactory

EVENTS = int(os.environ.get("BENCH_PRUNE_EVENTS", "3000000"))
SPAN_S = 60 * 24 * 3600
PAYLOAD = 400          # bytes of JSON: about what a DonationRecorded envelope takes


def _fill_postgres(conn, n: int) -> None:
    conn.execute(text(f"""
        INSERT INTO outbox (event_id, topic, key, type, version, payload, headers, created_at, published_at, attempts)
        SELECT md5('o' || i)::uuid::text, 'bench.events', 'key-' || (i % 100000), 'Noted', 1, repeat('x', {PAYLOAD}),
               '[]'::json, t, CASE WHEN i % 100 = 0 THEN NULL ELSE t + interval '1 second' END, 1
        FROM (SELECT i, now() - make_interval(secs => (:n - i) * {SPAN_S}.0 / :n) AS t
              FROM generate_series(1, :n) AS i) AS s"""), {"n": n})
    conn.execute(text(f"""
        INSERT INTO processed_events (consumer, event_id, event_type, processed_at)
        SELECT 'bench', md5('p' || i)::uuid::text, 'Noted', now() - make_interval(secs => (:n - i) * {SPAN_S}.0 / :n)
        FROM generate_series(1, :n) AS i"""), {"n": n})
    conn.execute(text("ANALYZE outbox"))
    conn.execute(text("ANALYZE processed_events"))


def _fill_sqlite(conn, n: int) -> None:
    # SQLAlchemy's SQLite DATETIME text ('YYYY-MM-DD HH:MM:SS.ffffff', UTC): what the job's comparisons bind.
    at = f"strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || ((:n - i) * {SPAN_S} / :n) || ' seconds') || '.000000'"
    series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n)"
    conn.execute(text(f"""
        INSERT INTO outbox (event_id, topic, key, type, version, payload, headers, created_at, published_at, attempts)
        {series} SELECT printf('%036d', i), 'bench.events', 'key-' || (i % 100000), 'Noted', 1,
                        printf('%.{PAYLOAD}c', 'x'), '[]', {at},
                        CASE WHEN i % 100 = 0 THEN NULL ELSE {at} END, 1 FROM s"""), {"n": n})
    conn.execute(text(f"""
        INSERT INTO processed_events (consumer, event_id, event_type, processed_at)
        {series} SELECT 'bench', printf('%036d', i), 'Noted', {at} FROM s"""), {"n": n})


def _size_mb(engine) -> float:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            size = conn.execute(text("SELECT pg_total_relation_size('outbox') + pg_total_relation_size('processed_events')")).scalar_one()
        else:       # pages in use (the file keeps its freed pages until VACUUM)
            size = conn.execute(text("PRAGMA page_count")).scalar_one() - conn.execute(text("PRAGMA freelist_count")).scalar_one()
            size *= conn.execute(text("PRAGMA page_size")).scalar_one()
    return round(size / 1e6, 1)


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(outbox)).scalar_one(),
                conn.execute(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))).scalar_one(),
                conn.execute(select(func.count()).select_from(processed_events)).scalar_one())


def measure(url: str, n: int = EVENTS) -> dict:
    engine = make_engine(url)
    infra_metadata.create_all(engine)
    started = time.monotonic()
    with engine.begin() as conn:
        (_fill_postgres if engine.dialect.name == "postgresql" else _fill_sqlite)(conn, n)
    filled_s = time.monotonic() - started
    before, size_before = _counts(engine), _size_mb(engine)
    sessions = make_session_factory(engine)
    config = BaseConfig()
    cutoff = outbox_cutoff(config.event_retention_days, datetime.now(timezone.utc))
    t0 = time.monotonic()
    outbox_pruned = prune_outbox(sessions, cutoff, config.prune_batch)
    t1 = time.monotonic()
    inbox_pruned = prune_inbox(sessions, cutoff - CLOCK_MARGIN, config.prune_batch)
    t2 = time.monotonic()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM outbox"))
            conn.execute(text("VACUUM processed_events"))
    after, size_after = _counts(engine), _size_mb(engine)
    t3 = time.monotonic()
    again = prune_outbox(sessions, cutoff, config.prune_batch) + prune_inbox(sessions, cutoff - CLOCK_MARGIN,
                                                                             config.prune_batch)
    idle_step_ms = (time.monotonic() - t3) * 1000
    engine.dispose()
    return {
        "events": n, "filled_s": round(filled_s, 1),
        "outbox rows before / after (unpublished)": f"{before[0]:,} / {after[0]:,} ({before[1]:,} → {after[1]:,})",
        "inbox claims before / after": f"{before[2]:,} / {after[2]:,}",
        "outbox pruned": f"{outbox_pruned:,} in {t1 - t0:.1f} s ({outbox_pruned / max(t1 - t0, 1e-9):,.0f} rows/s)",
        "inbox pruned": f"{inbox_pruned:,} in {t2 - t1:.1f} s ({inbox_pruned / max(t2 - t1, 1e-9):,.0f} rows/s)",
        "both tables, MB before / after": f"{size_before} / {size_after}",
        "next step (nothing to prune)": f"{idle_step_ms:.1f} ms, pruned {again}",
    }


def run() -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        factory = DatabaseFactory(Path(tmp))
        try:
            for kind in ("postgresql", "sqlite"):
                result = measure(factory.empty(kind))
                out.update({f"{kind}: {key}": value for key, value in result.items()})
        finally:
            factory.drop_all()
    return out


if __name__ == "__main__":
    for key, value in run().items():
        print(f"  {key:<60} {value}")

"""How much of a direct deduction's CPU in the waiver service is the work any implementation must do.

Measured in-process, one thread, CPU clock, on PostgreSQL (the production database), for the same kind of
request `make bench` sends through the gateway (one red-cell line paid from the patient's own pool):

- `app_ms`: the real route and use case, through the waiver app (Flask's test client adds a little);
- `replay_ms`: the very statements those deductions ran, with the very values they bound, replayed on a copy
  of the database taken just before, straight on psycopg: no Flask, no webargs/marshmallow, no SQLAlchemy,
  no domain code, nothing but sending them and reading their rows. Any implementation that keeps these
  statements pays at least this in the client; what PostgreSQL itself spends on them is seen only by the
  system figures (`postgres` in "its CPU per request").

The difference is what the framework stack and the domain code cost on top of the database work.
"""
from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import event

from servicekit.db import make_engine, make_session_factory
from servicekit.testing import DatabaseFactory
from tests.helpers import SERVICE_KEYS, PII_KEY, auth
from tests.waiver.builders import Ledger, deduction_body, line, person
from waiver.app import create_app

N = 400
DONORS = 100


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        factory = DatabaseFactory(Path(tmp))
        try:
            return _measure(factory, tmp)
        finally:
            factory.drop_all()


def _measure(factory: DatabaseFactory, tmp: str) -> dict:
    url = factory.new("waiver", "postgresql")
    patients = _seed(url)
    app = create_app(database_url=url, **SERVICE_KEYS, pii_key=PII_KEY, log_level="WARNING",
                     documents_dir=f"{tmp}/documents", bank_batch_dir=f"{tmp}/bank")
    engine = app.extensions["waiver"].engine
    client, headers = app.test_client(), auth("hospital", site_id="H1", region="SH")

    def deduct(i: int) -> None:
        body = deduction_body(patients[i % len(patients)],
                              lines=[line(amount="220.00", volume_ml=200, units=1, days_ago=0.01)])
        resp = client.post("/api/v1/waiver/direct-deductions", json=body,
                           headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        assert resp.status_code == 201, resp.get_data(as_text=True)

    for i in range(50):                      # warm: compiled caches, prepared statements, pool
        deduct(i)
    engine.dispose()                         # a database with open connections cannot be copied
    replica = factory.copy(url)
    captured = _capture(engine, lambda: [deduct(i) for i in range(N)])
    app_ms = _cpu_ms(lambda: [deduct(i) for i in range(N)]) / N
    engine.dispose()
    replay_ms, statements = _replay(replica, captured)
    return {"deduction_in_waiver_app_ms_cpu": round(app_ms, 3),
            "same_statements_on_bare_psycopg_ms_cpu": round(replay_ms, 3),
            "statements_per_deduction": round(statements, 1),
            "framework_and_domain_share": f"{1 - replay_ms / app_ms:.0%}"}


def _seed(url: str, birth: str = "19850101") -> list[str]:
    """Donors with three donations each: the pools the deductions pay from. `birth` tells calls apart (a birth day
    has 499 resident IDs per district in `person`)."""
    engine = make_engine(url)
    try:
        ledger = Ledger(make_session_factory(engine))
        patients = []
        for _ in range(DONORS):
            national_id = person(birth=birth)
            donor_id = ledger.donor(national_id)
            for _ in range(3):
                ledger.donation(donor_id, national_id)
            patients.append(national_id)
        return patients
    finally:
        engine.dispose()


def _capture(engine, work) -> list[tuple]:
    """Every statement `work` sends, in order, with its driver-level parameters, and where each transaction
    committed: ("sql", statement, parameters, autocommit) and ("commit",) items."""
    items: list[tuple] = []

    def on_execute(conn, _cursor, statement, parameters, _context, executemany):
        assert not executemany, "the deduction path sends no executemany"
        autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        items.append(("sql", statement, parameters, autocommit))

    def on_commit(_conn):
        items.append(("commit",))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    return items


def _replay(url: str, items: list[tuple]) -> tuple[float, float]:
    """Send the captured statements to the copy in their order; CPU per deduction after the first fifth
    (which warms psycopg's prepared statements), and statements per deduction."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, psycopg.connect(dsn, autocommit=True) as autocommit:
        commits = [i for i, item in enumerate(items) if item[0] == "commit"]
        warm_until = commits[len(commits) // 5]
        measured = len(commits) - len(commits) // 5 - 1

        def send(part):
            for item in part:
                if item[0] == "commit":
                    conn.commit()
                    continue
                _, statement, parameters, on_autocommit = item
                cur = (autocommit if on_autocommit else conn).execute(statement, parameters)
                if cur.description is not None:
                    cur.fetchall()

        send(items[:warm_until + 1])
        ms = _cpu_ms(lambda: send(items[warm_until + 1:]))
    return ms / measured, sum(item[0] == "sql" for item in items) / len(commits)


def _cpu_ms(work) -> float:
    started = time.process_time()
    work()
    return (time.process_time() - started) * 1000

"""The audit trail of write requests and the hash-chained money log."""
import threading

import pytest
from flask import Flask
from sqlalchemy import select, update

from servicekit import chain
from servicekit.audit import audit_log, create_audit_tables, install_audit
from servicekit.auth import require_role
from servicekit.db import make_engine, make_session_factory
from servicekit.errors import Conflict, register_error_handlers
from servicekit.web import install_request_context
from hemolink.access import ROLES
from tests.helpers import TEST_KEYS, auth


@pytest.fixture
def sf(databases, db_kind):
    engine = make_engine(databases.empty(db_kind))
    with engine.begin() as conn:
        create_audit_tables(conn)
        chain.create_chain_tables(conn)
    yield make_session_factory(engine)
    engine.dispose()


def _audited_app(sf) -> Flask:
    app = Flask(__name__)
    app.config.update(JWT_KEYS=TEST_KEYS, JWT_ROLES=ROLES, SERVICE_NAME="kit")
    register_error_handlers(app)
    install_request_context(app)
    install_audit(app, sf, "kit")
    return app


def _app(sf):
    app = _audited_app(sf)

    @app.post("/things/<thing_id>/approve")
    @require_role("reviewer")
    def approve(thing_id):
        return {"ok": True}

    @app.get("/things")
    def things():
        return []

    return app.test_client()


def test_every_write_request_is_recorded_with_actor_target_and_outcome(sf):
    client = _app(sf)
    client.post("/things/t-1/approve", headers={**auth("reviewer", sub="rev-9", region="SH"), "X-Request-ID": "rq-1"})
    client.post("/things/t-2/approve", headers=auth("hospital", sub="h-1", site_id="H1"))
    client.post("/things/t-3/approve")
    client.get("/things")
    with sf() as s:
        rows = s.execute(select(audit_log).order_by(audit_log.c.id)).all()
    assert [(r.actor, r.role, r.target, r.status, r.outcome) for r in rows] == [
        ("rev-9", "reviewer", "thing_id=t-1", 200, "succeeded"),
        ("h-1", "hospital", "thing_id=t-2", 403, "refused"),
        (None, None, "thing_id=t-3", 401, "refused"),
    ]
    assert rows[0].action == "POST /things/<thing_id>/approve" and rows[0].request_id == "rq-1"
    assert rows[0].region == "SH" and rows[1].site_id == "H1"


def _committing_app(sf):
    """Views that change state through the app's session factory, as the units of work do."""
    app = _audited_app(sf)

    @app.post("/things/<thing_id>/spend")
    @require_role("reviewer")
    def spend(thing_id):
        with sf.begin() as session:          # a change committed, then the use case refuses (an attempt counted)
            session.execute(chain.chain_entries.insert().values(**_entry(thing_id)))
        raise Conflict("已用完", code="used_up")

    @app.post("/things/<thing_id>/twice")
    @require_role("reviewer")
    def twice(thing_id):
        for step in ("a", "b"):
            with sf.begin() as session:
                session.execute(chain.chain_entries.insert().values(**_entry(f"{thing_id}-{step}")))
        return {"ok": True}

    @app.post("/things/<thing_id>/broken")
    @require_role("reviewer")
    def broken(thing_id):
        with sf.begin() as session:          # the change fails: nothing commits, the request is still audited
            session.execute(chain.chain_entries.insert().values(**_entry(thing_id)))
            raise RuntimeError("lost")

    return app.test_client()


def _entry(subject):
    from datetime import datetime, timezone
    return {"at": datetime.now(timezone.utc), "kind": "test", "subject": subject, "payload": "{}",
            "prev_hash": "0", "hash": subject}


def test_the_audit_row_of_a_change_commits_with_it_and_says_how_the_request_ended(sf):
    client = _committing_app(sf)
    reviewer = auth("reviewer", sub="rev-1", region="SH")
    assert client.post("/things/t-1/spend", headers={**reviewer, "X-Request-ID": "rq-spend"}).status_code == 409
    assert client.post("/things/t-2/twice", headers={**reviewer, "X-Request-ID": "rq-twice"}).status_code == 200
    assert client.post("/things/t-3/broken", headers={**reviewer, "X-Request-ID": "rq-broken"}).status_code == 500
    with sf() as s:
        rows = s.execute(select(audit_log).order_by(audit_log.c.id)).all()
        subjects = set(s.execute(select(chain.chain_entries.c.subject)).scalars())
    assert [(r.request_id, r.status, r.outcome) for r in rows] == [
        ("rq-spend", 409, "refused"), ("rq-twice", 200, "succeeded"), ("rq-broken", 500, "failed")]
    assert subjects == {"t-1", "t-2-a", "t-2-b"}


def _append(sf, n, kind="deduction"):
    for i in range(n):
        with sf() as s, s.begin():
            chain.append(s, kind=kind, subject=f"d-{i}", payload={"yuan": f"{i}.00"})


def test_an_intact_chain_verifies(sf):
    _append(sf, 5)
    with sf() as s:
        assert chain.verify(s) == (True, "5 entries verified")


@pytest.mark.parametrize("tamper,expected", [("payload", "entry 3 was altered"), ("delete", "entry 3 is missing"),
                                             ("swap", "entry 2 was altered")])
def test_tampering_with_any_entry_is_caught(sf, tamper, expected):
    _append(sf, 5)
    with sf() as s, s.begin():
        t = chain.chain_entries
        if tamper == "payload":
            s.execute(update(t).where(t.c.seq == 3).values(payload='{"yuan":"9999.00"}'))
        elif tamper == "delete":
            s.execute(t.delete().where(t.c.seq == 3))
        else:
            s.execute(update(t).where(t.c.seq == 2).values(subject="d-3"))
    with sf() as s:
        ok, message = chain.verify(s)
    assert not ok and message.startswith(expected)


def test_the_verify_command_exits_non_zero_on_a_broken_chain(sf, capsys):
    _append(sf, 3)
    url = str(sf.kw["bind"].url.render_as_string(hide_password=False))
    assert chain.main(["verify", "--database-url", url, "--unkeyed"]) == 0
    with sf() as s, s.begin():
        s.execute(update(chain.chain_entries).where(chain.chain_entries.c.seq == 1).values(kind="payment"))
    assert chain.main(["verify", "--database-url", url, "--unkeyed"]) == 1
    assert "BROKEN: entry 1 was altered" in capsys.readouterr().out


def test_concurrent_appends_form_one_unbroken_chain(sf):
    threads = [threading.Thread(target=_append, args=(sf, 10)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sf() as s:
        assert chain.verify(s) == (True, "40 entries verified")

"""A change and its audit row commit together: a service process killed between the change's commit and its
response leaves both, one killed just before the commit leaves neither. The process is the real donor API; the
test's wrapper only adds a SIGKILL at the chosen moment (a session event on the app's own session factory)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, func, select

from servicekit.audit import audit_log
from servicekit.broker import free_port
from servicekit.tables import outbox as outbox_table
from tests.helpers import PUBLIC_KEYS, PII_KEY, auth, make_national_id

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs the donor app, adding a session event that kills the process at `moment` of the first write request.
SERVER = """
import os, signal, sys
from flask import request, has_request_context
from sqlalchemy import event
from werkzeug.serving import run_simple
from donor.app import create_app

moment, port = sys.argv[1], int(sys.argv[2])
app = create_app()
sessions = app.extensions["donor"].session_factory

def die(_session):
    if has_request_context() and request.method == "POST":
        os.kill(os.getpid(), signal.SIGKILL)

event.listen(sessions, moment, die)
run_simple("127.0.0.1", port, app, threaded=False)
"""


def _serve(moment: str, url: str, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "JWT_PUBLIC_KEYS": PUBLIC_KEYS, "PII_KEY": PII_KEY,
           "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-c", SERVER, moment, str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).ok:
                return process, base
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise AssertionError((tmp_path / "server.log").read_text())


def _counts(url: str, request_id: str) -> tuple[int, int, int]:
    from donor.orm import donors

    engine = create_engine(url)
    with engine.connect() as conn:
        result = (conn.execute(select(func.count()).select_from(donors)).scalar_one(),
                  conn.execute(select(func.count()).select_from(audit_log)
                               .where(audit_log.c.request_id == request_id)).scalar_one(),
                  conn.execute(select(func.count()).select_from(outbox_table)).scalar_one())
    engine.dispose()
    return result


@pytest.mark.parametrize("moment,left", [("after_commit", (1, 1, 1)), ("before_commit", (0, 0, 0))],
                         ids=["killed-after-the-commit", "killed-before-the-commit"])
def test_a_process_killed_around_the_commit_leaves_the_change_and_its_audit_row_together(
        databases, db_kind, tmp_path, moment, left):
    url = databases.new("donor", db_kind)
    process, base = _serve(moment, url, tmp_path)
    try:
        with pytest.raises(requests.ConnectionError):      # the process died before answering
            requests.post(base + "/api/v1/donors", timeout=10,
                          headers={**auth("station", site_id="SH-S1", region="SH"), "X-Request-ID": "crash-1"},
                          json={"name": "审计", "national_id": make_national_id(seq=77), "phone": "13912345670",
                                "abo": "A", "rhd": "pos"})
        assert process.wait(timeout=10) == -9
    finally:
        if process.poll() is None:
            process.kill()
    assert _counts(url, "crash-1") == left

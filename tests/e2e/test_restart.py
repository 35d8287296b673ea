"""`make down`, then `make up` again on the same var/: the data is still there, the memory-only broker is
refilled by outbox replay, consumers skip what they already applied, and new events flow again."""
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import ROOT, System
from tests.helpers import make_national_id, wait_until


def _listening(port: str) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", int(port))) == 0


def _processed(system, service, event_type) -> list[tuple[str, int]]:
    db = sqlite3.connect(system.var_dir / f"{service}.db")
    try:
        return db.execute("SELECT event_id, COUNT(*) FROM processed_events WHERE event_type = ? GROUP BY event_id",
                          (event_type,)).fetchall()
    finally:
        db.close()


@pytest.fixture
def small_system(tmp_path):
    system = System(tmp_path, demo=False)
    system.start()
    yield system
    system.stop()


def test_make_down_then_up_again_keeps_data_and_applies_nothing_twice(small_system):
    system = small_system
    station = system.staff("restart.station", "station", site_id="SH-RS-S1")
    hospital = system.staff("restart.hospital", "hospital", site_id="SH-RS-H1")
    first = make_national_id(birth="19790909", seq=11)
    system.remember(first, "13600009999")
    donor = system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "重启前", "national_id": first, "phone": "13600009999", "abo": "A", "rhd": "pos"}).json()
    lookup = lambda nid: system.url(f"/api/v1/waiver/entitlements?patient_national_id={nid}")  # noqa: E731
    wait_until(lambda: system.http.get(lookup(first), headers=hospital).json()["patient_is_donor"], timeout_s=20)

    down = subprocess.run([sys.executable, str(ROOT / "scripts" / "down.py")], env=system.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 0 and "stopped" in down.stdout, down.stdout + down.stderr
    assert system.process.wait(30) is not None
    ports = ("GATEWAY_PORT", "DONOR_PORT", "INVENTORY_PORT", "WAIVER_PORT", "BROKER_PORT")
    wait_until(lambda: not any(_listening(system.env[p]) for p in ports), timeout_s=20)
    system.log.close()

    started = time.monotonic()
    system.start()                                                   # same var/, an empty broker
    assert time.monotonic() - started < 60
    assert "outbox events queued for replay" in system.logs()
    station = system.login("restart.station", "password-restart.station")          # users kept in gateway.db
    assert system.http.get(system.url(f"/api/v1/donors/{donor['id']}"), headers=station).status_code == 200

    second = make_national_id(birth="19790909", seq=12)
    system.remember(second, "13600008888")
    assert system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "重启后", "national_id": second, "phone": "13600008888", "abo": "A", "rhd": "pos"}).status_code == 201
    hospital = system.login("restart.hospital", "password-restart.hospital")
    wait_until(lambda: system.http.get(lookup(second), headers=hospital).json()["patient_is_donor"], timeout_s=30)
    time.sleep(1)                                         # let the replayed first event reach both groups
    for service in ("waiver", "inventory"):
        applied = _processed(system, service, "DonorRegistered")
        assert len(applied) == 2 and all(count == 1 for _, count in applied), (service, applied)
    logs = system.logs()
    assert first not in logs and second not in logs and "13600008888" not in logs

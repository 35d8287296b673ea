"""The kill drill: the replicated run (`HEMOLINK_REPLICAS=2 make up`: PostgreSQL, Redis, nginx, 2 of every process)
under steady writes of every kind, with one replica of each kind SIGKILLed every few seconds for a minute.

Afterwards: no acknowledged write is missing downstream, none was applied twice, every donor's events were applied
in their order (a donation never before its registration), and the login-code limit is still one limit.
"""
from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from servicekit.testing import DatabaseFactory
from tests.e2e.conftest import System
from tests.helpers import make_national_id, wait_until

DRILL_S = float(os.environ.get("DRILL_SECONDS", "60"))
KILL_EVERY_S = 4.0
WRITERS = 3
KINDS = {                                   # a kind → the Procfile processes of that kind
    "api": ("donor_api", "inventory_api", "waiver_api"),
    "consumer": ("donor_consumer", "inventory_consumer", "waiver_consumer"),
    "relay": ("donor_relay", "inventory_relay", "waiver_relay"),
    "job": ("inventory_expiry", "waiver_reminders"),
    "gateway": ("gateway",),
}


def replica_pids(var_dir: Path) -> dict[str, list[int]]:
    """Replica name → the pids of its processes (a gunicorn master and its workers: the whole "pod")."""
    found: dict[str, list[int]] = {}
    marker = f"HEMOLINK_VAR={var_dir}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker not in environ:
            continue
        name = next((v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"HEMOLINK_PROCESS=")), None)
        if name:
            found.setdefault(name, []).append(int(entry.name))
    return found


def sigkill(var_dir: Path, replica: str) -> bool:
    pids = replica_pids(var_dir).get(replica, [])
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return bool(pids)


class Ledger:
    """What the system acknowledged (2xx) during the drill, by kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.donors: dict[str, str] = {}          # donor id → national id
        self.donations: dict[str, str] = {}       # din → donor id
        self.released: set[str] = set()           # dins whose units were released
        self.transfusions: dict[str, str] = {}    # unit id → donor id of the unit
        self.deductions: dict[str, tuple[str, dict, str]] = {}   # idempotency key → (deduction id, body, hospital)
        self.failures = Counter()                  # unacknowledged attempts (5xx, connection errors), by step

    def add(self, kind: str, key, value) -> None:
        with self.lock:
            getattr(self, kind)[key] = value


def _call(session: requests.Session, ledger: Ledger, step: str, method: str, url: str, *, ok=(200, 201), tries=8,
          **kwargs) -> requests.Response | None:
    """Retry through a killed replica: a refused or cut request is not acknowledged, so it may be sent again (every
    write here is idempotent by key or by a natural unique field)."""
    for _ in range(tries):
        try:
            resp = session.request(method, url, timeout=15, **kwargs)
        except requests.RequestException:
            ledger.failures[step] += 1
            time.sleep(0.3)
            continue
        if resp.status_code in ok:
            return resp
        if resp.status_code >= 500 or resp.status_code == 404:   # 404: not yet seen downstream
            ledger.failures[step] += 1
            time.sleep(0.3)
            continue
        return resp
    return None


def _writer(system: System, ledger: Ledger, stop: threading.Event, index: int):
    session = requests.Session()
    station = system.login("drill.station", "password-drill.station")       # SH-DRILL-S
    hospital = system.login("drill.hospital", "password-drill.hospital")    # SH-DRILL-H, supplied by it
    n = 0
    while not stop.is_set():
        n += 1
        nid = make_national_id(birth=f"19{90 + index}0{1 + n % 9}1{n % 10}", seq=(n * 7 + index) % 450)
        system.remember(nid)
        body = {"name": f"演练{index}-{n}", "national_id": nid, "phone": f"139{index:02d}{n:06d}", "abo": "O",
                "rhd": "pos"}
        resp = _call(session, ledger, "register", "POST", system.url("/api/v1/donors"), headers=station, json=body,
                     ok=(201, 409))
        if resp is None:
            continue
        donor_id = resp.json()["id"] if resp.status_code == 201 else resp.json().get("existing_id")
        if not donor_id:
            continue
        ledger.add("donors", donor_id, nid)
        donations_url = system.url(f"/api/v1/donors/{donor_id}/donations")
        resp = _call(session, ledger, "donate", "POST", donations_url, headers=station, json={
            "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66,
            "systolic": 120, "diastolic": 80})
        if resp is not None and resp.status_code != 201:
            ledger.failures[f"donate {resp.status_code}"] += 1
        if resp is None or resp.status_code != 201:
            # A cut request may have been recorded: the donor's list says (the interval refuses a second one).
            listed = _call(session, ledger, "donate", "GET", donations_url, headers=station)
            if listed is None or listed.status_code != 200 or not listed.json():
                continue
            din = listed.json()[0]["din"]
        else:
            din = resp.json()["din"]
        ledger.add("donations", din, donor_id)
        if n % 2:                                  # half the donations go on to the hospital and discharge
            continue
        released = _call(session, ledger, "release", "POST", system.url(f"/api/v1/donations/{din}/test-result"),
                         headers=station, json={"qualified": True}, tries=40)
        if released is None or released.status_code != 200:
            continue
        ledger.released.add(din)
        order = _call(session, ledger, "order", "POST", system.url("/api/v1/orders"), headers=hospital, json={
            "lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 2}], "priority": "urgent"})
        if order is None or order.status_code != 201 or not order.json()["allocations"]:
            continue
        unit = order.json()["allocations"][0]
        transfused_at = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
        t = _call(session, ledger, "transfuse", "POST", system.url("/api/v1/transfusions"), headers=hospital, json={
            "unit_id": unit["id"], "patient_national_id": nid, "patient_name": "演练患者", "transfused_at": transfused_at},
            ok=(201, 409))
        if t is None or t.status_code != 201:
            continue
        ledger.add("transfusions", unit["id"], ledger.donations.get(unit["din"], donor_id))
        if unit["din"] != din:
            continue                               # another donor's bag: this patient's own pool may not cover it
        body = {"patient_national_id": nid, "patient_name": "演练患者", "admission_no": f"DRILL-{index}-{n}",
                "lines": [{"unit_id": unit["id"], "component": "red_cells", "volume_ml": 400, "amount_yuan": "440.00",
                           "transfused_at": transfused_at}]}
        key = f"drill-{uuid.uuid4()}"
        d = _call(session, ledger, "deduct", "POST", system.url("/api/v1/waiver/direct-deductions"),
                  headers={**hospital, "Idempotency-Key": key}, json=body, tries=40)
        if d is not None and d.status_code == 201:
            ledger.add("deductions", key, (d.json()["id"], body, hospital))


def _killer(system: System, stop: threading.Event, kills: list[str]):
    rng = random.Random(16)
    while not stop.wait(KILL_EVERY_S):
        running = replica_pids(system.var_dir)
        for processes in KINDS.values():
            # A replica killed last round may still be restarting (slowly on a loaded machine): pick among the
            # ones that are up, so every round kills one of each kind.
            up = sorted(f"{p}_{i}" for p in processes for i in (1, 2) if f"{p}_{i}" in running)
            replica = rng.choice(up) if up else None
            if replica and sigkill(system.var_dir, replica):
                kills.append(replica)


@pytest.fixture
def replicated(tmp_path):
    factory = DatabaseFactory(tmp_path)
    urls = {f"{s.upper()}_DATABASE_URL": factory.empty("postgresql") for s in ("donor", "inventory", "waiver", "gateway")}
    system = System(tmp_path / "var", demo=False, extra_env={"HEMOLINK_REPLICAS": "2", "LOG_LEVEL": "WARNING", **urls})
    system.var_dir.mkdir()
    system.start(deadline_s=120)
    yield system, urls
    system.stop()
    factory.drop_all()


def _rows(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def test_killing_replicas_loses_no_write_applies_none_twice_and_keeps_each_donors_order(replicated):
    system, urls = replicated
    running = replica_pids(system.var_dir)
    for processes in KINDS.values():
        for process in processes:
            assert {f"{process}_1", f"{process}_2"} <= set(running), (process, sorted(running))

    for body in ({"id": "SH-DRILL-S", "name": "演练血站", "kind": "station", "region": "SH", "lat": 31.2, "lon": 121.5},
                 {"id": "SH-DRILL-H", "name": "演练医院", "kind": "hospital", "region": "SH", "supplier_id": "SH-DRILL-S",
                  "lat": 31.21, "lon": 121.48}):
        assert system.http.post(system.url("/api/v1/sites"), json=body, headers=system.admin()).status_code == 201
    system.staff("drill.station", "station", site_id="SH-DRILL-S")
    system.staff("drill.hospital", "hospital", site_id="SH-DRILL-H")

    ledger, kills, stop = Ledger(), [], threading.Event()
    threads = [threading.Thread(target=_writer, args=(system, ledger, stop, i), daemon=True)
               for i in range(WRITERS)]
    threads.append(threading.Thread(target=_killer, args=(system, stop, kills), daemon=True))
    for thread in threads:
        thread.start()
    time.sleep(DRILL_S)
    stop.set()
    for thread in threads:
        thread.join(120)
    assert len(kills) >= len(KINDS) * int(DRILL_S / KILL_EVERY_S - 2), kills
    assert ledger.donors and ledger.donations and ledger.transfusions and ledger.deductions, vars(ledger)

    # every acknowledged write arrives downstream, once
    donor_ids = sorted(ledger.donors)
    def waiver_has_everything():
        donors = {r[0] for r in _rows(urls["WAIVER_DATABASE_URL"], "SELECT donor_id FROM ledger_donors")}
        dins = Counter(r[0] for r in _rows(urls["WAIVER_DATABASE_URL"], "SELECT din FROM ledger_donations"))
        units = {r[0] for r in _rows(urls["WAIVER_DATABASE_URL"], "SELECT unit_id FROM transfusions")}
        return set(donor_ids) <= donors and set(ledger.donations) <= set(dins) and set(ledger.transfusions) <= units
    wait_until(waiver_has_everything, timeout_s=90, interval_s=1)
    dins = Counter(r[0] for r in _rows(urls["WAIVER_DATABASE_URL"], "SELECT din FROM ledger_donations"))
    assert all(count == 1 for count in dins.values()), dins.most_common(3)

    def inventory_has_every_unit():
        units = Counter(r[0] for r in _rows(urls["INVENTORY_DATABASE_URL"], "SELECT din FROM units"))
        return all(units[din] == 2 for din in ledger.donations)
    wait_until(inventory_has_every_unit, timeout_s=90, interval_s=1)
    units = Counter(r[0] for r in _rows(urls["INVENTORY_DATABASE_URL"], "SELECT din FROM units"))
    assert set(units.values()) == {2}, units.most_common(3)    # never a third bag from a doubled donation

    # Every transfusion the inventory holds (the acknowledged ones and those whose 201 was cut, answered 409 on the
    # retry) tells the unit's donor once: one `unit_used:<unit>` notification, addressed to the donor of the bag.
    transfused = {r[0]: r[1] for r in _rows(urls["INVENTORY_DATABASE_URL"],
                                            "SELECT t.unit_id, u.donor_id FROM transfusions t JOIN units u ON u.id = t.unit_id")}
    assert set(ledger.transfusions) <= set(transfused)
    assert all(transfused.values()), "a drill unit without its donor"

    def told() -> dict[str, str]:
        return {r[0].removeprefix("unit_used:"): r[1] for r in _rows(
            urls["DONOR_DATABASE_URL"], "SELECT dedupe_key, donor_id FROM notifications WHERE kind = 'unit_used'")}
    try:
        wait_until(lambda: told() == transfused, timeout_s=90, interval_s=1)
    except AssertionError:
        notes = told()
        missing = {u: d for u, d in transfused.items() if u not in notes}
        wrong = {u: (notes[u], d) for u, d in transfused.items() if u in notes and notes[u] != d}
        extra = set(notes) - set(transfused)
        raise AssertionError(f"{len(missing)} transfusions never told, {len(wrong)} told the wrong donor, "
                             f"{len(extra)} told without a transfusion: {list(missing.items())[:3]} {wrong} {extra}")

    # each donor's events were applied in their order, by every consumer group
    outbox = {r[0]: (r[1], r[2], r[3]) for r in _rows(
        urls["DONOR_DATABASE_URL"], "SELECT event_id, key, type, seq FROM outbox WHERE type IN "
                                    "('DonorRegistered', 'DonationRecorded')")}
    for service in ("waiver", "inventory"):
        processed = _rows(urls[f"{service.upper()}_DATABASE_URL"],
                          "SELECT event_id, processed_at FROM processed_events WHERE consumer = :c", c=service)
        by_donor: dict[str, list[tuple]] = {}
        for event_id, processed_at in processed:
            if event_id in outbox:
                key, type_, seq = outbox[event_id]
                by_donor.setdefault(key, []).append((processed_at, seq, type_))
        out_of_order = {key: events for key, events in by_donor.items()
                        if [s for _, s, _ in sorted(events)] != sorted(s for _, s, _ in events)}
        assert not out_of_order, (service, list(out_of_order.items())[:3])

    # a deduction acknowledged during the drill exists once, and its key still answers with it
    ids = [r[0] for r in _rows(urls["WAIVER_DATABASE_URL"], "SELECT id FROM deductions WHERE admission_no LIKE 'DRILL-%'")]
    assert sorted(ids) == sorted(d[0] for d in ledger.deductions.values())
    for key, (deduction_id, body, hospital) in list(ledger.deductions.items())[:5]:
        again = system.http.post(system.url("/api/v1/waiver/direct-deductions"), json=body,
                                 headers={**hospital, "Idempotency-Key": key})
        assert again.status_code == 201 and again.json()["id"] == deduction_id

    # the login-code limit is one limit across both gateways behind nginx
    phone = "13911112222"
    answers = [system.http.post(system.url("/api/v1/auth/donor/otp"), json={"phone": phone}).status_code
               for _ in range(4)]
    assert sorted(answers) == [202, 429, 429, 429], answers
    print(f"drill: {len(kills)} kills, {len(ledger.donors)} donors, {len(ledger.donations)} donations, "
          f"{len(ledger.transfusions)} transfusions, {len(ledger.deductions)} deductions acknowledged; "
          f"unacknowledged attempts {dict(ledger.failures)}")

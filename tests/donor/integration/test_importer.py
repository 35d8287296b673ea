"""`python -m donor.importer` (docs/api.md "Bulk import"): idempotent, resumable after a kill, rows refused with
their reason and nothing else of them stored, a malformed or empty file, memory flat whatever the file's size."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from donor import importer
from donor.config import Config
from donor.din import check_character, compose, default_facility_id
from servicekit.outbox import envelopes
from tests.bench import region
from tests.helpers import PII_KEY, make_national_id
from tests.donor.integration.conftest import station

ROOT = Path(__file__).resolve().parents[3]
STATION_ID = "SH-S1"


def _config(url: str) -> Config:
    return Config(database_url=url, pii_key=PII_KEY)


def _run(path: Path, url: str, **kwargs):
    out = io.StringIO()
    done, _seconds = importer.run(path, station=STATION_ID, region="SH", config=_config(url), out=out, **kwargs)
    return done


def _write(path: Path, rows, header=region.HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _rejects(path: Path) -> list[dict]:
    with path.with_name(path.name + ".rejects.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _scalar(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _env(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "PII_KEY": PII_KEY, "PYTHONPATH": str(ROOT)}


def test_an_import_stores_donors_donations_and_their_events_and_a_rerun_adds_nothing(tmp_path, donor_db, state,
                                                                                   client, session_factory):
    path = _write(tmp_path / "region.csv", region.rows(120, 5, station=STATION_ID))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    done = _run(path, donor_db, batch_rows=100)
    assert (done.donors, done.donations, done.rejected) == (120, len(rows), 0)
    events = envelopes(session_factory)
    assert sum(e["type"] == "DonorRegistered" for e in events) == 120
    assert sorted(e["data"]["din"] for e in events if e["type"] == "DonationRecorded") == sorted(r["din"] for r in rows)
    # Per donor, the registration is staged before that donor's donations (the key's order on the topic).
    first_seen = {}
    for e in events:
        first_seen.setdefault(e["subject"], e["type"])
    assert set(first_seen.values()) == {"DonorRegistered"}
    assert not any(rows[0]["national_id"] in json.dumps(e, ensure_ascii=False) for e in events)
    # The imported donor is the API's donor: found by national ID, with the file's donations.
    found = client.get(f"/api/v1/donors?national_id={rows[0]['national_id']}", headers=station()).get_json()
    assert len(found) == 1 and found[0]["abo"] == rows[0]["abo"]
    history = client.get(f"/api/v1/donors/{found[0]['id']}/donations", headers=station()).get_json()
    assert {d["din"] for d in history} == {r["din"] for r in rows if r["national_id"] == rows[0]["national_id"]}
    assert _scalar(donor_db, "SELECT count(*) FROM import_checkpoints") == 0      # done: nothing to resume
    before = state()
    again = _run(path, donor_db, batch_rows=100)
    assert (again.donors, again.donations, again.rejected, again.duplicates) == (0, 0, 0, len(rows))
    assert state() == before


def test_an_existing_donor_is_reused_and_a_row_without_din_is_matched_by_collection_time(tmp_path, donor_db, client,
                                                                                        state):
    nid = make_national_id(birth="19880303", seq=7)
    registered = client.post("/api/v1/donors", headers=station(), json={
        "name": "已登记", "national_id": nid, "phone": "13911112222", "abo": "A", "rhd": "pos"}).get_json()
    at = "2024-03-01T09:30:00+08:00"
    path = _write(tmp_path / "f.csv", [["已登记", nid, "13911112222", "A", "pos", "whole_blood", at, "300", "", ""]])
    done = _run(path, donor_db)
    assert (done.donors, done.donations) == (0, 1)
    history = client.get(f"/api/v1/donors/{registered['id']}/donations", headers=station()).get_json()
    assert len(history) == 1 and history[0]["volume_ml"] == 300
    assert history[0]["din"].startswith(default_facility_id(STATION_ID) + "24")   # numbered in its own year
    before = state()
    again = _run(path, donor_db)
    assert (again.donations, again.duplicates) == (0, 1) and state() == before
    # The station's counter moved past the imported numbers: the API's next DIN is a new one.
    later = client.post(f"/api/v1/donors/{registered['id']}/donations", headers=station(site_id=STATION_ID), json={
        "kind": "whole_blood", "volume_ml": 200, "hemoglobin_g_l": 140, "weight_kg": 70, "systolic": 120,
        "diastolic": 80, "pulse": 70})
    assert later.status_code == 201, later.get_json()


def test_refused_rows_go_to_the_rejects_file_with_their_reason_and_nothing_else_of_them_is_stored(
        tmp_path, donor_db, client, state):
    facility = default_facility_id(STATION_ID)
    good_din = compose(facility, 2024, 1)
    other = make_national_id(birth="19750505", seq=3)
    client.post("/api/v1/donors", headers=station(), json={
        "name": "乙", "national_id": other, "phone": "13922223333", "abo": "B", "rhd": "pos"})
    valid = make_national_id(birth="19900101", seq=40)
    future = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    bad_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")

    def row(nid=None, **over):
        base = dict(name="甲", national_id=nid or make_national_id(birth="19900101", seq=over.pop("seq")),
                    phone="13800001111", abo="O", rhd="pos", kind="whole_blood",
                    collected_at="2024-05-01T10:00:00+08:00", volume_ml="400", doses="", din="")
        base.update(over)
        return [base[k] for k in region.HEADER]

    rows = [
        row(valid, din=good_din + check_character(good_din)),                         # 2: imported
        row(bad_check, seq=0),                                                         # 3: checksum
        row(seq=41, phone="1380000"),                                                  # 4: phone
        row(seq=42, abo="C"),                                                          # 5: abo
        row(seq=43, volume_ml="250"),                                                  # 6: volume
        row(seq=44, kind="platelets", volume_ml="", doses="5"),                        # 7: doses
        row(seq=45, din=good_din + ("A" if check_character(good_din) != "A" else "B")),  # 8: check character
        row(seq=46, collected_at=future),                                              # 9: future
        row(seq=47, collected_at="2024-05-01T10:00:00"),                               # 10: no offset
        row(seq=48, collected_at=""),                                                  # 11: missing
        ["甲", make_national_id(seq=49), "13800001111", "O"],                           # 12: columns
        row(other, abo="AB"),                                                          # 13: not the donor's group
        row(other, abo="B", din=good_din),                                             # 14: another donor's DIN
        row(seq=50, din="0ABCD24000001"),                                              # 15: malformed DIN
    ]
    path = _write(tmp_path / "mixed.csv", rows)
    before = state()
    done = _run(path, donor_db)
    assert (done.donors, done.donations, done.rejected) == (1, 1, 13)
    rejects = _rejects(path)
    assert [(int(r["line"]), r["code"]) for r in rejects] == [
        (3, "invalid_national_id"), (4, "validation_failed"), (5, "validation_failed"), (6, "validation_failed"),
        (7, "validation_failed"), (8, "invalid_din"), (9, "validation_failed"), (10, "validation_failed"),
        (11, "validation_failed"), (12, "malformed_row"), (13, "blood_group_mismatch"), (14, "din_exists"),
        (15, "invalid_din")]
    assert all(r["reason"] for r in rejects)
    assert "phone" in rejects[1]["reason"] and "abo" in rejects[2]["reason"] and "collected_at" in rejects[6]["reason"]
    assert rejects[0]["national_id"] == bad_check               # the row as it was, for the operator to fix
    after = state()
    assert after["donors"] == before["donors"] + 1 and after["donations"] == before["donations"] + 1
    assert client.get(f"/api/v1/donors?national_id={make_national_id(birth='19900101', seq=41)}",
                      headers=station()).get_json() == []


def test_a_file_with_the_wrong_header_changes_nothing(tmp_path, donor_db, state):
    path = _write(tmp_path / "wrong.csv", [["甲", make_national_id(seq=5), "13800001111", "O", "pos", "whole_blood",
                                            "2024-05-01T10:00:00+08:00", "400", "", ""]],
                  header=("name", "id", "phone", "abo", "rhd", "kind", "collected_at", "volume_ml", "doses", "din"))
    before = state()
    result = subprocess.run([sys.executable, "-m", "donor.importer", str(path), "--station", STATION_ID],
                            env=_env(donor_db), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "表头" in result.stderr
    assert state() == before and not path.with_name(path.name + ".rejects.csv").exists()


def test_a_line_that_is_not_utf8_is_refused_and_the_rest_imported(tmp_path, donor_db):
    path = _write(tmp_path / "r.csv", region.rows(5, 5, station=STATION_ID))
    data = path.read_bytes().splitlines(keepends=True)
    data.insert(3, "丙,".encode("gbk") + data[3].split(b",", 1)[1])     # a GBK name: not UTF-8
    path.write_bytes(b"".join(data))
    done = _run(path, donor_db)
    assert done.rejected == 1 and done.donations == len(data) - 2
    assert [(r["line"], r["code"]) for r in _rejects(path)] == [("4", "malformed_row")]


@pytest.mark.parametrize("content", [b"", ",".join(region.HEADER).encode() + b"\n"], ids=["no bytes", "header only"])
def test_an_empty_file_imports_nothing(tmp_path, donor_db, state, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    before = state()
    result = subprocess.run([sys.executable, "-m", "donor.importer", str(path), "--station", STATION_ID],
                            env=_env(donor_db), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("imported 0 donors, 0 donations, 0 rejected in ")
    assert state() == before


def test_a_killed_import_resumes_after_its_last_batch_without_doubling_anything(tmp_path, donor_db):
    path = tmp_path / "big.csv"
    rows = list(region.rows(1500, 5, station=STATION_ID))
    for i in range(50, len(rows), 400):          # a refused row every 400, before and after the kill
        rows[i] = (*rows[i][:3], "X", *rows[i][4:])
    _write(path, rows)
    command = [sys.executable, "-m", "donor.importer", str(path), "--station", STATION_ID, "--batch-rows", "200"]
    process = subprocess.Popen(command, env=_env(donor_db), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while (_scalar(donor_db, "SELECT coalesce(max(line_no), 0) FROM import_checkpoints") or 0) < 800:
            assert process.poll() is None and time.monotonic() < deadline, "the import ended before it was killed"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    stopped_at = _scalar(donor_db, "SELECT line_no FROM import_checkpoints")
    assert stopped_at and stopped_at < len(rows) + 1
    imported_then = _scalar(donor_db, "SELECT count(*) FROM donations")
    assert 0 < imported_then < len(rows)
    result = subprocess.run(command, env=_env(donor_db), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    refused = len(range(50, len(rows), 400))
    donors = len({r[1] for r in rows if r[3] != "X"})      # a donor whose every row was refused is not stored
    lines = result.stdout.strip().splitlines()
    assert "resuming" in lines[0]
    assert lines[-1].startswith(f"imported {donors} donors, {len(rows) - refused} donations, {refused} rejected in ")
    assert _scalar(donor_db, "SELECT count(*) FROM donations") == len(rows) - refused
    assert _scalar(donor_db, "SELECT count(DISTINCT din) FROM donations") == len(rows) - refused
    assert _scalar(donor_db, "SELECT count(*) FROM outbox WHERE type = 'DonationRecorded'") == len(rows) - refused
    assert _scalar(donor_db, "SELECT count(*) FROM outbox WHERE type = 'DonorRegistered'") == donors
    assert [int(r["line"]) for r in _rejects(path)] == [i + 2 for i in range(50, len(rows), 400)]


def _peak_rss_mb(command: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    """The process's resident set at its largest (sampled from /proc while it runs), in MB."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = max(peak, int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]))
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            pass
        time.sleep(0.05)
    out, err = process.communicate()
    return peak / 1024, subprocess.CompletedProcess(command, process.returncode, out.decode(), err.decode())


def test_memory_stays_flat_whatever_the_size_of_the_file(tmp_path, databases, db_kind):
    """A 1,000-row file and a ~150 MB one (8,000 valid rows and 1,500 rows of 100 KB each, which are refused) peak
    at the same resident size: batches end at a row count or a byte size, whichever comes first. The 2 GB file is
    `make bench-scale`'s (tests/bench/import_memory.py: too long and too large for the suite)."""
    small = _write(tmp_path / "small.csv", region.rows(350, 5, station=STATION_ID))
    large = tmp_path / "large.csv"
    valid = region.rows(2700, 5, station=STATION_ID, seed=2)
    with large.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(region.HEADER)
        for i, r in enumerate(valid):
            w.writerow(r)
            if i % 5 == 0 and i < 7500:
                w.writerow(("x" * 100_000, *r[1:6], "2024-01-01T10:00:00+08:00", "400", "", ""))
    assert large.stat().st_size > 140 << 20
    peaks = {}
    for name, path in (("small", small), ("large", large)):
        url = databases.new("donor", db_kind)
        peaks[name], result = _peak_rss_mb([sys.executable, "-m", "donor.importer", str(path), "--station", STATION_ID],
                                           _env(url))
        assert result.returncode == 0, result.stderr
        assert " 0 rejected" not in result.stdout.splitlines()[-1] or name == "small"
    assert peaks["large"] < peaks["small"] + 40, peaks


"""`make bench-scale`: issue #18's figures at a region's volume, on PostgreSQL, each a ratio within this run.

    BENCH_SCALE_DONORS=1000000 python -m tests.bench.scale        (default 1,000,000 donors, ~3 M donations)

Not a test: it prints figures beside their goals and asserts nothing. Two regions are generated
(tests.bench.region): a 1,000-donor one and one of BENCH_SCALE_DONORS donors, each with a donor of 200 donations.
For each, on fresh PostgreSQL databases:

- the file is imported by `python -m donor.importer` (a subprocess: its wall time and peak RSS), and the same rows
  are `COPY`ed into a bare table (the importer's rate against COPY's; goal ≥ 25 %);
- the donor service's outbox is applied by the waiver and inventory consumers' processors, in the runs the
  consumer loop makes (events/s against the importer's rows/s; goal: at least as fast, so the pools of the region
  are built within the import's own time again);
- the hot reads are timed through each service's app (Flask test client, in this process), small and large
  database in alternating rounds: entitlement lookup by patient national ID, donor by national ID, donor by phone,
  the history of the donor with 200 donations. Goal: p99 at scale ≤ 1.25 × p99 on the small database. The plan
  of every statement each sends (EXPLAIN, at scale) is printed; a sequential scan is flagged.

- the stock view (`GET /api/v1/stock`) of 200 sites, on each region's inventory database (the imported
  donations' units at the station, 199 more sites registered through the API), timed as the hot reads are;
- a hospital's monthly settlement as CSV: one waiver database, one hospital with 1,000 deductions in the month and
  another with 5,000 (made through the waiver app), timed in alternating rounds (goal: 5,000 lines ≤ 5 × 1,000);
- rebalancing 200 sites (tests.bench.bench_inventory_rebalancing's instance; goal ≤ 2 s);
- peak RSS of the importer (a subprocess) and of this process, which ran the consumers' processors and the apps.

- the direct deduction (a hospital's, paid from an imported donor's own pool) timed as the hot reads are, and its
  p50 against a trivial authenticated GET's on each database (in-process, one thread: how the share moves with
  the volume; the share at 16 connections through the gateway is `make bench`'s deduction scenario);
- the importer's peak RSS on a 2 GiB file against a small one (tests.bench.import_memory; BENCH_SCALE_GIB).
"""
from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from servicekit.consumer import EventProcessor
from servicekit.db import make_engine, make_session_factory
from servicekit.tables import outbox
from servicekit.testing import PG_ADMIN_URL, DatabaseFactory, FakeRecord
from tests.bench import region
from tests.helpers import PII_KEY, SERVICE_KEYS, auth
from tests.waiver.builders import deduction_body, line

ROOT = Path(__file__).resolve().parents[2]
SMALL = 1_000
STATION = "SH-S1"
ROUNDS, REQUESTS = 5, 200
DEDUCTION, TRIVIAL_GET = "direct deduction (waiver)", "trivial GET (a donor by id)"
SLOW_REQUESTS = 20            # the stock view answers in about half a second: 20 a round still gives its p99 a shape
SITES = 200
SETTLEMENT_LINES = tuple(int(n) for n in os.environ.get("BENCH_SCALE_SETTLEMENT", "1000,5000").split(","))
RUN = 500                     # records per run, as a consumer's poll hands them over at most (6 partitions × ...)


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def import_file(path: Path, url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "PII_KEY": PII_KEY, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "donor.importer", str(path), "--station", STATION],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_kb = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak_kb = max(peak_kb, int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]))
        except (FileNotFoundError, StopIteration):
            pass
        time.sleep(0.2)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"import failed: {err.decode()[-2000:]}")
    return {"seconds": seconds, "summary": out.decode().strip().splitlines()[-1], "peak_rss_mb": peak_kb / 1024}


def copy_file(path: Path, url: str) -> float:
    """The same rows into a bare table with COPY: the floor any importer is compared against."""
    with psycopg.connect(_pg(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE bare_rows (name text, national_id text, phone text, abo text, rhd text, kind text,"
                     " collected_at timestamptz, volume_ml int, doses int, din text)")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bare_rows FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bare_rows")
    return seconds


def apply_outbox(donor_url: str, service: str, service_url: str) -> dict:
    """The service's consumer processor applies the donor outbox in runs (as ConsumerLoop hands them over)."""
    wiring = __import__(f"{service}.consumer", fromlist=["wiring"]).wiring
    config = __import__(f"{service}.config", fromlist=["Config"]).Config()
    wired = wiring(config)
    engine = make_engine(service_url)
    processor = EventProcessor(group=service, handlers=wired["handlers"], batchable=wired["batchable"],
                               bulk_handlers=wired.get("bulk_handlers"), uow_factory=wired["uow_factory_builder"](make_session_factory(engine), config))
    source = make_engine(donor_url)
    applied, last, seconds = 0, 0, 0.0
    try:
        while True:
            with source.connect() as conn:
                rows = conn.execute(select(outbox.c.seq, outbox.c.key, outbox.c.payload, outbox.c.headers)
                                    .where(outbox.c.seq > last).order_by(outbox.c.seq).limit(RUN)).all()
            if not rows:
                break
            last = rows[-1].seq
            records = [FakeRecord(value=r.payload.encode(), topic="donor.events", offset=r.seq, key=r.key.encode(),
                                  headers=[(k, v.encode()) for k, v in r.headers]) for r in rows]
            started = time.perf_counter()
            outcomes = processor.process_run(records)
            if outcomes is None:
                outcomes = [processor.process(r) for r in records]
            seconds += time.perf_counter() - started
            applied += len(records)
    finally:
        engine.dispose()
        source.dispose()
    return {"events": applied, "seconds": seconds, "per_s": applied / seconds if seconds else 0.0}


class Statements:
    """The SELECTs sent while `capturing` (for their plans)."""

    def __init__(self):
        self.capturing, self.seen = False, []
        event.listen(Engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _executemany):
        if self.capturing and statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))

    def plans(self, url: str, calls) -> list[tuple[str, list[str]]]:
        self.seen, self.capturing = [], True
        try:
            for call in calls:
                call()
        finally:
            self.capturing = False
        out = []
        with psycopg.connect(_pg(url)) as conn:
            for statement, parameters in self.seen:
                plan = [r[0] for r in conn.execute("EXPLAIN " + statement, parameters)]
                out.append((" ".join(statement.split())[:140], plan))
        return out


def hot_reads(urls: dict, people: dict) -> dict:
    """name → (small url, large url, a function that makes one request against a given app)."""
    from donor.app import create_app as donor_app
    from inventory.app import create_app as inventory_app
    from waiver.app import create_app as waiver_app

    quiet = {**SERVICE_KEYS, "pii_key": PII_KEY, "log_level": "WARNING"}
    apps = {label: {"donor": donor_app(database_url=u["donor"], **quiet).test_client(),
                    "inventory": inventory_app(database_url=u["inventory"], **quiet).test_client(),
                    "waiver": waiver_app(database_url=u["waiver"], **quiet).test_client()}
            for label, u in urls.items()}
    station, hospital = auth("station", site_id=STATION, region="SH"), auth("hospital", site_id="SH-H1", region="SH")
    for label in urls:
        add_sites(apps[label]["inventory"], SITES)

    def check(resp, status=200):
        if resp.status_code != status:
            raise RuntimeError(f"{resp.status_code}: {resp.get_data(as_text=True)[:300]}")
        return resp

    reads = {
        "entitlement lookup (waiver)": lambda label, p: check(apps[label]["waiver"].get(
            f"/api/v1/waiver/entitlements?patient_national_id={p['national_id']}", headers=hospital)),
        "donor by national ID": lambda label, p: check(apps[label]["donor"].get(
            f"/api/v1/donors?national_id={p['national_id']}", headers=station)),
        "donor by phone": lambda label, p: check(apps[label]["donor"].get(
            f"/api/v1/donors?phone={p['phone']}", headers=station)),
        "history of 200 donations": lambda label, p: check(apps[label]["donor"].get(
            f"/api/v1/donors/{people[label]['heavy_id']}/donations", headers=station)),
        f"stock view of {SITES} sites": lambda label, p: check(apps[label]["inventory"].get(
            "/api/v1/stock", headers=station)),
        # The write at discharge, paid from the imported donor's own pool (a deduction that finds the pool spent
        # waives nothing and does the same work), against the trivial authenticated GET make bench compares with.
        DEDUCTION: lambda label, p: check(apps[label]["waiver"].post(
            "/api/v1/waiver/direct-deductions", headers={**hospital, "Idempotency-Key": uuid.uuid4().hex},
            json=deduction_body(p["national_id"], lines=[line(amount="220.00", volume_ml=200, units=1,
                                                              days_ago=0.01)])), 201),
        TRIVIAL_GET: lambda label, p: check(apps[label]["donor"].get(
            f"/api/v1/donors/{people[label]['heavy_id']}", headers=station)),
    }
    return reads


def add_sites(client, n: int) -> None:
    """The station the region was imported at, and stations up to `n` sites, over the delta (idempotent: 409s)."""
    rng, admin = random.Random(3), auth("admin")
    for i in range(n):
        site_id = STATION if i == 0 else f"SH-B{i:03d}"
        resp = client.post("/api/v1/sites", headers=admin, json={
            "id": site_id, "name": f"站点{i}", "kind": "station", "region": "SH",
            "lat": rng.uniform(30.7, 31.8), "lon": rng.uniform(120.9, 121.9)})
        if resp.status_code not in (201, 409):
            raise RuntimeError(f"{resp.status_code}: {resp.get_data(as_text=True)[:300]}")


def settlement_csv(factory: DatabaseFactory, workdir: Path) -> dict:
    """Two hospitals' month as CSV, 1,000 and 5,000 lines, on one waiver database: the median of the rounds'
    time ratios (goal ≤ 5: constant cost per line)."""
    from tests.bench.bench_deduction_floor import _seed
    from waiver.app import create_app as waiver_app

    url = factory.new("waiver", "postgresql")
    # Each patient's own pool pays a few deductions a month, then waives nothing and is no settlement line: one
    # patient per two deductions (_seed makes 100 a call).
    patients = [p for k in range(max(1, sum(SETTLEMENT_LINES) // 200))
                for p in _seed(url, birth=f"1985{1 + k // 28:02d}{1 + k % 28:02d}")]
    app = waiver_app(database_url=url, **SERVICE_KEYS, pii_key=PII_KEY, log_level="WARNING",
                     documents_dir=str(workdir / "documents"), bank_batch_dir=str(workdir / "bank"))
    client = app.test_client()
    hospitals = {n: f"H{n}" for n in SETTLEMENT_LINES}
    started = time.perf_counter()
    for n, hospital_id in hospitals.items():
        headers = auth("hospital", site_id=hospital_id, region="SH")
        for i in range(n):
            body = deduction_body(patients[i % len(patients)],
                                  lines=[line(amount="220.00", volume_ml=200, units=1, days_ago=0.01)])
            resp = client.post("/api/v1/waiver/direct-deductions", json=body,
                               headers={**headers, "Idempotency-Key": f"scale-{hospital_id}-{i}"})
            if resp.status_code != 201:
                raise RuntimeError(f"{resp.status_code}: {resp.get_data(as_text=True)[:300]}")
    print(f"[settlement] {sum(SETTLEMENT_LINES):,} deductions made in {time.perf_counter() - started:.0f} s",
          flush=True)
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))      # this month in Asia/Shanghai
    reviewer, rounds = auth("reviewer", region="SH"), {n: [] for n in SETTLEMENT_LINES}
    for _ in range(ROUNDS):
        for n, hospital_id in hospitals.items():
            t0 = time.perf_counter()
            resp = client.get(f"/api/v1/waiver/settlements?hospital_id={hospital_id}&month={month}&format=csv",
                              headers=reviewer)
            body = resp.get_data()
            rounds[n].append(time.perf_counter() - t0)
            if resp.status_code != 200 or body.count(b"\n") < n:
                raise RuntimeError(f"{resp.status_code}: {body[:300]!r}")
    app.extensions["waiver"].engine.dispose()
    small, large = SETTLEMENT_LINES
    ratios = [b / a for a, b in zip(rounds[small], rounds[large])]
    return {"seconds": {n: statistics.median(v) for n, v in rounds.items()}, "ratio": statistics.median(ratios),
            "ratio_rounds": [round(r, 2) for r in ratios]}


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def time_reads(reads: dict, people: dict) -> dict:
    """Each read's p99 on the small and the large database in alternating rounds; the figure is the median of the
    rounds' ratios (this machine's speed drifts within a run too: a ratio per round compares like with like)."""
    results = {}
    for name, read in reads.items():
        rounds = {"small": [], "large": []}
        for _ in range(ROUNDS):
            for label in ("small", "large"):
                sample, times = people[label]["sample"], []
                for _warm in range(10):
                    read(label, random.choice(sample))
                for _ in range(SLOW_REQUESTS if name.startswith("stock view") else REQUESTS):
                    person = random.choice(sample)
                    started = time.perf_counter()
                    read(label, person)
                    times.append((time.perf_counter() - started) * 1000)
                rounds[label].append(times)
        ratios = [p99(large) / p99(small) for small, large in zip(rounds["small"], rounds["large"])]
        results[name] = {label: {"p99_ms": p99([t for r in v for t in r]),
                                 "p50_ms": statistics.median(t for r in v for t in r)} for label, v in rounds.items()}
        results[name] |= {"ratio": statistics.median(ratios), "ratio_rounds": [round(r, 2) for r in ratios]}
    return results


def build(factory: DatabaseFactory, workdir: Path, label: str, donors: int) -> tuple[dict, dict, dict]:
    path = workdir / f"{label}.csv"
    started = time.perf_counter()
    rows = region.write(path, donors, 5, station=STATION, heavy=1, seed=11)
    print(f"[{label}] generated {rows:,} donations of {donors:,} donors ({path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    urls = {s: factory.new(s, "postgresql") for s in ("donor", "waiver", "inventory")}
    figures = {"rows": rows, "import": import_file(path, urls["donor"])}
    print(f"[{label}] {figures['import']['summary']}", flush=True)
    figures["copy_s"] = copy_file(path, urls["donor"])
    for service in ("waiver", "inventory"):
        figures[service] = apply_outbox(urls["donor"], service, urls[service])
        print(f"[{label}] {service} applied {figures[service]['events']:,} events in "
              f"{figures[service]['seconds']:.1f} s", flush=True)
    with psycopg.connect(_pg(urls["donor"]), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        heavy_id = conn.execute("SELECT donor_id FROM donations GROUP BY donor_id ORDER BY count(*) DESC LIMIT 1"
                                ).fetchone()[0]
    for service in ("waiver", "inventory"):
        with psycopg.connect(_pg(urls[service]), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    sample = []
    with path.open(encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i % max(1, rows // 2000) == 0:
                sample.append({"national_id": row["national_id"], "phone": row["phone"]})
    return urls, {"sample": sample, "heavy_id": heavy_id}, figures


def main() -> None:
    donors = int(os.environ.get("BENCH_SCALE_DONORS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="hemolink-scale-") as tmp:
        factory = DatabaseFactory(Path(tmp), os.environ.get("PG_ADMIN_URL", PG_ADMIN_URL))
        statements = Statements()
        try:
            urls, people, figures = {}, {}, {}
            for label, n in (("small", SMALL), ("large", donors)):
                urls[label], people[label], figures[label] = build(factory, Path(tmp), label, n)
            reads = hot_reads(urls, people)
            timed = time_reads(reads, people)
            database = {"entitlement lookup (waiver)": "waiver", f"stock view of {SITES} sites": "inventory",
                        DEDUCTION: "waiver"}
            plans = {name: statements.plans(urls["large"][database.get(name, "donor")],
                                            [lambda r=read: r("large", people["large"]["sample"][0])])
                     for name, read in reads.items()}
            settlement = settlement_csv(factory, Path(tmp))
            from tests.bench.bench_inventory_rebalancing import run as rebalancing
            figures["rebalancing"] = rebalancing()
            from tests.bench import import_memory
            figures["memory"] = import_memory.run(factory, Path(tmp), float(os.environ.get("BENCH_SCALE_GIB", "2")))
            figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            report(donors, figures, timed, plans, settlement)
        finally:
            factory.drop_all()


def report(donors: int, figures: dict, timed: dict, plans: dict, settlement: dict) -> None:
    large = figures["large"]
    rows_s = large["rows"] / large["import"]["seconds"]
    copy_s = large["rows"] / large["copy_s"]
    print()
    print(f"== Region scale: {donors:,} donors, {large['rows']:,} donations (PostgreSQL), against {SMALL:,} donors ==")
    print(f"{'figure':<52} {'value':>26}   goal")
    print(f"{'import: rows/s (python -m donor.importer)':<52} {rows_s:>26,.0f}")
    print(f"{'bare COPY of the same rows: rows/s':<52} {copy_s:>26,.0f}")
    print(f"{'importer / COPY':<52} {rows_s / copy_s:>25.1%}   ≥ 25 %")
    print(f"{'importer peak RSS':<52} {large['import']['peak_rss_mb']:>23.0f} MB   ≤ 150 MB")
    for service in ("waiver", "inventory"):
        per_s = large[service]["per_s"]
        events_per_row = large[service]["events"] / large["rows"]
        print(f"{service + ' consumer: events/s applied (runs of ' + str(RUN) + ')':<52} {per_s:>26,.0f}")
        print(f"{'  its rows/s equivalent / importer rows/s':<52} {per_s / events_per_row / rows_s:>25.0%}   ≥ 100 %")
    for name, t in timed.items():
        value = f"{t['small']['p99_ms']:.1f} → {t['large']['p99_ms']:.1f} ms ({t['ratio']:.2f}×)"
        print(f"{'p99 ' + name + ', 1k → scale':<52} {value:>26}   ≤ 1.25×   rounds {t['ratio_rounds']}")
    small, large_n = SETTLEMENT_LINES
    value = (f"{settlement['seconds'][small] * 1000:.0f} → {settlement['seconds'][large_n] * 1000:.0f} ms "
             f"({settlement['ratio']:.2f}×)")
    print(f"{f'settlement CSV, {small:,} → {large_n:,} lines':<52} {value:>26}   ≤ 5×   rounds {settlement['ratio_rounds']}")
    if DEDUCTION in timed and TRIVIAL_GET in timed:
        shares = {label: timed[TRIVIAL_GET][label]["p50_ms"] / timed[DEDUCTION][label]["p50_ms"]
                  for label in ("small", "large")}
        value = f"{shares['small']:.0%} → {shares['large']:.0%}"
        print(f"{'direct deduction ÷ trivial GET, 1k → scale':<52} {value:>26}   "
              f"≥ 45 % at 16 connections: make bench (here in-process, one thread, p50s)")
    memory = figures.get("memory")
    if memory:
        value = (f"{memory['small']['peak_rss_mb']:.0f} → {memory['large']['peak_rss_mb']:.0f} MB "
                 f"({memory['bytes']['large'] / 1e9:.2f} GB)")
        print(f"{'importer peak RSS, small file → large file':<52} {value:>26}   ≤ 150 MB, flat   "
              f"({memory['oversized']:,} oversized rows refused; {memory['large']['summary']})")
    rebalancing = figures["rebalancing"]
    print(f"{'rebalancing: ' + rebalancing['instance']:<52} {rebalancing['solve_seconds']:>24.2f} s   ≤ 2 s")
    print(f"{'peak RSS of this process (consumers, apps)':<52} {figures['rss_mb']:>23.0f} MB   ≤ 150 MB")
    print()
    print("Plans at scale (EXPLAIN of every SELECT each hot read sends):")
    for name, statements in plans.items():
        print(f"  {name}:")
        for statement, plan in statements:
            flag = "  SEQUENTIAL SCAN" if any("Seq Scan" in line for line in plan) else ""
            print(f"    {statement}{flag}")
            for line in plan:
                print(f"      {line}")


if __name__ == "__main__":
    main()

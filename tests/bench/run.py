"""`make bench`: start the system as the e2e tests do and print figures with same-run baselines.

Not a test: it asserts nothing about speed; it prints numbers and ratios.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import cpu, idle, loadgen, rounds
from tests.bench.settle import settle
from tests.e2e.conftest import System
from tests.helpers import make_national_id



def bench_gateway_hop(system: System, station: dict, donor_id: str, database_urls: list[str]) -> dict:
    """The same trivial authenticated GET (one donor by id), directly and through the gateway, in alternating rounds."""
    path = f"/api/v1/donors/{donor_id}"
    direct_url = system.env["DONOR_URL"] + path
    gateway_url = system.url(path)
    results = {}
    for conns in (16, 64):
        loadgen.load(gateway_url, connections=conns, seconds=2, headers=station)  # warm-up
        direct, via, ratios = rounds.alternate(
            lambda n: loadgen.load(direct_url, connections=conns, seconds=rounds.ROUND_S, headers=station),
            lambda n: loadgen.load(gateway_url, connections=conns, seconds=rounds.ROUND_S, headers=station),
            database_urls)
        results[conns] = {"direct": direct, "gateway": via, "ratio": statistics.median(ratios),
                          "ratio_rounds": [round(r, 3) for r in ratios]}
        print(loadgen.row(f"GET donor direct to service, {conns} conns", direct)
              + f"   ({rounds.ROUNDS} × {rounds.ROUND_S} s, alternating)")
        print(loadgen.row(f"GET donor through gateway,   {conns} conns", via))
        print(cpu.line("  its CPU per request", via["cpu_ms"]))
        print(f"  {'gateway / direct throughput':<44} {rounds.describe(ratios)}")
    return results


def write_to_effect_ms(system: System, station: dict, hospital: dict, i: int) -> float | None:
    """One HTTP write (register donor) → its effect visible in another service (waiver ledger), in ms."""
    nid = make_national_id(birth="19800101", region="320102", seq=(int(time.time()) * 7 + i) % 499)
    resp = system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "压测", "national_id": nid, "phone": "13500000000", "abo": "A", "rhd": "pos"})
    if resp.status_code != 201:
        return None
    t0 = time.perf_counter()
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={nid}")
    while not system.http.get(lookup, headers=hospital).json()["patient_is_donor"]:
        if time.perf_counter() - t0 > 10:
            break
        time.sleep(0.002)
    return (time.perf_counter() - t0) * 1000


def bench_event_latency(system: System, station: dict, hospital: dict, n: int = 40) -> dict:
    """HTTP write → its effect in another service, `n` writes one after the other."""
    latencies = [ms for ms in (write_to_effect_ms(system, station, hospital, i) for i in range(n)) if ms is not None]
    stats = loadgen.percentiles(latencies)
    print(f"  {'write → effect in another service':<44} p50 {stats['p50_ms']:>6.1f} ms   p95 {stats['p95_ms']:>6.1f} ms"
          f"   (n={stats['n']})")
    return stats


def standalone_benches() -> dict:
    """Figures that need no running system: tests/bench/bench_*.py modules with run() -> dict."""
    out = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"tests.bench.{info.name}")
            if hasattr(module, "run"):
                print(f"\n[{info.name}]")
                out[info.name] = module.run()
                for key, value in out[info.name].items():
                    print(f"  {key:<44} {value}")
    return out


def system_benches(system: System, ctx: dict) -> dict:
    """Scenarios of the domain issues (tests/bench/scenarios.py), each in the same run and system, each started
    on a quiet system (the previous one's events applied)."""
    from tests.bench.scenarios import SCENARIOS

    out = {}
    for name, scenario in SCENARIOS:
        print(f"\n[{name}]")
        print(f"  {'(system quiet after)':<44} {settle(ctx['database_urls']):>8.1f} s")
        try:
            out[name] = scenario(system, ctx)
        except Exception as exc:   # one broken scenario must not hide the others' figures
            print(f"  failed: {exc!r}")
            out[name] = {"error": repr(exc)}
    return out


def report_errors(log: str, shown: int = 5) -> dict[str, int]:
    """What the services logged at WARNING or above while the benches ran (read before the system stops, so
    the broker going away at shutdown is not counted): a failed request in a figure should have a reason on
    record (an unhandled error, an upstream the gateway could not reach, ...)."""
    counts: dict[str, int] = {}
    for line in log.splitlines():
        _, _, payload = line.partition("| ")
        try:
            entry = json.loads(payload)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("WARNING", "ERROR", "CRITICAL"):
            key = f"{entry['level']} {entry.get('service')}: {entry.get('message', '')[:120]}"
            counts[key] = counts.get(key, 0) + 1
    print(f"\n[warnings and errors logged during the benches] {sum(counts.values())}")
    for key, n in sorted(counts.items(), key=lambda kv: -kv[1])[:shown]:
        print(f"  {n:>5} x {key}")
    return counts


def postgres_env() -> dict:
    """Fresh PostgreSQL databases for every service: the production database, measured."""
    from servicekit.testing import DatabaseFactory

    factory = DatabaseFactory(Path(tempfile.mkdtemp()))
    env = {f"{name.upper()}_DATABASE_URL": factory.empty("postgresql") for name in ("donor", "inventory", "waiver", "gateway")}
    return env, factory


def main() -> None:
    print(f"load generator: {'wrk' if loadgen.ensure_wrk() else 'python multi-process fallback'}")
    results = {"standalone": standalone_benches()}
    pg_env, pg = postgres_env()
    with tempfile.TemporaryDirectory() as tmp:
        system = System(Path(tmp), demo=True, extra_env={**pg_env, "RATE_LIMIT_PER_TOKEN": "1000000/minute",
                                                           "RATE_LIMIT_PER_IP": "1000000/minute", "LOG_LEVEL": "WARNING"})
        print(f"\nsystem on PostgreSQL, demo data loaded, healthy after {system.start(deadline_s=180):.1f} s")
        try:
            station = system.staff("bench-station", "station", site_id="SH-BENCH-S1")
            hospital = system.staff("bench-hospital", "hospital", site_id="SH-BENCH-H1")
            donor = system.http.post(system.url("/api/v1/donors"), headers=station, json={
                "name": "基准", "national_id": make_national_id(birth="19700101"), "phone": "13500000001",
                "abo": "O", "rhd": "pos"}).json()
            urls = [pg_env[f"{svc}_DATABASE_URL"] for svc in ("DONOR", "INVENTORY", "WAIVER")]   # the ones with events
            print(f"\n[gateway hop]\n  {'(system quiet after: demo events applied)':<44} {settle(urls):>8.1f} s")
            results["gateway_hop"] = bench_gateway_hop(system, station, donor["id"], urls)
            print("\n[events across services]")
            results["event_latency"] = bench_event_latency(system, station, hospital)
            print(f"\n[at rest]\n  {'(system quiet after)':<44} {settle(urls):>8.1f} s")
            results["idle"] = idle.bench_idle(system, station, hospital, list(pg_env.values()))
            results.update(system_benches(system, {
                "database_urls": urls, "waiver_database_url": pg_env["WAIVER_DATABASE_URL"],
                "trivial_get": (system.url(f"/api/v1/donors/{donor['id']}"), station),
                "deduction_floor": results["standalone"].get("bench_deduction_floor")}))
            results["errors_logged"] = report_errors(system.logs())
        finally:
            system.stop()
            pg.drop_all()
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    (out / "last.json").write_text(json.dumps(results, indent=2, default=str))
    print("\nfigures saved to .bench/last.json")


if __name__ == "__main__":
    sys.exit(main())

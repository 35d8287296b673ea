"""What the system burns at rest: CPU of every process over a window with no request and nothing to publish.

An idle system should cost nothing: consumers long-poll the broker, relays sleep until their commit wakes them
(servicekit.wakeup), jobs sleep between steps. The figure is a share of one core, by role and in total, read
from /proc (tests/bench/cpu.py). PostgreSQL counts only the backends of the system's own databases (the
machine's cluster serves other work too). Printed by `make bench`; `python -m tests.bench.idle [--seconds N]
[--postgres]` measures it alone on a freshly started system.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from tests.bench import cpu

# The processes the issue names (#18 point 4: consumers, relays, broker), then the rest of the system.
EVENT_ROLES = ("consumer", "relay", "broker", "tansu", "jobs")


def _postgres_backends(databases: list[str]) -> float:
    """CPU seconds of the PostgreSQL backends serving `databases` (their command line names the database)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not cmdline.startswith("postgres: ") or not any(f" {db} " in cmdline for db in databases):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def measure(seconds: float, var_dir: str, databases: list[str] = ()) -> dict:
    """Share of one core (%) by role over `seconds` of rest, the event machinery's sum and the whole system's:
    the processes of the system whose HEMOLINK_VAR is `var_dir`, and the PostgreSQL backends of `databases`.

    Backends that connect during the window count whole; at rest none should."""
    before, pg_before = cpu.snapshot(var_dir), _postgres_backends(list(databases))
    time.sleep(seconds)
    after, pg_after = cpu.snapshot(var_dir), _postgres_backends(list(databases))
    share = {role: round(100 * (after[role] - before.get(role, 0.0)) / seconds, 2)
             for role in after if role not in ("postgres", "wrk")}
    if databases:
        share["postgres (own databases)"] = round(100 * (pg_after - pg_before) / seconds, 2)
    events = sum(v for role, v in share.items() if any(k in role for k in EVENT_ROLES))
    return {"seconds": seconds, "by_role": dict(sorted(share.items(), key=lambda kv: -kv[1])),
            "event_processes_pct": round(events, 2), "system_pct": round(sum(share.values()), 2)}


def print_figure(result: dict) -> None:
    parts = "  ".join(f"{role} {pct}" for role, pct in result["by_role"].items() if pct >= 0.05)
    print(f"  {'at rest, whole system (% of one core)':<44} {result['system_pct']:>6.1f} %   (goal ≤ 5 %; "
          f"{result['seconds']:.0f} s, no request)")
    print(f"  {'  consumers, relays, broker, jobs':<44} {result['event_processes_pct']:>6.1f} %   "
          f"(#18 measured 37 % before)")
    print(f"  {'  by role':<44} {parts}")


def first_write_after_rest(system, station: dict, hospital: dict, *, rests: int = 3, rest_s: float = 8.0) -> dict:
    """Write → effect for the first write after `rest_s` of quiet, `rests` times: the consumers have gone idle
    (servicekit.fetchwait) and the relays sleep on their wake-ups; this is what the slow idle fetch costs."""
    from tests.bench import loadgen
    from tests.bench.run import write_to_effect_ms

    latencies = []
    for i in range(rests):
        time.sleep(rest_s)
        ms = write_to_effect_ms(system, station, hospital, 1000 + i)
        if ms is not None:
            latencies.append(round(ms, 1))
    stats = {**loadgen.percentiles(latencies), "each_ms": latencies}
    print(f"  {'first write after %.0f s of rest → effect' % rest_s:<44} p50 {stats['p50_ms']:>6.1f} ms   "
          f"each {latencies}")
    return stats


def bench_idle(system, station: dict, hospital: dict, database_urls: list[str], seconds: float = 60.0) -> dict:
    """The system at rest for `seconds` (make bench: after the system settled), then the first writes after rest."""
    result = measure(seconds, str(system.var_dir), database_names(database_urls))
    print_figure(result)
    result["first_write_after_rest"] = first_write_after_rest(system, station, hospital)
    return result


def database_names(urls: list[str]) -> list[str]:
    from sqlalchemy.engine import make_url

    return [make_url(u).database for u in urls if make_url(u).get_backend_name() == "postgresql"]


def main() -> None:
    from tests.bench.run import bench_event_latency, postgres_env
    from tests.bench.settle import settle
    from tests.e2e.conftest import System

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--postgres", action="store_true", help="the services on PostgreSQL (default SQLite)")
    args = parser.parse_args()
    pg_env, pg = postgres_env() if args.postgres else ({}, None)
    with tempfile.TemporaryDirectory() as tmp:
        system = System(Path(tmp), demo=True, extra_env={**pg_env, "LOG_LEVEL": "WARNING"})
        print(f"system healthy after {system.start(deadline_s=180):.1f} s")
        try:
            urls = [pg_env.get(f"{s}_DATABASE_URL") or f"sqlite:///{tmp}/{s.lower()}.db"
                    for s in ("DONOR", "INVENTORY", "WAIVER")]
            station = system.staff("idle-station", "station", site_id="SH-BENCH-S1")
            hospital = system.staff("idle-hospital", "hospital", site_id="SH-BENCH-H1")
            print(f"  {'(system quiet after)':<44} {settle(urls):>8.1f} s")
            bench_idle(system, station, hospital, list(pg_env.values()), args.seconds)
            bench_event_latency(system, station, hospital)
        finally:
            system.stop()
            if pg is not None:
                pg.drop_all()


if __name__ == "__main__":
    main()

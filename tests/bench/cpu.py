"""CPU time per request, by process role, read from /proc around a load run.

Throughput on this 2-core machine is bounded by the CPU every process spends per request (the api, the
gateway, PostgreSQL, the relay, the broker, consumers), so "where does a request's CPU go" is the figure that
says what to make cheaper. Linux only; elsewhere the figures are simply left out.
"""
from __future__ import annotations

import os
from pathlib import Path

# First match wins: a gunicorn worker's command line ends with its app, a relay or consumer runs `-m <module>`.
ROLES = ("donor.app", "inventory.app", "waiver.app", "gateway.app", "donor.relay", "inventory.relay",
         "waiver.relay", "donor.consumer", "inventory.consumer", "waiver.consumer", "inventory.jobs",
         "waiver.jobs", "donor.jobs", "servicekit.broker", "tansu", "postgres", "wrk")


def _role(cmdline: str) -> str | None:
    return next((role for role in ROLES if role in cmdline), None)


def snapshot(var_dir: str | None = None) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each role's processes; with `var_dir`, only the processes of
    the system whose HEMOLINK_VAR it is (other systems on the machine, another session's tests, left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    mark = f"HEMOLINK_VAR={var_dir}\0".encode() if var_dir else None
    for proc in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if not proc.name.isdigit():
            continue
        try:
            role = _role((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            if role is None or (mark and mark not in (proc / "environ").read_bytes()):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:             # the process ended meanwhile
            continue
        totals[role] = totals.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request by role, largest first (processes that started meanwhile count whole)."""
    spent = {role: after[role] - before.get(role, 0.0) for role in after}
    return {role: round(1000 * s / requests, 2) for role, s in sorted(spent.items(), key=lambda kv: -kv[1])
            if s > 0 and requests}


def line(label: str, split: dict[str, float]) -> str:
    if not split:
        return f"  {label:<44} (not measured: no /proc, or no process of a known role ran)"
    parts = "  ".join(f"{role} {ms}" for role, ms in split.items() if ms >= 0.05)
    return f"  {label:<44} {sum(split.values()):>6.1f} ms CPU: {parts}"

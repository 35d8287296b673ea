"""System scenarios for `make bench`, driven through the gateway by wrk with generated Lua scripts."""
from __future__ import annotations

import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, func, select

from tests.bench import cpu, loadgen, rounds
from tests.bench.settle import settle
from tests.helpers import make_national_id

SECONDS = 6
DONATION = {"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 68, "systolic": 118,
            "diastolic": 76}     # a 400 ml whole-blood donation by an eligible donor


def _lua_list(values) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"




def register_donors(system, station, n: int) -> list[tuple[str, str]]:
    """n new donors through the gateway; returns (donor id, raw national id) pairs."""
    stamp = int(time.time()) % 300

    def one(i):
        nid = make_national_id(birth=(datetime(1975, 1, 1) + timedelta(days=stamp * 20 + i // 450)).strftime("%Y%m%d"),
                               region="330106", seq=i % 450)
        resp = system.http.post(system.url("/api/v1/donors"), headers=station, json={
            "name": "基准献血者", "national_id": nid, "phone": f"15{i:09d}", "abo": "O", "rhd": "pos"})
        return (resp.json()["id"], nid) if resp.status_code == 201 else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [d for d in pool.map(one, range(n)) if d]


def donations(system, ctx: dict) -> dict:
    station = system.staff("bench.station", "station", site_id="SH-HP-S")
    started = time.perf_counter()
    donors = register_donors(system, station, 2500)
    reg_rate = len(donors) / (time.perf_counter() - started)
    print(f"  {'donor registration (8 clients, setup)':<44} {reg_rate:>8.0f} req/s")
    ctx["donors"] = donors
    body = json.dumps(DONATION)
    lua = f"""
local ids = {_lua_list([d for d, _ in donors])}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/v1/donors/" .. ids[((i - 1) % #ids) + 1] .. "/donations", nil, {json.dumps(body)})
end"""
    result = loadgen.wrk(system.base, connections=16, seconds=SECONDS, lua=lua,
                         headers={**station, "Content-Type": "application/json"})
    print(loadgen.row("record donation through gateway, 16 conns", result))
    return {"registration_rps": round(reg_rate), "donation_16": result}


def orders(system, ctx: dict) -> dict:
    """Hospital orders against a stocked supplier (units inserted straight into the inventory database)."""
    from inventory.orm import units

    now = datetime.now(timezone.utc)
    rows = [dict(id=str(uuid.uuid4()), din=f"B{uuid.uuid4().hex[:12].upper()}", donor_id=None, component="red_cells",
                 abo=abo, rhd="pos", units=1.0, volume_ml=200, status="available", site_id="SH-HP-S",
                 collected_at=now - timedelta(days=3), expires_at=now + timedelta(days=30 + i % 5), issued_to=None,
                 order_id=None, bag_no=0) for i in range(4000) for abo in ("O",)]   # a large station's O+ red cells; the city holds ~10k U
    engine = create_engine(system.env.get("INVENTORY_DATABASE_URL") or f"sqlite:///{system.var_dir}/inventory.db")
    with engine.begin() as conn:
        conn.execute(units.insert(), rows)
    engine.dispose()
    hospital = system.staff("bench.hospital", "hospital", site_id="SH-HP-H")
    body = json.dumps({"lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 2}], "priority": "urgent"})
    result = loadgen.wrk(system.url("/api/v1/orders"), connections=16, seconds=SECONDS, lua=f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}',
                         headers={**hospital, "Content-Type": "application/json"})
    print(loadgen.row("hospital order (2 U FEFO) through gateway, 16 c", result))
    return {"order_16": result}


DEDUCTION_PATIENTS = 1500     # each pays 10 deductions of 200 ml from its 5 × 400 ml pool: more than a run sends


def deductions(system, ctx: dict) -> dict:
    """Direct deductions at discharge, each paid from the patient's own pool, against the trivial GET measured in
    rounds that alternate with them: this machine's speed drifts by a third within minutes, and both figures of the
    ratio must see the same machine."""
    hospital = system.staff("bench.hospital", "hospital", site_id="SH-HP-H")
    station = system.staff("bench.station", "station", site_id="SH-HP-S")
    patients = ctx["donors"][:DEDUCTION_PATIENTS]
    recorded = _record_donations(system, station, [donor_id for donor_id, _ in patients])
    print(f"  {'donations recorded for patients without one':<44} {recorded:>8}")
    print(f"  {'(pools built: system quiet after)':<44} {settle(ctx['database_urls']):>8.1f} s")
    transfused = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()   # after every donation
    get_url, get_headers = ctx["trivial_get"]
    lua_patients = [nid for _, nid in patients]
    waiver = create_engine(ctx["waiver_database_url"])
    out = {}
    try:
        for conns in (16, 64):
            started = datetime.now(timezone.utc)
            trivial, deduction, ratios = rounds.alternate(
                lambda n: loadgen.load(get_url, connections=conns, seconds=rounds.ROUND_S, headers=get_headers),
                lambda n: loadgen.wrk(system.base, connections=conns, seconds=rounds.ROUND_S,
                                      lua=_deduction_lua(lua_patients, transfused, first=n * len(patients) // rounds.ROUNDS),
                                      headers={**hospital, "Content-Type": "application/json"}),
                ctx["database_urls"])
            print(loadgen.row(f"trivial GET through gateway, {conns} conns", trivial)
                  + f"   ({rounds.ROUNDS} × {rounds.ROUND_S} s, alternating)")
            print(cpu.line("  its CPU per request", trivial["cpu_ms"]))
            print(loadgen.row(f"direct deduction through gateway, {conns} conns", deduction))
            print(cpu.line("  its CPU per request", deduction["cpu_ms"]))
            print(f"  {'deduction / trivial GET throughput':<44} {rounds.describe(ratios)}"
                  f"   goal >= 50 %, p99 <= 150 ms")
            paid = _paid_share(waiver, since=started)
            print(f"  {'  deductions that waived money':<44} {paid:>8.0%}")
            out[conns] = {"trivial_get": trivial, "deduction": deduction, "paid_share": paid,
                          "ratio": round(statistics.median(ratios), 3), "ratio_rounds": [round(r, 3) for r in ratios],
                          "ceiling": _ceiling(deduction, trivial, ctx.get("deduction_floor"))}
    finally:
        waiver.dispose()
    return out


def _record_donations(system, station, donor_ids: list[str]) -> int:
    """A 400 ml donation for each patient who has none yet (a donor of the donations scenario is refused: the
    interval has not passed, and their pool is there already); returns how many were recorded. A patient left
    without a pool shows as a paid share under 100 %."""
    def one(donor_id) -> bool:
        resp = system.http.post(system.url(f"/api/v1/donors/{donor_id}/donations"), headers=station, json=DONATION)
        return resp.status_code == 201

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sum(pool.map(one, donor_ids))


def _deduction_lua(patients: list[str], transfused: str, *, first: int) -> str:
    """One red-cell line (1 U, 200 ml, 220 yuan) per request, patients in turn from `first`, and a run id of its
    own so that no Idempotency-Key or admission number of an earlier round comes back as a replay."""
    return f"""
local patients = {_lua_list(patients)}
local i = {first}
local run = "{uuid.uuid4().hex[:10]}"
request = function()
  i = i + 1
  local nid = patients[((i - 1) % #patients) + 1]
  local body = '{{"patient_national_id":"' .. nid .. '","patient_name":"患者","admission_no":"A' .. run .. '-' .. i .. '",' ..
    '"lines":[{{"component":"red_cells","volume_ml":200,"amount_yuan":"220.00","transfused_at":"{transfused}"}}]}}'
  local headers = {{}}
  for k, v in pairs(wrk.headers) do headers[k] = v end   -- wrk.format replaces wrk.headers with this table
  headers["Idempotency-Key"] = run .. "-" .. i
  return wrk.format("POST", "/api/v1/waiver/direct-deductions", headers, body)
end"""


def _paid_share(waiver, *, since: datetime) -> float:
    """Of the deductions applied since `since`, the share that waived money: one that waives nothing skips the
    pool update, the usage, the waived line and the money chain, and would flatter the figure."""
    from waiver.orm import deductions as table

    applied = select(func.count()).select_from(table).where(table.c.applied_at >= since)
    with waiver.connect() as conn:
        total = conn.execute(applied).scalar_one()
        paid = conn.execute(applied.where(table.c.waived_yuan > 0)).scalar_one()
    return paid / total if total else 0.0


def _ceiling(deduction: dict, trivial: dict, floor: dict | None) -> float | None:
    """The throughput ratio a deduction could reach if the waiver app cost no more than sending its statements
    (bench_deduction_floor): this run's CPU per deduction less the floor's share of the waiver app's own CPU that
    lies above its statements, against the trivial GET's. It says how far rewriting the waiver app alone could
    go; the other processes (gateway, PostgreSQL, relay, broker) keep what they spend. The idle work spread over
    requests weighs more on the slower deduction, so it reads a little low."""
    app = deduction.get("cpu_ms", {}).get("waiver.app")
    if not floor or "same_statements_on_bare_psycopg_ms_cpu" not in floor or not app or not spent(trivial):
        return None
    above = 1 - floor["same_statements_on_bare_psycopg_ms_cpu"] / floor["deduction_in_waiver_app_ms_cpu"]
    bare = spent(deduction) - above * app
    ceiling = spent(trivial) / bare
    print(f"  {'ceiling: waiver app reduced to its statements':<44} {ceiling:>8.0%}"
          f"   ({bare:.1f} ms CPU per deduction against {spent(trivial):.1f} ms per GET)")
    return round(ceiling, 3)


def spent(result: dict) -> float:
    """CPU per request of the system under test (the load generator's own left out)."""
    return sum(ms for role, ms in result.get("cpu_ms", {}).items() if role != "wrk")


SCENARIOS = [("donations", donations), ("orders", orders), ("deductions", deductions)]

"""System scenarios for `make bench`, driven through the gateway by wrk with generated Lua scripts."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from tests.bench import cpu, loadgen
from tests.helpers import make_national_id

SECONDS = 6


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
    body = json.dumps({"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 68,
                       "systolic": 118, "diastolic": 76})
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
    from sqlalchemy import create_engine

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


def deductions(system, ctx: dict) -> dict:
    """Direct deductions at discharge against real pools (the donors of the donation scenario)."""
    hospital = system.staff("bench.hospital", "hospital", site_id="SH-HP-H")
    donors = ctx["donors"]
    last = donors[-1][1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:       # pools exist once the waiver service has the donations
        r = system.http.get(system.url(f"/api/v1/waiver/entitlements?patient_national_id={last}"), headers=hospital)
        if r.ok and r.json().get("pools"):
            break
        time.sleep(0.5)
    transfused = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()   # used just before the load
    out = {}
    for conns in (16, 64):
        lua = f"""
local patients = {_lua_list([nid for _, nid in donors])}
local i = 0
local run = "{uuid.uuid4().hex[:8]}-{conns}"
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
        before = cpu.snapshot()
        result = loadgen.wrk(system.base, connections=conns, seconds=SECONDS, lua=lua,
                             headers={**hospital, "Content-Type": "application/json"})
        result["cpu_ms"] = cpu.per_request(before, cpu.snapshot(), result["requests"])
        trivial = ctx.get("gateway_hop", {}).get(conns, {}).get("gateway")
        print(loadgen.row(f"direct deduction through gateway, {conns} conns", result))
        print(cpu.line("  its CPU per request", result["cpu_ms"]))
        if trivial:
            print(f"  {'deduction / trivial GET throughput':<44} {result['rps'] / trivial['rps']:>8.0%}"
                  f"   (goal >= 50 %, p99 <= 150 ms)")
            result["ceiling"] = _ceiling(result, trivial, ctx.get("deduction_floor"))
        out[conns] = result
    return out


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

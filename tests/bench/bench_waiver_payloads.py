"""Realistic direct-deduction requests for `make bench` (the lead drives them through the gateway).

A discharge bill at a Shanghai hospital: one to four blood lines (suspended red cells by U, fresh frozen
plasma by ml, an apheresis platelet dose, cryoprecipitate by U) at 2025 supply prices, transfused over the
last days of the stay, each request with its own admission number (so no line is "already waived") and
its own Idempotency-Key. Patients are donors registered by the bench (their own pools pay), a few are
relatives with the hospital's attestation (family pools), and some never donated (nothing to waive).

    bodies = deduction_bodies(patients, n=2000)             # [(idempotency_key, body), ...]
    lua = wrk_lua(bodies)                                   # cycles through them in wrk
"""
from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

PRICES = {"red_cells": "220.00", "plasma_100ml": "40.00", "platelets": "1400.00", "cryo": "100.00"}
URL = "/api/v1/waiver/direct-deductions"


def blood_line(rng: random.Random, transfused_at: datetime, n: int) -> dict:
    kind = rng.choices(("red_cells", "plasma", "platelets", "cryo"), weights=(60, 25, 10, 5))[0]
    if kind == "red_cells":
        u = rng.choice((1, 1.5, 2, 2, 3, 4))
        return {"component": kind, "units": u, "volume_ml": int(u * 200),
                "amount_yuan": f"{u * float(PRICES['red_cells']):.2f}", "transfused_at": transfused_at.isoformat(),
                "line_no": n}
    if kind == "plasma":
        ml = rng.choice((100, 200, 200, 400, 600))
        return {"component": kind, "volume_ml": ml, "amount_yuan": f"{ml / 100 * float(PRICES['plasma_100ml']):.2f}",
                "transfused_at": transfused_at.isoformat(), "line_no": n}
    if kind == "platelets":
        return {"component": kind, "doses": 1, "volume_ml": 250, "amount_yuan": PRICES["platelets"],
                "transfused_at": transfused_at.isoformat(), "line_no": n}
    u = rng.choice((5, 10))
    return {"component": kind, "units": u, "volume_ml": u * 25, "amount_yuan": f"{u * float(PRICES['cryo']):.2f}",
            "transfused_at": transfused_at.isoformat(), "line_no": n}


def deduction_body(patient_national_id: str, *, rng: random.Random, now: datetime, run: str, i: int,
                   donor_national_id: str | None = None, earliest: datetime | None = None) -> dict:
    """One discharge: lines transfused during the last five days of the stay, never before `earliest`."""
    earliest = max(earliest or now - timedelta(days=5), now - timedelta(days=5))
    latest = now - timedelta(seconds=30)
    lines = [blood_line(rng, earliest + (latest - earliest) * rng.random(), n + 1)
             for n in range(rng.choice((1, 1, 2, 2, 3, 4)))]
    body = {"patient_national_id": patient_national_id, "patient_name": "基准患者", "admission_no": f"ZY{run}{i:07d}",
            "discharged_at": now.isoformat(), "lines": lines}
    if donor_national_id:
        body |= {"donor_national_id": donor_national_id, "relation": "spouse", "relation_attested": True,
                 "relative_conditions_attested": True,
                 "proof_ref": f"HIS-{run}-{i}"}
    return body


def deduction_bodies(patients: list[str], n: int = 2000, *, relatives: list[tuple[str, str]] = (),
                     strangers: list[str] = (), seed: int = 5, now: datetime | None = None,
                     transfused_after: datetime | None = None) -> list[tuple[str, dict]]:
    """(Idempotency-Key, body) pairs: ~80 % donors themselves, ~10 % attested relatives, ~10 % non-donors.

    `patients` are raw national IDs of registered donors; `relatives` (patient, donor) pairs; `strangers`
    people who never donated. Pass `transfused_after` (e.g. when the bench recorded its donations) so
    every line is used after the donation that should pay for it.
    """
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    run = uuid.uuid4().hex[:6]
    out = []
    for i in range(n):
        roll = rng.random()
        if relatives and roll < 0.1:
            patient, donor = relatives[i % len(relatives)]
            body = deduction_body(patient, rng=rng, now=now, run=run, i=i, donor_national_id=donor,
                                  earliest=transfused_after)
        elif strangers and roll < 0.2:
            body = deduction_body(strangers[i % len(strangers)], rng=rng, now=now, run=run, i=i,
                                  earliest=transfused_after)
        else:
            body = deduction_body(patients[i % len(patients)], rng=rng, now=now, run=run, i=i,
                                  earliest=transfused_after)
        out.append((f"bench-{run}-{i}", body))
    return out


def wrk_lua(bodies: list[tuple[str, dict]], path: str = URL) -> str:
    """A wrk script that sends the bodies in turn, each with its own Idempotency-Key (add the hospital's
    Authorization and Content-Type: application/json as wrk headers)."""
    keys = "{" + ",".join(json.dumps(k) for k, _ in bodies) + "}"
    payloads = "{" + ",".join(json.dumps(json.dumps(b, ensure_ascii=False), ensure_ascii=False) for _, b in bodies) + "}"
    return f"""
local keys = {keys}
local bodies = {payloads}
local i = 0
request = function()
  i = i + 1
  local n = ((i - 1) % #bodies) + 1
  local headers = {{}}
  headers["Idempotency-Key"] = keys[n] .. "-" .. math.floor((i - 1) / #bodies)
  return wrk.format("POST", "{path}", headers, bodies[n])
end"""

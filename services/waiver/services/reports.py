"""Monthly settlement per hospital (what blood stations owe it for direct deductions) and statistics."""
from __future__ import annotations

import csv
import io
import statistics
from datetime import date, datetime, time, timezone
from decimal import Decimal

from servicekit.auth import Principal
from servicekit.errors import Forbidden

from ..errors import OtherHospital
from ..policy import SHANGHAI

ZERO = Decimal("0.00")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of an Asia/Shanghai month, in UTC."""
    year, mon = (int(x) for x in month.split("-"))
    nxt = date(year + mon // 12, mon % 12 + 1, 1)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0), SHANGHAI).astimezone(timezone.utc)

    return start_of(date(year, mon, 1)), start_of(nxt)


def settlement(uow, *, principal: Principal, hospital_id: str, month: str) -> dict:
    """Deductions applied minus deductions reversed in the month; each pool share says which region's
    blood station owes it (the region of the donation, which may not be the hospital's)."""
    if principal.role == "hospital" and principal.site_id != hospital_id:
        raise OtherHospital("只能查看本医疗机构的结算")
    start, end = month_bounds(month)
    with uow:
        deductions = uow.deductions.touching_period(start, end, hospital_id)
    if principal.role == "reviewer":
        deductions = [d for d in deductions if d.hospital_region == principal.region]
    entries, by_region, by_payer = [], {}, {}
    for d in deductions:
        if d.waived_yuan <= 0:
            continue
        for event, at, sign in (("applied", d.applied_at, 1), ("reversed", d.reversed_at, -1)):
            if at is None or not (start <= at < end):
                continue
            pools = [{"kind": p["kind"], "region": p["region"], "donor_masked": p["donor_masked"],
                      "ml": sign * p["ml"], "yuan": str(sign * Decimal(p["yuan"])), "owed_by_region": p["region"],
                      "cross_region": p["region"] != d.hospital_region} for p in d.pools_used]
            for p in pools:
                by_region[p["region"]] = by_region.get(p["region"], ZERO) + Decimal(p["yuan"])
            # The hospital bills each region's blood station for its share: one count per deduction event and payer.
            for region in sorted({p["region"] for p in pools}):
                payer = by_payer.setdefault(region, {"count": 0, "yuan": ZERO})
                payer["count"] += 1
                payer["yuan"] += sum((Decimal(p["yuan"]) for p in pools if p["region"] == region), ZERO)
            entries.append({"deduction_id": d.id, "event": event, "at": at.isoformat(),
                            "admission_no": d.admission_no, "patient_national_id_masked": d.patient_masked,
                            "waived_yuan": str(sign * d.waived_yuan), "pools": pools})
    total = sum((Decimal(e["waived_yuan"]) for e in entries), ZERO)
    return {"hospital_id": hospital_id, "month": month, "count": len(entries),
            "applied_count": sum(e["event"] == "applied" for e in entries),
            "reversed_count": sum(e["event"] == "reversed" for e in entries),
            "waived_yuan": str(total), "deductions": entries,
            "by_payer_region": {r: {"count": v["count"], "yuan": str(v["yuan"])} for r, v in sorted(by_payer.items())},
            "owed_by_region": [{"region": r, "yuan": str(y)} for r, y in sorted(by_region.items())]}


# Code, then the Chinese header staff read in Excel: each header cell is "中文 (code)".
CSV_COLUMNS = [("deduction_id", "减免单号"), ("event", "类型"), ("at", "时间（北京时间）"), ("admission_no", "住院号"),
               ("patient_national_id_masked", "患者证件号"), ("pool_kind", "额度类别"), ("pool_region", "额度所属地区"),
               ("owed_by_region", "应付地区"), ("cross_region", "跨地区"), ("ml", "减免血量 (ml)"), ("yuan", "减免金额（元）")]
EVENT_WORDS = {"applied": "减免", "reversed": "撤销"}


def _beijing(iso: str) -> str:
    """Excel shows what it is given: the wall-clock time in Beijing, without an offset it would not read."""
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def settlement_csv(report: dict) -> str:
    """One row per pool share; the last row carries the month's total. UTF-8 with a byte-order mark: without it
    Excel opens the file as GBK and the Chinese is garbled."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([f"{label} ({code})" for code, label in CSV_COLUMNS])
    for e in report["deductions"]:
        for p in e["pools"]:
            writer.writerow([e["deduction_id"], f"{EVENT_WORDS.get(e['event'], e['event'])} ({e['event']})",
                             _beijing(e["at"]), e["admission_no"], e["patient_national_id_masked"], p["kind"],
                             p["region"], p["owed_by_region"], "是" if p["cross_region"] else "否", p["ml"], p["yuan"]])
    writer.writerow(["合计", "", "", "", "", "", "", "", "", "", report["waived_yuan"]])
    return out.getvalue()


def stats(uow, *, principal: Principal, month: str, region: str | None) -> dict:
    """Waivers completed in the month by channel: direct deductions still applied, and claims approved
    (paid or not). Zero-trip share counts the channels that need no visit; days to pay runs from
    submission to payment for claims paid in the month."""
    if principal.role == "reviewer":
        if region not in (None, principal.region):
            raise Forbidden("只能查看本辖区的统计", code="other_region")
        region = principal.region
    start, end = month_bounds(month)
    by_channel = {c: {"count": 0, "yuan": ZERO} for c in ("direct", "mini_program", "mail", "on_site")}
    with uow:
        for d in uow.deductions.touching_period(start, end):
            if d.status == "applied" and d.waived_yuan > 0 and start <= d.applied_at < end and \
                    (region is None or d.hospital_region == region):
                by_channel["direct"]["count"] += 1
                by_channel["direct"]["yuan"] += d.waived_yuan
        for c in uow.claims.decided_between(start, end, region):
            by_channel[c.channel]["count"] += 1
            by_channel[c.channel]["yuan"] += c.approved_yuan or ZERO
        days = [(c.paid_at - c.submitted_at).total_seconds() / 86400
                for c in uow.claims.paid_between(start, end, region) if c.submitted_at]
    total = sum(v["count"] for v in by_channel.values())
    zero_trip = sum(by_channel[c]["count"] for c in ("direct", "mini_program", "mail"))
    return {"month": month, "region": region,
            "by_channel": {c: {"count": v["count"], "yuan": str(v["yuan"])} for c, v in by_channel.items()},
            "zero_trip_share": round(zero_trip / total, 4) if total else None,
            "median_days_to_pay": round(statistics.median(days), 2) if days else None}

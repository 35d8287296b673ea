"""Monthly settlement per hospital (what blood stations owe it for direct deductions) and statistics."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timezone
from decimal import Decimal

from servicekit.auth import Principal
from servicekit.errors import Forbidden

from ..errors import OtherHospital
from ..policy import SHANGHAI
from ..settlement import ZERO, Figure, Settlement, WaiverStats, settle


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of an Asia/Shanghai month, in UTC."""
    year, mon = (int(x) for x in month.split("-"))
    nxt = date(year + mon // 12, mon % 12 + 1, 1)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0), SHANGHAI).astimezone(timezone.utc)

    return start_of(date(year, mon, 1)), start_of(nxt)


def settlement(uow, *, principal: Principal, hospital_id: str, month: str) -> Settlement:
    """Deductions applied minus deductions reversed in the month, by the region that owes each share."""
    if principal.role == "hospital" and principal.site_id != hospital_id:
        raise OtherHospital("只能查看本医疗机构的结算")
    start, end = month_bounds(month)
    with uow:
        deductions = uow.deductions.settlement_lines(start, end, hospital_id)
    if principal.role == "reviewer":
        deductions = [d for d in deductions if d.hospital_region == principal.region]
    return settle(hospital_id, month, deductions, start, end)


# Code, then the Chinese header staff read in Excel: each header cell is "中文 (code)".
CSV_COLUMNS = [("deduction_id", "减免单号"), ("event", "类型"), ("at", "时间（北京时间）"), ("admission_no", "住院号"),
               ("patient_national_id_masked", "患者证件号"), ("pool_kind", "额度类别"), ("pool_region", "额度所属地区"),
               ("owed_by_region", "应付地区"), ("cross_region", "跨地区"), ("ml", "减免血量 (ml)"), ("yuan", "减免金额（元）")]
EVENT_WORDS = {"applied": "减免", "reversed": "撤销"}


def _beijing(at: datetime) -> str:
    """Excel shows what it is given: the wall-clock time in Beijing, without an offset it would not read."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def settlement_csv(report: Settlement) -> str:
    """One row per pool share; the last row carries the month's total. UTF-8 with a byte-order mark: without it
    Excel opens the file as GBK and the Chinese is garbled."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([f"{label} ({code})" for code, label in CSV_COLUMNS])
    for e in report.deductions:
        for p in e.pools:
            writer.writerow([e.deduction_id, f"{EVENT_WORDS.get(e.event, e.event)} ({e.event})", _beijing(e.at),
                             e.admission_no, e.patient_masked, p.kind, p.region, p.owed_by_region,
                             "是" if p.cross_region else "否", p.ml, _yuan(p.yuan)])
    writer.writerow(["合计", "", "", "", "", "", "", "", "", "", _yuan(report.waived_yuan)])
    return out.getvalue()


def _yuan(amount: Decimal) -> str:
    return str(amount.quantize(ZERO))


def _waiting_since(claim) -> datetime:
    """A mail claim waits from the start of the Shanghai day the office received it (if that is before it was
    entered and submitted); any other claim from its submission."""
    if claim.received_on is None:
        return claim.submitted_at
    return min(claim.submitted_at, datetime.combine(claim.received_on, time(0), SHANGHAI))


def _stats_region(principal: Principal, region: str | None) -> str | None:
    """A reviewer's statistics are their own region's (asked for or not); an admin's the region asked, or all."""
    if principal.role == "reviewer":
        if region not in (None, principal.region):
            raise Forbidden("只能查看本辖区的统计", code="other_region")
        return principal.region
    return region


def stats(uow, *, principal: Principal, month: str, region: str | None) -> WaiverStats:
    """Waivers completed in the month by channel: direct deductions still applied, and claims approved
    (paid or not)."""
    region = _stats_region(principal, region)
    start, end = month_bounds(month)
    figures = WaiverStats(month=month, region=region)
    with uow:
        for d in uow.deductions.touching_period(start, end):
            if d.status == "applied" and d.waived_yuan > 0 and start <= d.applied_at < end and \
                    (region is None or d.hospital_region == region):
                figures.by_channel["direct"].add(d.waived_yuan)
        for c in uow.claims.decided_between(start, end, region):
            figures.by_channel[c.channel].add(c.approved_yuan or ZERO)
        figures.days_to_pay = [(c.paid_at - _waiting_since(c)).total_seconds() / 86400
                               for c in uow.claims.paid_between(start, end, region) if c.submitted_at]
    return figures


def months_from(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included ("2026-11", "2026-12", "2027-01")."""
    year, mon = (int(x) for x in first.split("-"))
    months = []
    while (current := f"{year:04d}-{mon:02d}") <= last:
        months.append(current)
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return months


def monthly_stats(uow, *, principal: Principal, first: str, last: str, region: str | None) -> list[WaiverStats]:
    """The per-month stats of every month from `first` to `last` (a trend chart), from three grouped queries:
    the same rules and the same numbers as `stats` for each month."""
    region = _stats_region(principal, region)
    months = months_from(first, last)
    bounds = [month_bounds(m)[0] for m in months] + [month_bounds(months[-1])[1]]
    series = [WaiverStats(month=m, region=region) for m in months]
    with uow:
        for i, (count, yuan) in uow.stats.direct_by_month(bounds, region).items():
            series[i].by_channel["direct"] = Figure(count, yuan)
        for i, channel, count, yuan in uow.stats.approved_by_month(bounds, region):
            series[i].by_channel[channel] = Figure(count, yuan)
        # The middle one or two waits of each month: their median is the median of all the month's waits.
        for i, claim in uow.stats.middle_payments_by_month(bounds, region):
            series[i].days_to_pay.append((claim.paid_at - _waiting_since(claim)).total_seconds() / 86400)
    return series

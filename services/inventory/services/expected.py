"""Expected collections: what a station can count on collecting in the next days, from the donor service's booked
appointments and scheduled drives, less what has already come (a drive's donations count against its target, a
kept appointment is no longer expected)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hemolink.calendar import SHANGHAI, shanghai_day
from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from ..errors import SiteNotFound
from ..policy import EXPECTED_COLLECTIONS

KINDS = ("whole_blood", "platelets")


# ---- facts from donor.events (each keyed by its own id: told twice, stored once) ------------------------------
def appointment_booked(uow, *, appointment_id: str, point_id: str, station_id: str, region: str, kind: str,
                       starts_at: datetime, day: date, now: datetime) -> None:
    with uow:
        uow.expected.expect_appointment(appointment_id=appointment_id, site_id=station_id, region=region,
                                        point_id=point_id, day=day, kind=kind, starts_at=starts_at, updated_at=now)
        uow.commit()


def appointment_closed(uow, *, status: str, appointment_id: str, point_id: str, station_id: str, region: str,
                       kind: str, starts_at: datetime, day: date, now: datetime) -> None:
    """`cancelled` or `missed`: the place will not be filled by that donor."""
    with uow:
        uow.expected.close_appointment(status, appointment_id=appointment_id, site_id=station_id, region=region,
                                       point_id=point_id, day=day, kind=kind, starts_at=starts_at, updated_at=now)
        uow.commit()


def drive_scheduled(uow, *, drive_id: str, station_id: str, region: str, day: date, point_id: str | None,
                    target_donors: int, scheduled_at: datetime) -> None:
    with uow:
        uow.expected.expect_drive(drive_id=drive_id, site_id=station_id, region=region, point_id=point_id, day=day,
                                  target_donors=target_donors, scheduled_at=scheduled_at)
        uow.commit()


def donation_collected(uow, *, donation_id: str, site_id: str, region: str, kind: str, collected_at: datetime,
                       drive_id: str | None = None, appointment_id: str | None = None) -> None:
    donations_collected(uow, [dict(donation_id=donation_id, site_id=site_id, region=region, kind=kind,
                                   collected_at=collected_at, drive_id=drive_id, appointment_id=appointment_id)])


def donations_collected(uow, donations: list[dict]) -> None:
    """Each collection counts against its drive and the appointment it kept; one insert for a bulk import's run.
    A donation counted before adds nothing."""
    with uow:
        uow.expected.collected_many([dict(donation_id=d["donation_id"], site_id=d["site_id"], region=d["region"],
                                          day=shanghai_day(d["collected_at"]), kind=d["kind"], drive_id=d.get("drive_id"),
                                          appointment_id=d.get("appointment_id"), collected_at=d["collected_at"])
                                     for d in donations])
        uow.commit()


# ---- the view --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DriveExpectation:
    drive_id: str
    point_id: str | None
    target_donors: int
    donated: int                # donations recorded with this drive_id (any day: they are the drive's)
    remaining: int              # still expected: target less donated, never below 0


@dataclass
class SiteDay:
    site_id: str
    region: str
    day: date
    expected: dict = field(default_factory=lambda: {k: 0 for k in KINDS})     # still to come, per kind
    collected: dict = field(default_factory=lambda: {k: 0 for k in KINDS})    # come that day, per kind
    appointments: dict = field(default_factory=lambda: {"booked": 0, "kept": 0, "cancelled": 0, "missed": 0})
    drives: list = field(default_factory=list)

    @property
    def expected_total(self) -> int:
        return sum(self.expected.values())

    @property
    def collected_total(self) -> int:
        return sum(self.collected.values())


def expected_collections(uow, principal: Principal, *, site_id: str | None = None, region: str | None = None,
                         first: date | None = None, last: date | None = None, now: datetime,
                         policy=EXPECTED_COLLECTIONS) -> list[SiteDay]:
    """Per station and day: what is still expected from appointments and drives, and what was collected. A station
    asking without `site_id` gets its own; asking for one site gives every day of the range, zeros included."""
    first = first or shanghai_day(now)
    last = last or first + timedelta(days=policy.default_days - 1)
    if last < first:
        raise Unprocessable("结束日期不能早于开始日期", errors={"to": ["结束日期不能早于开始日期"]})
    if (last - first).days + 1 > policy.max_days:
        raise Unprocessable(f"一次最多查询 {policy.max_days} 天", errors={"to": [f"一次最多查询 {policy.max_days} 天"]})
    if site_id is None and principal.role == "station":
        site_id = principal.site_id
    with uow:
        if site_id is not None:
            site = uow.sites.get(site_id)
            if site is None:
                raise SiteNotFound(f"站点 {site_id} 不存在")
            if region and site.region != region:
                return []
            site_ids = [site_id]
        else:
            site_ids = None if region is None else [s.id for s in uow.sites.list(region=region, kind="station")]
        appointments = uow.expected.appointments(site_ids, first, last)
        drives = uow.expected.drives(site_ids, first, last)
        collections = uow.expected.collections(site_ids, first, last)
        drive_donations = uow.expected.drive_donations([d.drive_id for d in drives])
    rows: dict[tuple[str, date], SiteDay] = {}

    def row(site: str, reg: str, day: date) -> SiteDay:
        return rows.setdefault((site, day), SiteDay(site, reg, day))

    if site_id is not None:
        for k in range((last - first).days + 1):
            row(site_id, site.region, first + timedelta(days=k))
    kept = {c.appointment_id for c in collections if c.appointment_id}
    for c in collections:
        row(c.site_id, c.region, c.day).collected[c.kind] = row(c.site_id, c.region, c.day).collected.get(c.kind, 0) + 1
    for a in appointments:
        r = row(a.site_id, a.region, a.day)
        if a.status == "booked":
            r.appointments["booked"] += 1
            if a.appointment_id in kept:
                r.appointments["kept"] += 1
            else:
                r.expected[a.kind] = r.expected.get(a.kind, 0) + 1
        else:
            r.appointments[a.status] += 1
    for d in drives:
        donated = drive_donations.get(d.drive_id, 0)
        remaining = max(d.target_donors - donated, 0)
        r = row(d.site_id, d.region, d.day)
        r.drives.append(DriveExpectation(d.drive_id, d.point_id, d.target_donors, donated, remaining))
        r.expected[policy.drive_kind] += remaining
    return sorted(rows.values(), key=lambda r: (r.site_id, r.day))

"""Group donation (团体献血): a station's organisations (employers, universities, army units: 军地), their drives
(a day at a point or vehicle, a target, a roster), and the year's figures beside street donation (双轨并行)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from ..errors import DriveNotFound, OrganisationNotFound, PointNotFound
from ..events import DriveScheduled
from ..model import SHANGHAI

ORGANISATION_KINDS = ("employer", "university", "army", "government", "community", "other")
ORGANISATION_KIND_WORDS = {"employer": "企事业单位", "university": "高校", "army": "部队", "government": "机关",
                           "community": "社区", "other": "其他"}


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    kind: str
    station_id: str
    region: str
    created_at: datetime


@dataclass(frozen=True)
class Drive:
    id: str
    organisation_id: str
    station_id: str
    region: str
    day: date
    point_id: str | None
    target_donors: int
    created_at: datetime
    roster: list = field(default_factory=list)      # donor ids signed up
    donated: int = 0                                # donors who gave at the drive


def create_organisation(uow, principal: Principal, *, name: str, kind: str, now: datetime) -> Organisation:
    org = Organisation(id=str(uuid.uuid4()), name=name, kind=kind, station_id=principal.site_id,
                       region=principal.region, created_at=now)
    with uow:
        uow.drives.add_organisation(**org.__dict__)
        uow.commit()
        return org


def organisations(uow, principal: Principal) -> list[Organisation]:
    with uow:
        return [Organisation(**r._mapping) for r in uow.drives.organisations(principal.region)]


def create_drive(uow, principal: Principal, *, organisation_id: str, day: date, target_donors: int,
                 point_id: str | None = None, roster: list[str] = (), now: datetime) -> Drive:
    with uow:
        org = uow.drives.organisation(organisation_id)
        if org is None or org.region != principal.region:
            raise OrganisationNotFound()
        if point_id is not None:
            point = uow.points.get(point_id)
            if point is None or point.station_id != principal.site_id:
                raise PointNotFound()
        drive = Drive(id=str(uuid.uuid4()), organisation_id=org.id, station_id=principal.site_id,
                      region=principal.region, day=day, point_id=point_id, target_donors=target_donors, created_at=now)
        uow.drives.add_drive(**{k: v for k, v in drive.__dict__.items() if k not in ("roster", "donated")})
        uow.drives.enrol(drive.id, _known(uow, roster), now)
        # The inventory expects the drive's target on its day (expected collections) and counts its donations
        # (DonationRecorded.drive_id) against it.
        uow.publish(DriveScheduled(drive_id=drive.id, organisation_id=org.id, station_id=drive.station_id,
                                   region=drive.region, day=day, point_id=point_id, target_donors=target_donors,
                                   scheduled_at=now))
        uow.commit()
        return _loaded(uow, drive.id)


def enrol(uow, principal: Principal, *, drive_id: str, donor_ids: list[str], now: datetime) -> Drive:
    with uow:
        _own_drive(uow, principal, drive_id)
        uow.drives.enrol(drive_id, _known(uow, donor_ids), now)
        uow.commit()
        return _loaded(uow, drive_id)


def get_drive(uow, principal: Principal, *, drive_id: str) -> Drive:
    with uow:
        _own_drive(uow, principal, drive_id)
        return _loaded(uow, drive_id)


def drives(uow, principal: Principal, *, since: date) -> list[Drive]:
    with uow:
        return [_loaded(uow, r.id) for r in uow.drives.drives(principal.region, since)]


def _own_drive(uow, principal: Principal, drive_id: str):
    row = uow.drives.drive(drive_id)
    if row is None or row.station_id != principal.site_id:
        raise DriveNotFound()
    return row


def _known(uow, donor_ids) -> list[str]:
    """Only registered donors join a roster (an unknown id is the organiser's typo, not a person)."""
    unknown = [d for d in donor_ids if uow.donors.get(d) is None]
    if unknown:
        raise Unprocessable("名单中有未登记的献血者", errors={"roster": [f"未登记：{', '.join(unknown[:5])}"]})
    return list(dict.fromkeys(donor_ids))


def _loaded(uow, drive_id: str) -> Drive:
    row = uow.drives.drive(drive_id)
    return Drive(**row._mapping, roster=uow.drives.roster(drive_id),
                 donated=len({d.donor_id for d in uow.drives.donated_at(drive_id)}))


@dataclass(frozen=True)
class OrganisationYear:
    organisation_id: str
    name: str
    kind: str
    donors: int
    donations: int
    ml: int
    repeat_rate: float | None       # share of its donors who have given more than once (any channel, any year)


@dataclass(frozen=True)
class ChannelFigures:
    donations: int
    ml: int


@dataclass(frozen=True)
class GroupYear:
    region: str
    year: int
    organisations: list[OrganisationYear]
    group: ChannelFigures            # at drives
    street: ChannelFigures           # everything else (houses, points, vehicles on the street)


def year_figures(uow, principal: Principal, *, year: int) -> GroupYear:
    """Per organisation: donors, donations, ml and repeat rate; the region's group and street totals (双轨)."""
    start = datetime.combine(date(year, 1, 1), time(0), SHANGHAI).astimezone(timezone.utc)
    end = datetime.combine(date(year + 1, 1, 1), time(0), SHANGHAI).astimezone(timezone.utc)
    with uow:
        rows = uow.drives.group_donations(principal.region, start, end)
        split = uow.drives.channel_split(principal.region, start, end)
        counts = uow.drives.donation_counts(sorted({r.donor_id for r in rows}))
    by_org: dict[str, dict] = {}
    for r in rows:
        o = by_org.setdefault(r.id, {"name": r.name, "kind": r.kind, "donors": set(), "donations": 0, "ml": 0})
        o["donors"].add(r.donor_id)
        o["donations"] += 1
        o["ml"] += r.counts_as_ml
    orgs = [OrganisationYear(organisation_id=oid, name=o["name"], kind=o["kind"], donors=len(o["donors"]),
                             donations=o["donations"], ml=o["ml"],
                             repeat_rate=round(sum(counts.get(d, 0) > 1 for d in o["donors"]) / len(o["donors"]), 4))
            for oid, o in sorted(by_org.items(), key=lambda kv: -kv[1]["ml"])]
    group, street = split.get(True, (0, 0)), split.get(False, (0, 0))
    return GroupYear(region=principal.region, year=year, organisations=orgs, group=ChannelFigures(*group),
                     street=ChannelFigures(*street))

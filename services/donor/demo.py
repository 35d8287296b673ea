"""Demo donors for `make up`: people of different groups and regions, some with donation history.

Loaded through the use cases, so DonorRegistered / DonationRecorded / AwardGranted reach the outbox
like real ones. Idempotent: a person already registered (same ID number) is skipped with their history.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from servicekit.auth import Principal
from servicekit.db import make_engine, make_session_factory
from servicekit.pii import PiiVault

from .model import SHANGHAI, gb11643_check_char, shanghai_day
from .prescreen import QUESTIONS
from .services import appointments, donations, donors, drives, points, rare
from .errors import DonorExists
from .notifier import Notifier
from .unit_of_work import DonorUnitOfWork

WHOLE_400 = dict(kind="whole_blood", volume_ml=400)
WHOLE_300 = dict(kind="whole_blood", volume_ml=300)
PLATELETS_2 = dict(kind="platelets", doses=2, hematocrit=0.42, platelet_count=230)

# name, id type, address code, birth, sequence (odd = male), abo, rhd, phone, station, region,
# history: (days ago, donation) oldest first
PEOPLE = [
    ("李明", "resident_id", "310104", "19850312", 101, "O", "pos", "13800000001", "SH-HP-S", "SH",
     [(400, WHOLE_400), (200, WHOLE_400)]),
    ("王芳", "resident_id", "310104", "19920718", 202, "A", "pos", "13800000002", "SH-HP-S", "SH",
     [(30, WHOLE_300)]),
    ("张伟", "resident_id", "310115", "19780125", 303, "B", "neg", "13800000003", "SH-PD-S", "SH", []),
    ("陈静", "resident_id", "320102", "19950905", 404, "AB", "pos", "13800000004", "JS-NJ-S", "JS",
     [(250, WHOLE_400)]),
    ("刘洋", "resident_id", "330106", "19880630", 505, "O", "neg", "13800000005", "ZJ-HZ-S", "ZJ", []),
    # A regular platelet donor: ten double doses = 20 award units → the bronze award and its notification.
    ("赵磊", "resident_id", "310104", "19800214", 607, "A", "pos", "13800000006", "SH-HP-S", "SH",
     [(20 + 14 * i, PLATELETS_2) for i in range(9, -1, -1)]),
    # A Hong Kong resident living in Shanghai (港澳居民居住证, address code 810000).
    ("周敏", "hk_macau_permit", "810000", "19930411", 808, "O", "pos", "13800000007", "SH-HP-S", "SH",
     [(100, WHOLE_300)]),
]

VITALS = dict(hemoglobin_g_l=142, weight_kg=66, systolic=118, diastolic=76)

_DAILY = {str(d): [["09:00", "11:30"], ["13:00", "17:00"]] for d in range(1, 8)}
# name, kind, station, region, address, lat, lon, capacity, weekly hours (a vehicle: stops for the next week)
POINTS = [
    ("人民广场献血屋", "house", "SH-HP-S", "SH", "上海市黄浦区人民大道 185 号", 31.2304, 121.4737,
     {"whole_blood": 4, "platelets": 1}, _DAILY),
    ("陆家嘴固定献血点", "fixed", "SH-PD-S", "SH", "上海市浦东新区世纪大道 100 号", 31.2397, 121.4998,
     {"whole_blood": 3}, {str(d): [["10:00", "16:00"]] for d in range(1, 6)}),
    ("黄浦区采血车 1 号", "vehicle", "SH-HP-S", "SH", "黄浦区血液中心车库", 31.2200, 121.4800, {"whole_blood": 2}, {}),
]
VEHICLE_STOPS = [("复旦大学邯郸校区", 31.2990, 121.5010), ("上海交通大学徐汇校区", 31.2000, 121.4330)]
ALL_WELL = {q.code: not q.defers_if for q in QUESTIONS}
# A university's drive in three days at the Huangpu vehicle (which stops at a campus that day), for the console's
# 团体献血 page and the inventory's expected collections; and the station's emergency team with its RhD-negative donor.
ORGANISATION = ("复旦大学", "university")
DRIVE_IN_DAYS, DRIVE_TARGET = 3, 60
TEAM = "黄浦区稀有血型应急献血队"
HP = Principal(sub="demo", role="station", claims=(("site_id", "SH-HP-S"), ("region", "SH")))


def id_number(address: str, birth: str, seq: int) -> str:
    first17 = f"{address}{birth}{seq:03d}"
    return first17 + gb11643_check_char(first17)


def load(config) -> dict:
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    vault, notifier, facility_ids = PiiVault.from_config(config), Notifier(), config.facility_ids()
    now = datetime.now(timezone.utc)
    created = recorded = 0
    try:
        for name, id_type, address, birth, seq, abo, rhd, phone, station, region, history in PEOPLE:
            try:
                donor = donors.register_donor(DonorUnitOfWork(sessions), vault, name=name, id_type=id_type,
                                                 national_id=id_number(address, birth, seq), phone=phone, abo=abo,
                                                 rhd=rhd, region=region, site_id=station)
            except DonorExists:
                continue
            created += 1
            for days_ago, donation in history:
                donations.record_donation(DonorUnitOfWork(sessions), notifier, donor_id=donor.id, site_id=station,
                                          region=region, collected_at=now - timedelta(days=days_ago), now=now,
                                          facility_ids=facility_ids, **donation, **VITALS)
                recorded += 1
        added = _load_points(sessions, notifier, now)
    finally:
        engine.dispose()
    return {"donors_created": created, "donations_recorded": recorded, **added}


def _load_points(sessions, notifier, now: datetime) -> dict:
    """Points with slots for the coming week, a vehicle's stops, and one booking (张伟, tomorrow 10:00)."""
    existing = _names(sessions)
    added = booked = 0
    for name, kind, station, region, address, lat, lon, capacity, hours in POINTS:
        if name in existing:
            continue
        principal = Principal(sub="demo", role="station", claims=(("site_id", station), ("region", region)))
        point = points.register_point(DonorUnitOfWork(sessions), principal, now=now, body={
            "name": name, "kind": kind, "address": address, "lat": lat, "lon": lon, "slot_minutes": 30,
            "capacity": capacity, "hours": hours})
        added += 1
        if kind == "vehicle":
            for offset in range(1, 8):
                stop_name, stop_lat, stop_lon = VEHICLE_STOPS[offset % len(VEHICLE_STOPS)]
                points.add_stop(DonorUnitOfWork(sessions), principal, point_id=point.id, body={
                    "day": shanghai_day(now) + timedelta(days=offset), "address": stop_name, "lat": stop_lat,
                    "lon": stop_lon, "opens": "10:00", "closes": "15:00"})
        if name == "人民广场献血屋":
            booked += _book_demo(sessions, notifier, point, now)
    return {"points_created": added, "appointments_booked": booked, **_load_groups(sessions, now)}


def _load_groups(sessions, now: datetime) -> dict:
    """The organisation and its drive, and the emergency team, once (known by their names)."""
    created = {"drives_created": 0, "teams_created": 0}
    if not any(o.name == ORGANISATION[0] for o in drives.organisations(DonorUnitOfWork(sessions), HP)):
        org = drives.create_organisation(DonorUnitOfWork(sessions), HP, name=ORGANISATION[0], kind=ORGANISATION[1],
                                         now=now)
        vehicle = next(p for p in _points(sessions) if p.name == "黄浦区采血车 1 号")
        with DonorUnitOfWork(sessions) as uow:
            roster = [d.id for d in uow.donors.active_in_group("SH", "A", "pos")]
        drives.create_drive(DonorUnitOfWork(sessions), HP, organisation_id=org.id,
                            day=shanghai_day(now) + timedelta(days=DRIVE_IN_DAYS), point_id=vehicle.id,
                            target_donors=DRIVE_TARGET, roster=roster, now=now)
        created["drives_created"] = 1
    if not any(t.name == TEAM for t in rare.teams(DonorUnitOfWork(sessions), HP)):
        team = rare.create_team(DonorUnitOfWork(sessions), HP, name=TEAM, now=now)
        with DonorUnitOfWork(sessions) as uow:
            members = [d.id for d in uow.donors.active_in_group("SH", "B", "neg")]
        for donor_id in members:
            rare.add_member(DonorUnitOfWork(sessions), HP, team_id=team.id, donor_id=donor_id, now=now)
        created["teams_created"] = 1
    return created


def _names(sessions) -> set[str]:
    return {p.name for p in _points(sessions)}


def _points(sessions) -> list:
    with DonorUnitOfWork(sessions) as uow:
        return uow.points.active()


def _book_demo(sessions, notifier, point, now: datetime) -> int:
    with DonorUnitOfWork(sessions) as uow:
        donor = next((d for d in uow.donors.active_in_group("SH", "B", "neg")), None)
    if donor is None:
        return 0
    at = datetime.combine(shanghai_day(now) + timedelta(days=1), time(10), SHANGHAI)
    appointments.book(DonorUnitOfWork(sessions), notifier, donor_id=donor.id, point_id=point.id, kind="whole_blood",
                      starts_at=at, answers=ALL_WELL, now=now)
    return 1

"""Demo donors for `make up`: people of different groups and regions, some with donation history.

Loaded through the use cases, so DonorRegistered / DonationRecorded / AwardGranted reach the outbox
like real ones. Idempotent: a person already registered (same ID number) is skipped with their history.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from servicekit.db import make_engine, make_session_factory
from servicekit.pii import PiiVault

from .services import donations, donors
from .errors import DonorExists
from .model import gb11643_check_char
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
    finally:
        engine.dispose()
    return {"donors_created": created, "donations_recorded": recorded}

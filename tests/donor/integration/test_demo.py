"""`make up` demo data: loaded through the use cases, and a second load changes nothing."""
from sqlalchemy import select

from donor import demo
from donor.config import Config
from donor.orm import awards, donors, drive_roster, emergency_team_members
from donor.orm import drives as drives_table
from tests.helpers import SERVICE_KEYS, PII_KEY


def test_demo_data_loads_once(donor_db, session_factory, state):
    config = Config(database_url=donor_db, **SERVICE_KEYS, pii_key=PII_KEY)
    first = demo.load(config)
    assert first == {"donors_created": len(demo.PEOPLE), "donations_recorded": sum(len(p[-1]) for p in demo.PEOPLE),
                     "points_created": len(demo.POINTS), "appointments_booked": 1, "drives_created": 1,
                     "teams_created": 1}
    after_first = state()
    assert demo.load(config) == {"donors_created": 0, "donations_recorded": 0, "points_created": 0,
                                 "appointments_booked": 0, "drives_created": 0, "teams_created": 0}
    assert state() == after_first
    with session_factory() as s:
        assert {r.abo + r.rhd for r in s.execute(select(donors))} >= {"Opos", "Apos", "Bneg", "ABpos", "Oneg"}
        assert [r.level for r in s.execute(select(awards))] == ["bronze"]       # the platelet regular
        [drive] = s.execute(select(drives_table)).all()
        assert drive.target_donors == demo.DRIVE_TARGET and drive.point_id is not None
        assert len(s.execute(select(drive_roster)).all()) >= 1 and len(s.execute(select(emergency_team_members)).all()) == 1

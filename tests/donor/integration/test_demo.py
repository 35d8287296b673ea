"""`make up` demo data: loaded through the use cases, and a second load changes nothing."""
from sqlalchemy import select

from donor import demo
from donor.config import Config
from donor.orm import awards, donors
from tests.helpers import SERVICE_KEYS, PII_KEY


def test_demo_data_loads_once(donor_db, session_factory, state):
    config = Config(database_url=donor_db, **SERVICE_KEYS, pii_key=PII_KEY)
    first = demo.load(config)
    assert first == {"donors_created": len(demo.PEOPLE), "donations_recorded": sum(len(p[-1]) for p in demo.PEOPLE),
                     "points_created": len(demo.POINTS), "appointments_booked": 1}
    after_first = state()
    assert demo.load(config) == {"donors_created": 0, "donations_recorded": 0, "points_created": 0,
                                 "appointments_booked": 0}
    assert state() == after_first
    with session_factory() as s:
        assert {r.abo + r.rhd for r in s.execute(select(donors))} >= {"Opos", "Apos", "Bneg", "ABpos", "Oneg"}
        assert [r.level for r in s.execute(select(awards))] == ["bronze"]       # the platelet regular

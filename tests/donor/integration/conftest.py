import itertools

import pytest

from donor.services import donors
from donor.app import create_app
from donor.unit_of_work import DonorUnitOfWork
from servicekit.db import make_engine, make_session_factory
from servicekit.pii import PiiVault
from tests.helpers import JWT_SECRET, PII_KEY, make_national_id

_seq = itertools.count(1)
STATION = dict(site_id="SH-S01", region="SH")


@pytest.fixture
def donor_db(databases, db_kind):
    return databases.new("donor", db_kind)


@pytest.fixture
def app(donor_db):
    return create_app(database_url=donor_db, jwt_secret=JWT_SECRET, pii_key=PII_KEY)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session_factory(donor_db):
    return make_session_factory(make_engine(donor_db))


@pytest.fixture
def uow_factory(session_factory):
    return lambda: DonorUnitOfWork(session_factory)


@pytest.fixture
def new_donor(uow_factory):
    """Register a donor directly through the use case; returns the Donor."""
    def make(abo="O", rhd="pos", region="SH", birth="19900101", female=False):
        n = next(_seq)
        return donors.register_donor(uow_factory(), PiiVault(PII_KEY), name=f"献血者{n}",
                                       national_id=make_national_id(birth=birth, seq=n % 499, region="310104" if n < 499 else "320102", female=female),
                                       phone=f"139{n:08d}", abo=abo, rhd=rhd, region=region, site_id="SH-S01")
    return make


@pytest.fixture
def state(session_factory):
    """Row counts of every table a request could change (the audit trail excepted: it records refusals)."""
    from sqlalchemy import func, select

    from donor import orm
    from servicekit.tables import outbox, processed_events

    tables = [*orm.metadata.sorted_tables, outbox, processed_events]

    def snapshot() -> dict:
        with session_factory() as s:
            return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
    return snapshot


def station(site_id="SH-S01", region="SH"):
    from tests.helpers import auth

    return auth("station", site_id=site_id, region=region)

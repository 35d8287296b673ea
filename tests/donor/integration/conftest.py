import itertools

import pytest

from donor.services import donors
from donor.unit_of_work import DonorUnitOfWork
from servicekit.testing import row_counts
from tests.fixtures import service_fixtures
from servicekit.pii import PiiVault
from tests.helpers import PII_KEY, make_national_id

_seq = itertools.count(1)
STATION = dict(site_id="SH-S01", region="SH")


service_db, donor_db, session_factory, uow_factory, app, client = service_fixtures("donor", DonorUnitOfWork)


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
    from donor import orm
    from servicekit.tables import outbox, processed_events

    return lambda: row_counts(session_factory, [*orm.metadata.sorted_tables, outbox, processed_events])


def station(site_id="SH-S01", region="SH"):
    from tests.helpers import auth

    return auth("station", site_id=site_id, region=region)

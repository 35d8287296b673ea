"""The waiver consumer's runs (servicekit EventProcessor.process_run) with its bulk handlers leave exactly the state
its one-event handlers leave applied one by one: the same donors (regions included), donations and pools."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from servicekit.consumer import APPLIED, DUPLICATE, EventProcessor
from servicekit.db import make_engine, make_session_factory
from servicekit.testing import FakeProducer, make_envelope, record_of
from waiver import orm
from waiver.handlers import BATCHABLE, BULK_HANDLERS, HANDLERS
from waiver.unit_of_work import WaiverUnitOfWork

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=timezone.utc)


def _events():
    """Registrations and donations of four donors, interleaved, one registered twice (a later region), one known
    only through its donations, a donation sent twice under two event ids (a re-sent fact)."""
    def registered(n, region):
        return make_envelope("DonorRegistered", {"donor_id": f"d{n}", "national_id_blind": f"b{n}",
                                                 "national_id_masked": f"310***{n}", "region": region,
                                                 "registered_at": T0.isoformat()}, source="donor", subject=f"d{n}")

    def donated(n, k, region="SH"):
        return make_envelope("DonationRecorded", {
            "donation_id": f"x{n}-{k}", "donor_id": f"d{n}", "national_id_blind": f"b{n}",
            "national_id_masked": f"310***{n}", "region": region, "site_id": "SH-S1", "kind": "whole_blood",
            "volume_ml": 400, "doses": None, "counts_as_ml": 400, "din": f"W000125{n:02d}{k:04d}",
            "collected_at": (T0 + timedelta(days=200 * k)).isoformat(), "abo": "O", "rhd": "pos"},
            source="donor", subject=f"d{n}")

    return [registered(1, "SH"), registered(2, "SH"), donated(1, 0), donated(1, 1), donated(2, 0, "JS"),
            donated(3, 0), donated(3, 1), registered(2, "ZJ"), donated(2, 1), donated(1, 1), registered(4, "AH"),
            donated(4, 0)]


def _state(session_factory):
    with session_factory() as s:
        return {
            "donors": sorted(tuple(r) for r in s.execute(select(orm.ledger_donors))),
            "donations": sorted(tuple(r) for r in s.execute(select(orm.ledger_donations))),
            "pools": sorted((r.donor_id, r.kind, r.region, r.used_ml) for r in s.execute(select(orm.pools))),
        }


def _processor(url, **kwargs):
    sf = make_session_factory(make_engine(url))
    return sf, EventProcessor(group="waiver", handlers=HANDLERS, uow_factory=lambda: WaiverUnitOfWork(sf),
                              dlq_producer=FakeProducer(), retry_sleep_s=0, **kwargs)


def test_a_run_with_bulk_handlers_leaves_the_state_one_by_one_leaves(databases, db_kind):
    records = [record_of(e, offset=i) for i, e in enumerate(_events())]
    one_sf, one = _processor(databases.new("waiver", db_kind))
    assert [one.process(r) for r in records] == [APPLIED] * len(records)
    run_sf, run = _processor(databases.new("waiver", db_kind), batchable=BATCHABLE, bulk_handlers=BULK_HANDLERS)
    assert run.process_run(records) == [APPLIED] * len(records)
    expected = _state(one_sf)
    assert _state(run_sf) == expected
    assert [d[3] for d in expected["donors"]] == ["SH", "ZJ", "SH", "AH"]     # d2's later registration holds
    assert len(expected["donations"]) == 7 and len(expected["pools"]) == 10    # d2 has pools in SH and JS
    assert run.process_run(records) == [DUPLICATE] * len(records)
    assert _state(run_sf) == expected

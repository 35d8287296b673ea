"""Races with real threads against the database: DIN sequences and one donation per donor."""
import threading
from concurrent.futures import ThreadPoolExecutor

from donor.services import donations
from donor.errors import NotEligible
from donor.notifier import Notifier

VITALS = dict(hemoglobin_g_l=140, weight_kg=70, systolic=120, diastolic=80)


def _race(n, fn):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return fn(i)
        except Exception as exc:   # collected, not swallowed: the test asserts on them
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_100_concurrent_donations_at_one_station_get_100_distinct_dins(uow_factory, new_donor):
    donors = [new_donor() for _ in range(100)]
    results = _race(100, lambda i: donations.record_donation(
        uow_factory(), Notifier(), donor_id=donors[i].id, site_id="SH-S01", region="SH", kind="whole_blood",
        volume_ml=400, **VITALS))
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    dins = [r.din for r in results]
    assert len(set(dins)) == 100
    assert sorted(int(d[-6:]) for d in dins) == list(range(1, 101))   # no gaps, no repeats


def test_20_concurrent_whole_blood_attempts_for_one_donor_record_exactly_one(uow_factory, new_donor):
    donor = new_donor()
    results = _race(20, lambda i: donations.record_donation(
        uow_factory(), Notifier(), donor_id=donor.id, site_id="SH-S01", region="SH", kind="whole_blood",
        volume_ml=400, **VITALS))
    successes = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, NotEligible)]
    assert len(successes) == 1 and len(refusals) == 19
    assert all(r.extra["reasons"] == ["interval"] for r in refusals)
    assert len(donations.list_donations(uow_factory(), donor.id)) == 1

"""Donation points' opening days and slots, and the pre-screening questionnaire: plain Python."""
from datetime import date, datetime, timezone

import pytest

from donor.points import DonationPoint, PointStop, distance_km
from donor.prescreen import QUESTIONS, refusals

MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def point(kind="house", hours=None, **kw):
    return DonationPoint(id="p", name="n", kind=kind, station_id="S", region="SH", address="a", lat=31.23, lon=121.47,
                         slot_minutes=30, capacity={"whole_blood": 3}, created_at=NOW,
                         hours=hours if hours is not None else {"1": [["09:00", "10:30"]]}, **kw)


def test_slots_fill_each_window_and_end_by_closing_time_in_shanghai_time():
    p = point(hours={"1": [["09:00", "10:45"], ["13:00", "13:30"]]})
    starts = p.slots_on(MONDAY)
    assert [s.strftime("%H:%M") for s in starts] == ["09:00", "09:30", "10:00", "13:00"]    # 10:30 would end 11:00
    assert starts[0] == datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)                     # 09:00 +08:00


def test_a_point_is_closed_on_days_without_hours_and_when_inactive():
    assert point().slots_on(date(2026, 12, 8)) == [] and point().opening_on(date(2026, 12, 8)) is None
    assert point(active=False).slots_on(MONDAY) == []


def test_a_vehicle_opens_only_where_a_stop_puts_it_that_day():
    stop = PointStop(id="s", point_id="p", day=MONDAY, address="复旦大学", lat=31.3, lon=121.5, opens="10:00",
                     closes="11:00")
    vehicle = point(kind="vehicle", hours={})
    assert vehicle.opening_on(MONDAY, [stop]).address == "复旦大学" and len(vehicle.slots_on(MONDAY, [stop])) == 2
    assert vehicle.slots_on(date(2026, 12, 8), [stop]) == []


def test_capacity_is_per_collection_kind():
    assert point().takes("whole_blood") == 3 and point().takes("platelets") == 0 and point().takes("plasma") == 0


def test_distance_is_great_circle_kilometres():
    assert distance_km(31.2304, 121.4737, 31.2304, 121.4737) == 0
    assert distance_km(31.2304, 121.4737, 32.0603, 118.7969) == pytest.approx(270, abs=5)     # Shanghai–Nanjing


def test_every_answer_that_would_stop_a_collection_refuses_with_its_reason():
    fine = {q.code: not q.defers_if for q in QUESTIONS}
    assert refusals(fine) == []
    for q in QUESTIONS:
        assert refusals({**fine, q.code: q.defers_if}) == [q.reason]
    with pytest.raises(KeyError):
        refusals({})           # every question must be answered (the schema says so first)

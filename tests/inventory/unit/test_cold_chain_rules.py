"""The cold chain as data and the excursion detector at its edges (docs/domain-reference.md §3)."""
from datetime import datetime, timedelta, timezone

import pytest

from inventory.coldchain import STORAGE, TRANSPORT, Reading, excursions, judge_transport, out_of_range_windows
from inventory.reserve import Reserve, active_floor

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
FRIDGE = STORAGE["fridge"]


def at(minutes: float, celsius: float, agitating=None) -> Reading:
    return Reading(T0 + timedelta(minutes=minutes), celsius, agitating)


def test_ranges_are_ws_399_storage_and_transport_temperatures():
    assert (FRIDGE.min_c, FRIDGE.max_c) == (2.0, 6.0)
    assert (STORAGE["freezer"].min_c, STORAGE["freezer"].max_c) == (None, -18.0)
    agitator = STORAGE["platelet_agitator"]
    assert (agitator.min_c, agitator.max_c, agitator.agitation) == (20.0, 24.0, True)
    rule = TRANSPORT["red_cells"]
    assert (rule.range.min_c, rule.range.max_c, rule.max_duration) == (2.0, 10.0, timedelta(hours=24))
    assert "plasma" not in TRANSPORT        # no published transport rule: arrives as before


@pytest.mark.parametrize("celsius, inside", [(2.0, True), (6.0, True), (1.99, False), (6.01, False), (4, True)])
def test_a_reading_exactly_at_a_limit_is_in_range(celsius, inside):
    assert FRIDGE.holds(celsius) is inside


def test_freezer_has_no_lower_bound_and_an_agitator_that_stops_is_out_of_range():
    assert STORAGE["freezer"].holds(-40) and STORAGE["freezer"].holds(-18) and not STORAGE["freezer"].holds(-17.9)
    agitator = STORAGE["platelet_agitator"]
    assert agitator.holds(22, True) and agitator.holds(22, None) and not agitator.holds(22, False)


def test_out_for_exactly_the_allowed_time_is_no_excursion_and_one_second_more_is():
    exact = [at(0, 4), at(10, 7), at(40, 4)]                     # out from 10 to 40: exactly 30 min
    assert [w.duration for w in out_of_range_windows(exact, FRIDGE)] == [timedelta(minutes=30)]
    assert excursions(exact, FRIDGE) == []
    longer = [at(0, 4), at(10, 7), Reading(T0 + timedelta(minutes=40, seconds=1), 4)]
    (w,) = excursions(longer, FRIDGE)
    assert (w.started_at, w.ended_at, w.ongoing, w.max_c) == (T0 + timedelta(minutes=10),
                                                              T0 + timedelta(minutes=40, seconds=1), False, 7)


def test_readings_in_any_order_give_the_same_windows_and_an_open_stretch_is_ongoing():
    readings = [at(0, 4), at(10, 8), at(20, 9.5), at(30, 1.5), at(50, 7)]
    shuffled = [readings[k] for k in (3, 0, 4, 2, 1)]
    assert excursions(shuffled, FRIDGE) == excursions(readings, FRIDGE)
    (w,) = excursions(readings, FRIDGE)
    assert (w.started_at, w.ended_at, w.ongoing, w.min_c, w.max_c) == (T0 + timedelta(minutes=10),
                                                                       T0 + timedelta(minutes=50), True, 1.5, 9.5)
    assert excursions([at(0, 4), at(10, 8), at(39, 8)], FRIDGE) == []       # 29 min so far: not yet


def test_an_in_range_reading_ends_the_stretch_and_two_short_stretches_do_not_add_up():
    readings = [at(0, 7), at(20, 4), at(25, 7), at(45, 4)]       # 20 min out twice
    assert [w.duration for w in out_of_range_windows(readings, FRIDGE)] == [timedelta(minutes=20)] * 2
    assert excursions(readings, FRIDGE) == []


def test_red_cells_on_the_road_out_of_2_to_10_or_over_24_hours_are_in_doubt():
    leg = [at(0, 3), at(60, 10.0)]
    assert not judge_transport("red_cells", leg, T0, T0 + timedelta(hours=24)).doubtful    # both edges inside
    hot = judge_transport("red_cells", [*leg, at(90, 10.1)], T0, T0 + timedelta(hours=2))
    assert (hot.doubtful, hot.reasons, hot.max_c) == (True, ["out_of_range"], 10.1)
    slow = judge_transport("red_cells", leg, T0, T0 + timedelta(hours=24, seconds=1))
    assert (slow.doubtful, slow.reasons) == (True, ["over_time"])
    assert not judge_transport("plasma", [at(0, 30)], T0, T0 + timedelta(days=3)).doubtful


def test_overlapping_reserves_keep_the_larger_and_count_only_inside_their_dates():
    from datetime import date
    def r(units, start, end):
        return Reserve(id=str(units), site_id="S", component="red_cells", abo="O", rhd="pos", units=units,
                       starts_on=date(2026, 11, start), ends_on=date(2026, 11, end), reason="进博会",
                       created_by=None, created_at=T0)
    reserves = [r(10, 1, 10), r(25, 5, 6)]
    key = ("S", "red_cells", "O", "pos")
    assert active_floor(reserves, date(2026, 11, 1)) == {key: 10}
    assert active_floor(reserves, date(2026, 11, 6)) == {key: 25}      # the larger, not 35
    assert active_floor(reserves, date(2026, 11, 10)) == {key: 10}     # the last day is included
    assert active_floor(reserves, date(2026, 11, 11)) == {}

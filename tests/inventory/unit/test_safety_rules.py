"""Blood-safety rules as plain Python: the approval tier of a patient's day (exactly at 800 and 1,600 ml), what
counts toward it, the Shanghai day, the lookback window per marker, and what a recall line accepts as an answer."""
from datetime import date, datetime, timedelta, timezone

import pytest

from hemolink.calendar import shanghai_day
from inventory.approval import counted_ml, covers, tier_for
from inventory.clinical_policy import DEFAULT_LOOKBACK, lookback_window
from inventory.errors import InvalidState
from inventory.recall import Recall, RecallLine

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("ml,level", [(0, "attending"), (799, "attending"), (800, "department_head"),
                                      (1599, "department_head"), (1600, "medical_department"),
                                      (5000, "medical_department")])
def test_the_tier_of_a_day_starts_exactly_at_800_and_1600_ml(ml, level):
    assert tier_for(ml).level == level


def test_a_higher_level_covers_a_lower_tier_and_not_the_reverse():
    assert covers("medical_department", "department_head") and covers("department_head", "department_head")
    assert not covers("attending", "department_head") and not covers(None, "attending")
    assert not covers("chief", "attending")


def test_red_cells_and_whole_blood_count_200_ml_a_unit_and_plasma_nothing():
    lines = [{"component": "red_cells", "units": 2}, {"component": "whole_blood", "units": 1.5},
             {"component": "washed_red_cells", "units": 0.5}, {"component": "plasma", "units": 10},
             {"component": "platelets", "units": 1}]
    assert counted_ml(lines) == 800


def test_the_day_turns_at_midnight_in_shanghai():
    assert shanghai_day(datetime(2026, 12, 7, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 7)
    assert shanghai_day(datetime(2026, 12, 7, 16, 0, tzinfo=timezone.utc)) == date(2026, 12, 8)


def test_each_marker_has_its_window_and_an_unknown_one_the_longest():
    assert lookback_window("HIV") == timedelta(days=365) and lookback_window("syphilis") == timedelta(days=90)
    assert lookback_window("post_donation_report") == timedelta(days=30)
    assert lookback_window("something_new") == DEFAULT_LOOKBACK


def _line(status="issued"):
    return RecallLine(id="l1", recall_id="r1", hospital_id="H1", region="SH", unit_id="u1", din="W1",
                      component="red_cells", status_at_notice=status, notified_at=NOW)


def test_a_line_takes_one_answer_that_fits_the_bag():
    line = _line()
    with pytest.raises(InvalidState) as e:
        line.record_answer("transfused", "issued", "随访", "h", NOW)
    assert e.value.code == "unit_not_transfused"
    with pytest.raises(InvalidState) as e:
        line.record_answer("returned", "transfused", None, "h", NOW)
    assert e.value.code == "unit_not_returnable"
    with pytest.raises(InvalidState) as e:
        line.record_answer("transfused", "transfused", "  ", "h", NOW)
    assert e.value.code == "follow_up_required" and e.value.status == 422
    line.record_answer("destroyed", "issued", None, "h", NOW)
    assert (line.answer, line.answered_at) == ("destroyed", NOW)
    with pytest.raises(InvalidState) as e:
        line.record_answer("returned", "issued", None, "h", NOW)
    assert e.value.code == "recall_line_answered"


def test_a_recall_closes_when_every_line_is_answered_and_counts_its_hours():
    recall = Recall(id="r1", trigger="positive_test", trigger_ref="W0", marker="hiv", donor_id="d", window_days=365,
                    window_from=NOW - timedelta(days=365), window_to=NOW, status="open", opened_at=NOW)
    first, second = _line(), _line()
    recall.lines = [first, second]
    first.record_answer("returned", "issued", None, "h", NOW)
    assert not recall.close_if_answered(NOW + timedelta(hours=1)) and recall.closure_hours is None
    second.record_answer("destroyed", "issued", None, "h", NOW)
    assert recall.close_if_answered(NOW + timedelta(hours=30)) and recall.closure_hours == 30.0
    assert not recall.close_if_answered(NOW + timedelta(hours=40)) and recall.closed_at == NOW + timedelta(hours=30)

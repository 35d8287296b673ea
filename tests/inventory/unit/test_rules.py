"""Domain rules as data: yields and shelf lives, warning levels and the consecutive-days rule, cuts,
compatibility, test-failure reasons, bag picking."""
from datetime import date, datetime, timedelta, timezone

import pytest

from inventory.model import days_of_supply, order_status, products_of, raw_level, routine_cut, sustained_level
from inventory.policy import StockPolicy, Thresholds, is_infectious, stock_policy, substitutes

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)


def test_whole_blood_yields_red_cells_and_plasma_by_volume_and_platelets_a_bag_per_dose():
    lines = products_of("whole_blood", 300, None, T0)
    assert [(p.component, p.units, p.volume_ml) for p in lines] == [("red_cells", 1.5, 225), ("plasma", 1.5, 150)]
    assert [p.expires_at - T0 for p in lines] == [timedelta(days=35), timedelta(days=365)]
    plates = products_of("platelets", None, 2, T0)
    assert [(p.component, p.units, p.bag, p.expires_at - T0) for p in plates] == \
        [("platelets", 1.0, 1, timedelta(days=5)), ("platelets", 1.0, 2, timedelta(days=5))]
    assert products_of("whole_blood", None, None, T0) == [] and products_of("cryo", 200, None, T0) == []


@pytest.mark.parametrize("days, component, level", [
    (5.0, "red_cells", "green"), (4.99, "red_cells", "yellow"), (2.99, "red_cells", "orange"),
    (0.99, "red_cells", "red"), (0, "plasma", "red"), (None, "red_cells", "green"),
    (2.5, "platelets", "green"), (1.5, "platelets", "yellow"), (0.4, "platelets", "red"),   # platelets keep 5 days
])
def test_levels_by_days_of_supply(days, component, level):
    assert raw_level(days, component, stock_policy("SH", date(2026, 11, 1))) == level


def test_days_of_supply_is_none_without_demand():
    assert days_of_supply(10, 0) is None and days_of_supply(10, 4) == 2.5


def test_yellow_needs_more_than_3_consecutive_days_below_5_days_and_lowers_at_once():
    policy = stock_policy("SH", date(2026, 11, 1))
    assert (policy.sustain_days, policy.escalation_sustain_days) == (3, 0)      # Shanghai's published rule
    since: dict = {}
    level, since = sustained_level("yellow", since, T0, policy.sustain_days)
    assert level == "green" and since["yellow"] == T0
    assert sustained_level("yellow", since, T0 + timedelta(days=3), 3)[0] == "green"        # 3 days: not "more than"
    level, since = sustained_level("yellow", since, T0 + timedelta(days=3, seconds=1), 3)
    assert level == "yellow"
    level, since = sustained_level("green", since, T0 + timedelta(days=4), 3)
    assert level == "green" and since == {"yellow": None, "orange": None, "red": None}


def test_orange_and_red_come_at_once_unless_a_region_sets_an_escalation_duration():
    assert sustained_level("orange", {}, T0, 3)[0] == "orange"
    assert sustained_level("red", {}, T0, 3)[0] == "red"
    level, since = sustained_level("orange", {}, T0, 3, escalation_sustain_days=1)
    assert level == "green"
    assert sustained_level("orange", since, T0 + timedelta(days=1, seconds=1), 3, 1)[0] == "orange"


def test_routine_cuts_by_level_are_policy_data():
    policy = stock_policy("SH", date(2026, 11, 1))
    assert [routine_cut(lvl, policy) for lvl in ("green", "yellow", "orange", "red")] == [0, 0.3, 0.5, 0.7]
    custom = StockPolicy("XX", routine_cut={"green": 0, "yellow": 0.1, "orange": 0.2, "red": 0.9},
                         thresholds=Thresholds(7, 4, 2))
    assert routine_cut("red", custom) == 0.9 and raw_level(6.5, "red_cells", custom) == "yellow"


def test_the_policy_in_force_is_chosen_by_effective_date_and_unknown_regions_use_shanghais():
    assert stock_policy("JS", date(2020, 1, 1)).region == "JS"
    assert stock_policy("XJ", date(2020, 1, 1)).region == "SH"


@pytest.mark.parametrize("component, abo, rhd, expected", [
    ("red_cells", "A", "pos", [("O", "pos"), ("A", "neg"), ("O", "neg")]),
    ("red_cells", "O", "neg", []),                                       # never RhD+ to an RhD- recipient
    ("red_cells", "AB", "neg", [("A", "neg"), ("B", "neg"), ("O", "neg")]),
    ("plasma", "O", "pos", [("A", "pos"), ("B", "pos"), ("AB", "pos"), ("O", "neg"), ("A", "neg"), ("B", "neg"),
                            ("AB", "neg")]),
    ("plasma", "AB", "pos", [("AB", "neg")]),                          # only AB plasma for an AB recipient
    ("platelets", "B", "pos", [("AB", "pos"), ("B", "neg"), ("AB", "neg")]),
])
def test_emergency_substitutes_follow_the_compatibility_tables(component, abo, rhd, expected):
    assert substitutes(component, abo, rhd) == expected


def test_test_failure_reasons_say_whether_they_are_infectious():
    assert is_infectious("HIV") and is_infectious(" hbsag ") and not is_infectious("lipaemic")
    assert not is_infectious(None) and not is_infectious("something new")


def test_order_status_from_what_was_allocated():
    line = {"units": 4}
    assert order_status([{**line, "allocated_units": 4}]) == "fulfilled"
    assert order_status([{**line, "allocated_units": 4}, {**line, "allocated_units": 1}]) == "partial"
    assert order_status([{**line, "allocated_units": 0}]) == "backordered"

"""Rebalancing keeps a site's reserve for a major event: it never sends below max(target, reserve)."""
from inventory.rebalancing import Problem, SitePoint, solve

O_POS = ("red_cells", "O", "pos")
SITES = [SitePoint("A", 31.20, 121.45), SitePoint("B", 31.03, 121.23), SitePoint("C", 31.10, 121.30)]


def _problem(keep=None, a_bags=30):
    # A: 30 × 1 U against 1 U/day (target 7: 23 U spare); B: nothing against 4 U/day (28 U short).
    return Problem(sites=SITES, target_days=7, demand={O_POS: {"A": 1.0, "B": 4.0}},
                   stock={O_POS: {"A": [(1.0, 20.0)] * a_bags}}, keep=keep or {})


def _sent_from(result, site):
    return sum(m.units for m in result.moves if m.from_site == site)


def test_without_a_reserve_the_surplus_over_target_moves():
    assert _sent_from(solve(_problem()), "A") == 23


def test_a_reserve_above_target_is_not_moved_away():
    result = solve(_problem(keep={O_POS: {"A": 20.0}}))
    assert _sent_from(result, "A") == 10                    # 30 held − 20 kept
    assert result.after.shortfall_units == 28 - 10


def test_a_reserve_at_or_above_the_holding_sends_nothing_and_one_below_target_changes_nothing():
    assert solve(_problem(keep={O_POS: {"A": 30.0}})).moves == []
    assert solve(_problem(keep={O_POS: {"A": 45.0}})).moves == []
    assert _sent_from(solve(_problem(keep={O_POS: {"A": 3.0}})), "A") == 23     # the target (7) is larger


def test_a_reserve_of_another_group_or_site_does_not_hold_this_one():
    assert _sent_from(solve(_problem(keep={("red_cells", "A", "pos"): {"A": 30.0}, O_POS: {"C": 5.0}})), "A") == 23

"""The simulator: one seed gives one year (deterministic), every bag ends transfused, expired, discarded or in
stock, and it runs the inventory's own rules (a short run: 6 stations, 30 days after a 60-day warm-up)."""
from dataclasses import asdict

import pytest

from inventory.simulate import main
from inventory.simulation.engine import END_STATUSES, STOCK_STATUSES, Simulation
from inventory.simulation.region import SIM_COMPONENTS, SimulationParams

SHORT = SimulationParams(days=30, warmup_days=60)


def _run(seed=1, optimiser=True, demand="forecast"):
    return Simulation(n_sites=6, seed=seed, optimiser=optimiser, demand=demand, params=SHORT, keep_units=True).run()


@pytest.fixture(scope="module")
def runs():
    return {"a": _run(), "b": _run(), "other_seed": _run(seed=2), "no_optimiser": _run(optimiser=False),
            "baseline": _run(demand="baseline")}


def _figures(r):
    return (asdict(r.tallies["red_cells"]), asdict(r.tallies["platelets"]), r.stockout_days, r.unmet_by_group,
            r.transport_km, r.moves, r.days_of_supply, r.outdates_by_month, r.totals_all,
            [(u.id, u.status, u.site_id, u.units) for u in r.ledger])


def test_one_seed_gives_the_same_year(runs):
    assert _figures(runs["a"]) == _figures(runs["b"])


def test_another_seed_gives_another_year(runs):
    assert _figures(runs["a"]) != _figures(runs["other_seed"])


@pytest.mark.parametrize("name", ["a", "no_optimiser", "baseline"])
def test_every_unit_ends_transfused_expired_discarded_or_in_stock(runs, name):
    r = runs[name]
    assert r.ledger, "the run made bags"
    statuses = {u.status for u in r.ledger}
    assert statuses <= set(END_STATUSES) | set(STOCK_STATUSES)
    assert {"transfused", "expired", "available"} <= statuses
    for component in SIM_COMPONENTS:
        bags = [u for u in r.ledger if u.component == component]
        totals = r.totals_all[component]
        by_status = {s: sum(u.units for u in bags if u.status == s) for s in (*END_STATUSES, *STOCK_STATUSES)}
        assert totals["created"] == pytest.approx(sum(u.units for u in bags))
        for status in END_STATUSES:
            assert totals[status] == pytest.approx(by_status[status])
        assert totals["in_stock"] == pytest.approx(sum(by_status[s] for s in STOCK_STATUSES))
        assert totals["created"] == pytest.approx(sum(totals[s] for s in (*END_STATUSES, "in_stock")))


def test_no_bag_is_in_two_places_and_nothing_transfused_had_expired(runs):
    r = runs["a"]
    sim_units = [u for u in r.ledger if u.status in STOCK_STATUSES]
    assert len({u.id for u in sim_units}) == len(sim_units)
    for u in r.ledger:
        if u.status == "transfused":
            assert u.issued_at < u.expires_at                 # FEFO never hands out an expired bag
        if u.status == "expired":
            assert u.updated_at >= u.expires_at


def test_the_optimiser_moves_bags_and_without_it_nothing_moves(runs):
    assert runs["a"].moves > 0 and runs["a"].transport_km > 0
    assert runs["no_optimiser"].moves == 0 and runs["no_optimiser"].transport_km == 0
    assert all(u.transfer_id is None for u in runs["no_optimiser"].ledger)


def test_backtest_demand_is_what_the_hospitals_ordered_before_any_remainder(runs):
    """demand_series replays the order streams: over the reported days it is at most what was ordered (orders
    add the whole-bag remainders carried from the day before) and close to it."""
    sim = Simulation(n_sites=6, seed=1, params=SHORT)
    demand = sim.demand_series()
    assert demand.shape == (90, 6 * 16)
    for n, component in enumerate(SIM_COMPONENTS):
        cols = [c for c in range(demand.shape[1]) if sim.K[c % 16][0] == component]
        asked = demand[60:, cols].sum()
        assert asked <= runs["a"].tallies[component].wanted + 1e-6
        assert asked >= 0.8 * runs["a"].tallies[component].wanted


def test_cli_prints_the_figures(capsys):
    main(["--days", "3", "--sites", "3", "--seed", "4", "--no-optimiser"])
    out = capsys.readouterr().out
    assert '"red_cells_outdate_percent"' in out and '"seed": 4' in out


def test_cli_refuses_a_region_of_one(capsys):
    with pytest.raises(SystemExit):
        main(["--sites", "1"])


def test_call_up_numbers_are_the_donor_services():
    from donor.policy import BOOKING, REGION_RULES
    params = SimulationParams()
    assert params.call_up_cooldown_days == REGION_RULES["SH"].shortage_call_cooldown_days
    assert params.call_up_days == BOOKING.call_up_days

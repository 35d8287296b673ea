"""A year of the region, day by day, in memory, on the inventory's own rules.

What is the inventory's code, called as it is (nothing here restates a rule):
- bags and their shelf lives: model.products_of (policy.COMPONENTS, DONATION_YIELDS), Unit.release / discard /
  expire / is_expired;
- orders: allocation.pick_fefo (whole bags first-expiring-first, never past the U wanted), model.routine_cut by
  the warning level, policy.substitutes for emergencies;
- warning levels: model.days_of_supply, raw_level, sustained_level under policy.stock_policy (Shanghai's);
- demand: services/stock.moving_average (the service's 28-day rule) or forecast.window_rates;
- the region's plan: rebalancing.solve on the day's shelves, applied as transfers of the bags pick_fefo names;
- call-ups: the donor service's trigger (a level rising to yellow or worse, model.severity) with its cooldown
  and booking days (SimulationParams mirrors donor.policy: a service imports no other service, and
  tests/inventory/simulation checks the two agree), answered by donors at the rate SimulationParams says.

What is the simulator's (assumptions, region.py): hospitals' demand, the donors, test failures, transit times.

A day (Asia/Shanghai): 08:00 transfers arrive, yesterday's donations are released or discarded, expired bags
expire; 12:00 hospitals order and transfuse what they get; 14:00 donations (quarantined); 18:00 the plan
(with the optimiser) is computed and dispatched; the day's levels and days of supply are recorded.

Randomness: one stream per (seed, day, site, purpose), so two runs of one seed differ only by what their
policy changes (common random numbers: the same patients and donors arrive with and without the optimiser).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone

import numpy as np

from hemolink.calendar import SHANGHAI

from .. import forecast as fc
from ..allocation import pick_fefo
from ..model import EPS, Unit, days_of_supply, products_of, raw_level, routine_cut, severity, sustained_level
from ..policy import FORECAST, REBALANCING, stock_policy, substitutes
from ..rebalancing import Problem, solve
from ..services.stock import moving_average
from .region import SIM_COMPONENTS, SimulationParams, Station, commodities, group_share, stations

STOCK_STATUSES = ("available", "quarantined", "in_transit")
END_STATUSES = ("transfused", "expired", "discarded")
_PURPOSE = {"demand": 1, "donors": 2, "tests": 3, "volumes": 4}


@dataclass
class Tally:
    """Per component: U by what became of them (the reported year only, except `created_all`)."""
    created: float = 0.0
    transfused: float = 0.0
    expired: float = 0.0
    discarded: float = 0.0
    wanted: float = 0.0     # U ordered (a remainder ordered again counts on each day it is asked for)
    cut: float = 0.0        # U the routine cut of a warning level refused (deferred care: counted as unmet)
    unmet: float = 0.0      # U not given: the cuts, and what was missing with the shelf empty


@dataclass
class RunResult:
    seed: int
    optimiser: bool
    demand: str
    n_sites: int
    days: int
    start: date
    tallies: dict                       # component -> Tally (reported year)
    stockout_days: dict                 # commodity -> site-days with an order line left short by stock
    unmet_by_group: dict                # commodity -> U wanted and not given (cuts included)
    transport_km: float
    unit_km: float
    moves: int
    days_of_supply: dict                # commodity -> region's days of supply per reported day
    outdates_by_month: dict             # component -> U expired per month (1..12)
    stock_at_end: dict                  # component -> U in stock at the end
    seconds: float                      # wall clock
    solve_seconds: float                # of which in rebalancing.solve
    ledger: list | None = None          # every Unit, when asked for (tests: conservation)
    totals_all: dict = field(default_factory=dict)   # component -> {status: U} over warm-up and year
    cpu_seconds: float = 0.0            # this process's CPU time (the machine may be shared)

    def outdate_percent(self, component: str) -> float:
        t = self.tallies[component]
        used = t.transfused + t.expired
        return 100.0 * t.expired / used if used > EPS else 0.0


class Simulation:
    def __init__(self, *, n_sites: int = 40, seed: int = 1, optimiser: bool = True, demand: str = "forecast",
                 params: SimulationParams | None = None, keep_units: bool = False):
        if demand not in ("forecast", "baseline"):
            raise ValueError("demand is 'forecast' or 'baseline'")
        self.p = params or SimulationParams()
        self.seed, self.optimiser, self.demand_mode, self.keep_units = seed, optimiser, demand, keep_units
        self.sites: list[Station] = stations(n_sites, seed, self.p)
        self.K = commodities()
        self.kindex = {k: n for n, k in enumerate(self.K)}
        self.first_day = self.p.start - timedelta(days=self.p.warmup_days)
        self.total_days = self.p.warmup_days + self.p.days
        last = self.p.start + timedelta(days=self.p.days + FORECAST.horizon_days)
        self.calendar = fc.china_calendar(self.first_day.year, last.year)
        self.policy = stock_policy("SH", self.p.start)
        n, m = len(self.sites), len(self.K)
        # The hospitals' mean demand per site × commodity (U/day), before weekday, holiday, season and trend.
        self.mean = np.array([[site.demand[c] * group_share(abo, rhd) for c, abo, rhd in self.K] for site in self.sites])
        self.baseline = self.mean.copy()          # the configured baseline the service starts from
        self.shelves: list[list[list[Unit]]] = [[[] for _ in range(m)] for _ in range(n)]
        self.quarantine: list[tuple[int, Unit]] = []
        self.transit: list[tuple[int, int, Unit]] = []     # (arrival day, to site, bag)
        self.issues = np.zeros((self.total_days, n * m))
        self.first_issue = np.full(n * m, 10 ** 9)
        self.since = [[{} for _ in range(m)] for _ in range(n)]
        self.level = [["green"] * m for _ in range(n)]
        self.last_call = np.full((n, m), -10 ** 9)
        self.call_until = np.full((n, m), -1)
        self.call_rate = np.zeros((n, m))
        self.carry = np.zeros((n, m))             # U a hospital orders again tomorrow (whole-bag remainder)
        self.ledger: list[Unit] = []
        self.all_totals = {c: {s: 0.0 for s in ("created", *END_STATUSES)} for c in SIM_COMPONENTS}
        self.tallies = {c: Tally() for c in SIM_COMPONENTS}
        self.stockout = np.zeros((n, m), dtype=int)
        self.unmet = np.zeros(m)
        self.dos = np.zeros((self.p.days, m))
        self.outdates_month = {c: [0.0] * 12 for c in SIM_COMPONENTS}
        self.transport_km = self.unit_km = 0.0
        self.moves = 0
        self.solve_seconds = 0.0
        self._next_id = 0

    # ---- time and randomness ------------------------------------------------------------------------------
    def day_of(self, d: int) -> date:
        return self.first_day + timedelta(days=d)

    def at(self, d: int, hour: int) -> datetime:
        return datetime.combine(self.day_of(d), clock(hour), SHANGHAI).astimezone(timezone.utc)

    def rng(self, d: int, site: int, purpose: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, d, site + 1, _PURPOSE[purpose]])

    def reported(self, d: int) -> bool:
        return d >= self.p.warmup_days

    # ---- the bags -----------------------------------------------------------------------------------------
    def _end(self, unit: Unit, status: str, d: int) -> None:
        self.all_totals[unit.component][status] += unit.units
        if self.reported(d):
            setattr(self.tallies[unit.component], status, getattr(self.tallies[unit.component], status) + unit.units)
            if status == "expired":
                self.outdates_month[unit.component][self.day_of(d).month - 1] += unit.units

    def _morning(self, d: int) -> None:
        now = self.at(d, 8)
        arriving = [t for t in self.transit if t[0] <= d]
        self.transit = [t for t in self.transit if t[0] > d]
        for _, site, unit in arriving:
            self._arrive(site, unit, now)
        rng = self.rng(d, -1, "tests")
        for site, unit in self.quarantine:
            if rng.random() < self.p.test_failure_p:
                unit.discard("alt", now)            # a non-infectious failure (policy.TEST_FAILURE_REASONS)
                self._end(unit, "discarded", d)
            else:
                unit.release(now)
                if unit.status == "expired":
                    self._end(unit, "expired", d)
                else:
                    self.shelves[site][self.kindex[(unit.component, unit.abo, unit.rhd)]].append(unit)
        self.quarantine = []
        for site_shelves in self.shelves:
            for k, shelf in enumerate(site_shelves):
                if shelf and shelf[0].is_expired(now):
                    keep = []
                    for unit in shelf:
                        if unit.is_expired(now):
                            unit.expire(now)
                            self._end(unit, "expired", d)
                        else:
                            keep.append(unit)
                    site_shelves[k] = keep

    def _arrive(self, site: int, unit: Unit, now: datetime) -> None:
        unit.site_id, unit.transfer_id = self.sites[site].id, None
        if unit.is_expired(now):
            unit.expire(now)
            self._end(unit, "expired", self._day_index(now))
            return
        unit.status = "available"
        shelf = self.shelves[site][self.kindex[(unit.component, unit.abo, unit.rhd)]]
        shelf.append(unit)
        shelf.sort(key=lambda u: (u.expires_at, u.id))      # first-expiring-first, as the shelves are read

    def _day_index(self, now: datetime) -> int:
        return (now.astimezone(SHANGHAI).date() - self.first_day).days

    # ---- demand estimate, levels, call-ups ----------------------------------------------------------------
    def estimates(self, d: int) -> np.ndarray:
        """U/day per site × commodity as the service would judge them on day d (from issues before it)."""
        n, m = len(self.sites), len(self.K)
        est = self.baseline.reshape(-1).copy()
        window = self.policy.history_days
        if d >= window:
            recent = self.issues[d - window:d].sum(axis=0)
            for col in range(n * m):
                average = moving_average(self.first_issue[col], recent[col], d - window, window)
                if average is not None:
                    est[col] = average
        if self.demand_mode == "forecast" and d >= FORECAST.min_history_days:
            lo = max(0, d - FORECAST.history_days)
            rates = fc.window_rates(self.issues[lo:d], self.day_of(lo), self.first_issue - lo, FORECAST, self.calendar)
            known = ~np.isnan(rates)
            est[known] = rates[known]
        return est.reshape(n, m)

    def _levels(self, d: int, est: np.ndarray) -> None:
        """The day's warning levels (08:00, after the morning's stock); a level rising to yellow or worse calls
        that group's donors, once per donor cooldown (donor service: call_up_for_shortage)."""
        now = self.at(d, 8)
        cooldown = self.p.call_up_cooldown_days
        for s in range(len(self.sites)):
            for k, (component, _, _) in enumerate(self.K):
                held = sum(u.units for u in self.shelves[s][k])
                raw = raw_level(days_of_supply(held, est[s, k]), component, self.policy)
                level, self.since[s][k] = sustained_level(raw, self.since[s][k], now, self.policy.sustain_days,
                                                          self.policy.escalation_sustain_days)
                previous = self.level[s][k]
                if severity(level) > severity(previous) and d - self.last_call[s, k] >= cooldown:
                    self.last_call[s, k] = d
                    self.call_until[s, k] = d + self.p.call_up_days - 1
                    self.call_rate[s, k] = self.p.call_up_yield_days * est[s, k] / self.p.call_up_days
                self.level[s][k] = level

    # ---- hospitals ----------------------------------------------------------------------------------------
    def demand_factor(self, day: date, d: int) -> float:
        if day in self.calendar.holidays:
            f = self.p.demand_holiday
        elif day in self.calendar.makeup_workdays:
            f = sum(self.p.demand_weekday[:5]) / 5
        else:
            f = self.p.demand_weekday[day.weekday()]
        season = 1 + self.p.demand_annual_amplitude * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
        trend = 1 + self.p.trend_per_year * (d - self.p.warmup_days) / 365
        return f * season * trend

    def demand_series(self) -> np.ndarray:
        """The patients' U per day × (site, commodity), drawn exactly as _orders draws them (same streams),
        without running the inventory: what the hospitals really needed, for the forecast's backtest."""
        n, m = len(self.sites), len(self.K)
        out = np.zeros((self.total_days, n * m))
        sizes, size_p = np.array(self.p.order_sizes_u), np.array(self.p.order_size_p)
        mean_size = float(sizes @ size_p)
        for d in range(self.total_days):
            factor = self.demand_factor(self.day_of(d), d)
            for s in range(n):
                rng = self.rng(d, s, "demand")
                for k, (component, _, _) in enumerate(self.K):
                    per_order = 1.0 if component == "platelets" else mean_size
                    patients = rng.poisson(self.mean[s, k] * factor / per_order)
                    amounts = np.ones(patients) if component == "platelets" else rng.choice(sizes, size=patients, p=size_p)
                    rng.random(patients)
                    out[d, s * m + k] = float(amounts.sum())
        return out

    def _take(self, s: int, k: int, wanted: float, d: int, now: datetime) -> float:
        shelf = self.shelves[s][k]
        picked = pick_fefo([u.units for u in shelf], wanted)
        if not picked:
            return 0.0
        got = 0.0
        keep = []
        for n, unit in enumerate(shelf):
            if n in picked:
                unit.status, unit.issued_from, unit.issued_at = "transfused", unit.site_id, now
                got += unit.units
                self._end(unit, "transfused", d)
            else:
                keep.append(unit)
        self.shelves[s][k] = keep
        col = s * len(self.K) + k
        self.issues[d, col] += got
        self.first_issue[col] = min(self.first_issue[col], d)
        return got

    def _orders(self, d: int) -> None:
        """Each hospital orders the day's patients' U per group from its station: one routine line (cut by the
        station's warning level) and one emergency line (compatible groups after its own). What whole bags
        cannot make up while bags are still on the shelf (a 2 U bag for the last 1 U) is ordered again
        tomorrow; what is missing with the shelf empty is unmet, and that site × group has a stock-out day."""
        now = self.at(d, 12)
        day = self.day_of(d)
        factor = self.demand_factor(day, d)
        sizes, size_p = np.array(self.p.order_sizes_u), np.array(self.p.order_size_p)
        mean_size = float(sizes @ size_p)
        for s in range(len(self.sites)):
            rng = self.rng(d, s, "demand")
            for k, (component, abo, rhd) in enumerate(self.K):
                per_order = 1.0 if component == "platelets" else mean_size
                patients = rng.poisson(self.mean[s, k] * factor / per_order)
                amounts = np.ones(patients) if component == "platelets" else rng.choice(sizes, size=patients, p=size_p)
                urgent = rng.random(patients) < self.p.emergency_share
                lines = (("routine", float(amounts[~urgent].sum()) + self.carry[s, k]),
                         ("emergency", float(amounts[urgent].sum())))
                self.carry[s, k] = 0.0
                for priority, wanted in lines:
                    if wanted <= EPS:
                        continue
                    cut = routine_cut(self.level[s][k], self.policy) if priority == "routine" else 0.0
                    allowed = round(wanted * (1 - cut), 4)
                    got = self._take(s, k, allowed, d, now)
                    if priority == "emergency" and got < allowed - EPS:
                        for sub_abo, sub_rhd in substitutes(component, abo, rhd):
                            got += self._take(s, self.kindex[(component, sub_abo, sub_rhd)], allowed - got, d, now)
                            if got >= allowed - EPS:
                                break
                    left = max(0.0, allowed - got)
                    short = left > EPS and not self.shelves[s][k]
                    if left > EPS and not short:
                        self.carry[s, k] += left          # bags too big for the rest: tomorrow's order
                    if self.reported(d):
                        t = self.tallies[component]
                        t.wanted += wanted
                        t.cut += wanted - allowed
                        lost = (wanted - allowed) + (left if short else 0.0)
                        t.unmet += lost
                        self.unmet[k] += lost
                        if short:
                            self._short_today.add((s, k))

    # ---- donors -------------------------------------------------------------------------------------------
    def donor_factor(self, day: date) -> float:
        if day in self.calendar.holidays:
            spring = day.month in (1, 2) and day != date(day.year, 1, 1)
            f = self.p.donor_spring_festival if spring else self.p.donor_holiday
        elif day in self.calendar.makeup_workdays:
            f = self.p.donor_weekday[0]
        else:
            f = self.p.donor_weekday[day.weekday()]
        return f * (self.p.donor_summer if day.month in (7, 8) else 1.0)

    def _new_unit(self, s: int, product, abo: str, rhd: str, collected: datetime) -> Unit:
        self._next_id += 1
        unit = Unit(id=f"U{self._next_id:08d}", din=f"D{self._next_id:08d}", component=product.component, abo=abo,
                    rhd=rhd, units=product.units, volume_ml=product.volume_ml, status="quarantined",
                    site_id=self.sites[s].id, collected_at=collected, expires_at=product.expires_at,
                    bag_no=product.bag, updated_at=collected)
        self.all_totals[unit.component]["created"] += unit.units
        if self.keep_units:
            self.ledger.append(unit)
        return unit

    def _collections(self, d: int, est: np.ndarray) -> None:
        now = self.at(d, 14)
        day = self.day_of(d)
        factor = self.donor_factor(day)
        ml, ml_p = np.array(self.p.whole_blood_ml), np.array(self.p.whole_blood_ml_p)
        rbc_per_donation = float(ml @ ml_p) / 200            # U of red cells from a donation (DONATION_YIELDS)
        pending = self._pending()
        for s in range(len(self.sites)):
            rng = self.rng(d, s, "donors")
            vol_rng = self.rng(d, s, "volumes")
            for k, (component, abo, rhd) in enumerate(self.K):
                per_donor = rbc_per_donation if component == "red_cells" else 1 + self.p.platelet_two_doses_p
                potential = rng.poisson(self.p.donor_potential[component] * self.mean[s, k] * factor / per_donor)
                walk_ins = rng.binomial(potential, self.p.walk_in_share) if component == "red_cells" else 0
                held = sum(u.units for u in self.shelves[s][k]) + pending[s, k]
                gap = self.p.target_days[component] * est[s, k] - held - walk_ins * per_donor
                booked = min(potential - walk_ins, max(0, math.ceil(gap / per_donor)))
                called = rng.poisson(self.call_rate[s, k] / per_donor) if d <= self.call_until[s, k] else 0
                for _ in range(walk_ins + booked + called):
                    if component == "red_cells":
                        volume = int(vol_rng.choice(ml, p=ml_p))
                        products = products_of("whole_blood", volume, None, now)
                    else:
                        products = products_of("platelets", None, 2 if vol_rng.random() < self.p.platelet_two_doses_p else 1, now)
                    for product in products:
                        if product.component not in SIM_COMPONENTS:
                            continue                  # plasma goes to the frozen store: not simulated
                        unit = self._new_unit(s, product, abo, rhd, now)
                        if self.reported(d):
                            self.tallies[component].created += unit.units
                        self.quarantine.append((s, unit))

    def _pending(self) -> np.ndarray:
        """U per site × commodity released or arriving by tomorrow morning (quarantine, transfers)."""
        out = np.zeros((len(self.sites), len(self.K)))
        for s, unit in self.quarantine:
            out[s, self.kindex[(unit.component, unit.abo, unit.rhd)]] += unit.units
        for _, s, unit in self.transit:
            out[s, self.kindex[(unit.component, unit.abo, unit.rhd)]] += unit.units
        return out

    # ---- the region's plan --------------------------------------------------------------------------------
    def _plan(self, d: int, est: np.ndarray) -> None:
        now = self.at(d, 18)
        points = [s.point for s in self.sites]
        index = {s.id: n for n, s in enumerate(self.sites)}
        for component in SIM_COMPONENTS:
            ks = [k for k, c in enumerate(self.K) if c[0] == component]
            demand, stock, incoming = {}, {}, {}
            for k in ks:
                commodity = self.K[k]
                demand[commodity] = {self.sites[s].id: float(est[s, k]) for s in range(len(self.sites))}
                stock[commodity] = {self.sites[s].id: [(u.units, _days_left(u, now)) for u in self.shelves[s][k]]
                                    for s in range(len(self.sites)) if self.shelves[s][k]}
            # What reaches a site by tomorrow morning counts as its holding, as the service counts open transfers.
            for s, unit in self.quarantine:
                if unit.component == component:
                    incoming.setdefault((unit.component, unit.abo, unit.rhd), {}).setdefault(
                        self.sites[s].id, []).append((unit.units, _days_left(unit, now)))
            for _, s, unit in self.transit:
                if unit.component == component:
                    incoming.setdefault((unit.component, unit.abo, unit.rhd), {}).setdefault(
                        self.sites[s].id, []).append((unit.units, _days_left(unit, now)))
            problem = Problem(sites=points, target_days=self.p.target_days[component], demand=demand, stock=stock,
                              max_distance_km=REBALANCING.max_distance_km, incoming=incoming)
            started = time.perf_counter()
            result = solve(problem)
            self.solve_seconds += time.perf_counter() - started
            for move in result.moves:
                self._dispatch(index[move.from_site], index[move.to_site], self.kindex[
                    (move.component, move.abo, move.rhd)], move.units, move.distance_km, d, now)

    def _dispatch(self, src: int, dst: int, k: int, units: float, km: float, d: int, now: datetime) -> None:
        shelf = self.shelves[src][k]
        picked = pick_fefo([u.units for u in shelf], units)       # what dispatch takes (allocation.take_bags)
        if not picked:
            return
        self.shelves[src][k] = [u for n, u in enumerate(shelf) if n not in picked]
        sent = [u for n, u in enumerate(shelf) if n in picked]
        if self.reported(d):
            self.moves += 1
            self.transport_km += km
            self.unit_km += km * sum(u.units for u in sent)
        for unit in sent:
            unit.status, unit.transfer_id = "in_transit", f"T{d}-{src}-{dst}"
            if km <= self.p.same_day_km:
                self._arrive(dst, unit, now)
            else:
                self.transit.append((d + 1, dst, unit))

    # ---- the run ------------------------------------------------------------------------------------------
    def _record(self, d: int, est: np.ndarray) -> None:
        if not self.reported(d):
            return
        for s, k in self._short_today:
            self.stockout[s, k] += 1
        row = d - self.p.warmup_days
        for k in range(len(self.K)):
            held = sum(sum(u.units for u in self.shelves[s][k]) for s in range(len(self.sites)))
            need = float(est[:, k].sum())
            self.dos[row, k] = held / need if need > EPS else np.nan

    def run(self) -> RunResult:
        started, cpu = time.perf_counter(), time.process_time()
        for d in range(self.total_days):
            self._short_today: set = set()
            self._morning(d)
            est = self.estimates(d)
            self._levels(d, est)
            self._orders(d)
            self._collections(d, est)
            if self.optimiser and self.reported(d):     # the warm-up only builds issue history
                self._plan(d, est)
            self._record(d, est)
        result = self._result(time.perf_counter() - started)
        result.cpu_seconds = time.process_time() - cpu
        return result

    def stock_units(self) -> list[Unit]:
        return ([u for site in self.shelves for shelf in site for u in shelf] + [u for _, u in self.quarantine]
                + [u for _, _, u in self.transit])

    def _result(self, seconds: float) -> RunResult:
        in_stock = {c: 0.0 for c in SIM_COMPONENTS}
        for unit in self.stock_units():
            in_stock[unit.component] += unit.units
        totals = {c: dict(self.all_totals[c], in_stock=in_stock[c]) for c in SIM_COMPONENTS}
        return RunResult(
            seed=self.seed, optimiser=self.optimiser, demand=self.demand_mode, n_sites=len(self.sites),
            days=self.p.days, start=self.p.start, tallies=self.tallies,
            stockout_days={k: int(self.stockout[:, n].sum()) for n, k in enumerate(self.K)},
            unmet_by_group={k: float(self.unmet[n]) for n, k in enumerate(self.K)},
            transport_km=self.transport_km, unit_km=self.unit_km, moves=self.moves,
            days_of_supply={k: self.dos[:, n].tolist() for n, k in enumerate(self.K)},
            outdates_by_month=self.outdates_month, stock_at_end=in_stock, seconds=seconds,
            solve_seconds=self.solve_seconds, ledger=self.ledger if self.keep_units else None, totals_all=totals)


def _days_left(unit: Unit, now: datetime) -> float:
    return (unit.expires_at - now).total_seconds() / 86400


def simulate(**kwargs) -> RunResult:
    return Simulation(**kwargs).run()

"""The report: every scenario (demand baseline or forecast × with or without the optimiser) over several seeds,
the forecast's backtest, the goals, and the plots (matplotlib, only here: the services never import it)."""
from __future__ import annotations

import json
import os
import pickle
import platform
import shutil
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .. import forecast as fc
from ..policy import FORECAST, GROUPS
from .engine import RunResult, Simulation
from .region import SIM_COMPONENTS

SCENARIOS = (("baseline", False), ("baseline", True), ("forecast", False), ("forecast", True))
SCENARIO_NAMES = {("baseline", False): "28-day average, no optimiser", ("baseline", True): "28-day average + optimiser",
                  ("forecast", False): "forecast, no optimiser", ("forecast", True): "forecast + optimiser"}
GOALS = {"red_cells_outdate_percent": 0.4, "platelets_outdate_percent": 5.0, "stockout_days": 0}
COMPONENT_NAMES = {"red_cells": "red cells", "platelets": "platelets"}


def group_name(abo: str, rhd: str) -> str:
    return f"{abo}{'+' if rhd == 'pos' else '−'}"


def _run_file(runs_dir: Path, seed: int, n_sites: int, days: int, demand: str, optimiser: bool) -> Path:
    return runs_dir / f"{n_sites}x{days}-seed{seed}-{demand}-{'opt' if optimiser else 'noopt'}.pickle"


def _run(args) -> RunResult:
    """One run, kept in `runs_dir` as it ends: a report can be built from the runs done so far (--from-runs)."""
    seed, n_sites, days, demand, optimiser, runs_dir = args
    from .region import SimulationParams
    result = Simulation(n_sites=n_sites, seed=seed, optimiser=optimiser, demand=demand,
                        params=SimulationParams(days=days)).run()
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = _run_file(runs_dir, seed, n_sites, days, demand, optimiser)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(result))
    tmp.replace(path)
    return result


def run_all(seeds, n_sites: int, days: int, runs_dir: Path, scenarios=SCENARIOS, workers: int = 1) -> list[RunResult]:
    jobs = [(seed, n_sites, days, demand, opt, runs_dir) for seed in seeds for demand, opt in scenarios]
    if workers <= 1:
        return [_run(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_run, jobs))


def saved_runs(runs_dir: Path, seeds, n_sites: int, days: int) -> list[RunResult]:
    """The runs kept so far, of the seeds that have every scenario (a seed half done would bias the ranges)."""
    out = []
    for seed in seeds:
        paths = [_run_file(runs_dir, seed, n_sites, days, d, o) for d, o in SCENARIOS]
        if all(p.exists() for p in paths):
            out += [pickle.loads(p.read_bytes()) for p in paths]
    return out


# ---- the forecast's backtest ------------------------------------------------------------------------------
def backtest(seed: int, n_sites: int, step_days: int = 7) -> dict:
    """Rolling origins over the year of one seed's region: fit on the history before each origin (the
    policy's window, at least its minimum), forecast the next `horizon_days`, compare with what hospitals
    asked for. Beside it the 28-day average the service used before (a flat forecast)."""
    sim = Simulation(n_sites=n_sites, seed=seed, optimiser=False)
    y = sim.demand_series()
    horizon, window = FORECAST.horizon_days, FORECAST.history_days
    means, actuals, lows, highs, flats, component = [], [], [], [], [], []
    comp_of = np.array([sim.K[col % len(sim.K)][0] for col in range(y.shape[1])])
    for origin in range(max(FORECAST.min_history_days, sim.p.warmup_days), sim.total_days - horizon + 1, step_days):
        lo = max(0, origin - window)
        model = fc.fit(y[lo:origin], sim.day_of(lo), sim.calendar)
        days = [sim.day_of(origin + n) for n in range(horizon)]
        f = fc.predict(model, days, sim.calendar, FORECAST.interval)
        means.append(f.mean), lows.append(f.lower), highs.append(f.upper)
        actuals.append(y[origin:origin + horizon])
        flats.append(np.repeat(y[origin - 28:origin].mean(axis=0, keepdims=True), horizon, axis=0))
    mean, actual, low, high, flat = (np.concatenate(a) for a in (means, actuals, lows, highs, flats))
    out = {"origins": len(means), "horizon_days": horizon, "interval": FORECAST.interval, "by_component": {}}
    for comp in SIM_COMPONENTS:
        cols = comp_of == comp
        a, m, f_, lw, hi = actual[:, cols], mean[:, cols], flat[:, cols], low[:, cols], high[:, cols]
        busy = (a >= 1)
        # Weekly totals per site × component (all groups): what a station plans its collections on.
        n_sites_, n_groups = len(sim.sites), len(GROUPS)
        weeks = a.reshape(-1, horizon, cols.sum()).sum(axis=1)
        weeks_m = m.reshape(-1, horizon, cols.sum()).sum(axis=1)
        weeks_f = f_.reshape(-1, horizon, cols.sum()).sum(axis=1)
        site_w = weeks.reshape(len(weeks), n_sites_, n_groups).sum(axis=2)
        site_m = weeks_m.reshape(len(weeks), n_sites_, n_groups).sum(axis=2)
        site_f = weeks_f.reshape(len(weeks), n_sites_, n_groups).sum(axis=2)
        ok = site_w > 0
        big = a.mean(axis=0) >= 2                       # series of at least 2 U a day
        out["by_component"][comp] = {
            "mape_daily_percent": _mape(a[busy], m[busy]),
            "mape_daily_28day_average_percent": _mape(a[busy], f_[busy]),
            "mape_weekly_site_percent": _mape(site_w[ok], site_m[ok]),
            "mape_weekly_site_28day_average_percent": _mape(site_w[ok], site_f[ok]),
            "coverage_percent": round(100 * float(((a >= lw) & (a <= hi)).mean()), 1),
            "coverage_series_2u_percent": round(100 * float(((a >= lw) & (a <= hi))[:, big].mean()), 1)
            if big.any() else None,
        }
    return out


def _percent(value) -> str:
    return "— (none that large)" if value is None else f"{value} %"


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    return round(100 * float(np.mean(np.abs(predicted - actual) / actual)), 1) if actual.size else float("nan")


# ---- figures over seeds -----------------------------------------------------------------------------------
def _range(values) -> dict:
    values = [float(v) for v in values]
    return {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}


def summarise(results: list[RunResult]) -> dict:
    out = {}
    for demand, opt in SCENARIOS:
        runs = [r for r in results if r.demand == demand and r.optimiser == opt]
        if not runs:
            continue
        s = {"seeds": [r.seed for r in runs]}
        for comp in SIM_COMPONENTS:
            s[f"{comp}_outdate_percent"] = _range(r.outdate_percent(comp) for r in runs)
            s[f"{comp}_stockout_days"] = _range(sum(v for k, v in r.stockout_days.items() if k[0] == comp) for r in runs)
            s[f"{comp}_unmet_u"] = _range(r.tallies[comp].unmet for r in runs)
            s[f"{comp}_unmet_percent"] = _range(100 * r.tallies[comp].unmet / max(r.tallies[comp].wanted, 1e-9) for r in runs)
            s[f"{comp}_cut_u"] = _range(r.tallies[comp].cut for r in runs)
            s[f"{comp}_stockout_days_by_group"] = {
                group_name(abo, rhd): _range(r.stockout_days[(comp, abo, rhd)] for r in runs) for abo, rhd in GROUPS}
            s[f"{comp}_unmet_by_group"] = {
                group_name(abo, rhd): _range(r.unmet_by_group[(comp, abo, rhd)] for r in runs) for abo, rhd in GROUPS}
        s["transport_km"] = _range(r.transport_km for r in runs)
        s["unit_km"] = _range(r.unit_km for r in runs)
        s["moves"] = _range(r.moves for r in runs)
        s["seconds"] = _range(r.seconds for r in runs)
        s["cpu_seconds"] = _range(r.cpu_seconds for r in runs)
        s["solve_seconds"] = _range(r.solve_seconds for r in runs)
        out[SCENARIO_NAMES[(demand, opt)]] = s
    return out


def goals(summary: dict) -> list[dict]:
    """Each goal against the best scenario (forecast + optimiser), met or not, with the figure."""
    best = summary.get(SCENARIO_NAMES[("forecast", True)]) or next(iter(summary.values()))
    rows = []
    for comp, goal in (("red_cells", GOALS["red_cells_outdate_percent"]), ("platelets", GOALS["platelets_outdate_percent"])):
        got = best[f"{comp}_outdate_percent"]
        rows.append({"goal": f"{COMPONENT_NAMES[comp]} outdates ≤ {goal} %", "value": got, "met": got["max"] <= goal})
    for comp in SIM_COMPONENTS:
        got = best[f"{comp}_stockout_days"]
        rows.append({"goal": f"zero {COMPONENT_NAMES[comp]} stock-out days", "value": got, "met": got["max"] == 0})
    return rows


# ---- plots --------------------------------------------------------------------------------------------------
def plots(results: list[RunResult], out_dir: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    first = min(r.seed for r in results)
    shown = [r for r in results if r.seed == first and r.demand == "forecast"] or [r for r in results if r.seed == first]
    best = next((r for r in shown if r.optimiser), shown[0])
    days = [best.start + timedelta(days=n) for n in range(best.days)]
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    from .region import SimulationParams
    targets = SimulationParams().target_days
    for ax, comp in zip(axes, SIM_COMPONENTS):
        # RhD-negative groups (0.35 % of donors) hold a few bags per station: one bag moves their days of supply
        # by weeks, so they are in the tables, not on the plot.
        for abo, rhd in GROUPS:
            if rhd == "pos":
                ax.plot(days, best.days_of_supply[(comp, abo, rhd)], label=group_name(abo, rhd), linewidth=1)
        ax.axhline(targets[comp], color="black", linestyle="--", linewidth=0.8, label="target")
        ax.set_ylabel(f"{COMPONENT_NAMES[comp]}: days of supply")
        ax.set_ylim(0, targets[comp] * 2.5)
        ax.grid(alpha=0.3)
    axes[0].legend(ncol=5, fontsize=8, loc="upper center")
    axes[0].set_title(f"Region's days of supply on the shelves at 18:00 per RhD+ group, {best.n_sites} stations, "
                      f"seed {best.seed}, {SCENARIO_NAMES[(best.demand, best.optimiser)]}", fontsize=10)
    fig.tight_layout()
    path = out_dir / "days_of_supply.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    paths.append(path)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    months = np.arange(1, 13)
    present = [sc for sc in SCENARIOS if any(r.demand == sc[0] and r.optimiser == sc[1] for r in results)]
    width = 0.8 / max(len(present), 1)
    for ax, comp in zip(axes, SIM_COMPONENTS):
        for n, (demand, opt) in enumerate(present):
            runs = [r for r in results if r.demand == demand and r.optimiser == opt]
            mean = np.mean([r.outdates_by_month[comp] for r in runs], axis=0)
            ax.bar(months + (n - (len(present) - 1) / 2) * width, mean, width, label=SCENARIO_NAMES[(demand, opt)])
        ax.set_title(f"{COMPONENT_NAMES[comp]}: U outdated per month (mean over seeds)")
        ax.set_xticks(months)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    path = out_dir / "outdates_by_month.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    paths.append(path)
    return paths


# ---- the text ---------------------------------------------------------------------------------------------
def _fmt(r: dict, digits: int = 2) -> str:
    if r["min"] == r["max"]:
        return f"{r['mean']:.{digits}f}"
    return f"{r['mean']:.{digits}f} ({r['min']:.{digits}f}–{r['max']:.{digits}f})"


def markdown(summary: dict, goal_rows: list[dict], bt: dict, meta: dict, images: list[str]) -> str:
    names = list(summary)
    lines = [f"Run of {meta['when']}: `python -m inventory.simulate --report --days {meta['days']} --sites "
             f"{meta['sites']} --seeds {' '.join(map(str, meta['seeds']))}`; {meta['machine']}"
             + (f"; {meta['note']}" if meta.get("note") else "") + ".",
             "", "Figures are the mean over the seeds with the range (min–max) in brackets.", "",
             "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    rows = [("red-cell outdates %", "red_cells_outdate_percent", 2), ("platelet outdates %", "platelets_outdate_percent", 2),
            ("red-cell stock-out days (site × group)", "red_cells_stockout_days", 0),
            ("platelet stock-out days (site × group)", "platelets_stockout_days", 0),
            ("red cells unmet U", "red_cells_unmet_u", 0), ("of which cut by warning level U", "red_cells_cut_u", 0),
            ("red cells unmet % of ordered", "red_cells_unmet_percent", 2),
            ("platelets unmet doses", "platelets_unmet_u", 0), ("of which cut by warning level", "platelets_cut_u", 0),
            ("platelets unmet % of ordered", "platelets_unmet_percent", 2),
            ("transport km (one trip per move)", "transport_km", 0), ("U·km moved", "unit_km", 0),
            ("moves", "moves", 0), ("run time s (wall)", "seconds", 1), ("run time s (CPU)", "cpu_seconds", 1),
            ("of which optimiser s (wall)", "solve_seconds", 1)]
    for label, key, digits in rows:
        lines.append(f"| {label} | " + " | ".join(_fmt(summary[n][key], digits) for n in names) + " |")
    for comp in SIM_COMPONENTS:
        lines += ["", f"Stock-out days and unmet U per group, {COMPONENT_NAMES[comp]}:", "",
                  "| group | " + " | ".join(f"{n}: days / U" for n in names) + " |", "|---|" + "---|" * len(names)]
        for abo, rhd in GROUPS:
            g = group_name(abo, rhd)
            lines.append(f"| {g} | " + " | ".join(
                f"{_fmt(summary[n][f'{comp}_stockout_days_by_group'][g], 0)} / {_fmt(summary[n][f'{comp}_unmet_by_group'][g], 0)}"
                for n in names) + " |")
    lines += ["", "Goals (forecast + optimiser, every seed):", ""]
    for g in goal_rows:
        lines.append(f"- {g['goal']}: {'met' if g['met'] else 'not met'} ({_fmt(g['value'])})")
    lines += ["", f"Forecast backtest (seed {meta['seeds'][0]}, {bt['origins']} weekly origins over the year, "
              f"{bt['horizon_days']}-day horizon, {int(bt['interval'] * 100)} % intervals; actuals are what the "
              "hospitals asked for):", "",
              "| | daily MAPE, site × group (days ≥ 1 U) | same, 28-day average | weekly MAPE, site | same, 28-day average "
              "| interval coverage | coverage, series ≥ 2 U/day |", "|---|---|---|---|---|---|---|"]
    for comp, b in bt["by_component"].items():
        lines.append(f"| {COMPONENT_NAMES[comp]} | {b['mape_daily_percent']} % | {b['mape_daily_28day_average_percent']} % "
                     f"| {b['mape_weekly_site_percent']} % | {b['mape_weekly_site_28day_average_percent']} % "
                     f"| {b['coverage_percent']} % | {_percent(b['coverage_series_2u_percent'])} |")
    lines += [""] + [f"![{Path(i).stem}]({i})" for i in images]
    return "\n".join(lines) + "\n"


def build(*, seeds, n_sites: int, days: int, out_dir: Path, workers: int = 1, docs_dir: Path | None = None,
          from_runs: bool = False) -> dict:
    started = time.perf_counter()
    runs_dir = out_dir / "runs"
    if from_runs:
        results = saved_runs(runs_dir, seeds, n_sites, days)
        if not results:
            raise SystemExit(f"no seed has every scenario in {runs_dir}")
        seeds = sorted({r.seed for r in results})
    else:
        results = run_all(seeds, n_sites, days, runs_dir, workers=workers)
    summary = summarise(results)
    goal_rows = goals(summary)
    bt = backtest(seeds[0], n_sites)
    pngs = plots(results, out_dir)
    meta = {"when": date.today().isoformat(), "days": days, "sites": n_sites, "seeds": list(seeds),
            "machine": f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs "
                       f"(load average {os.getloadavg()[0]:.1f} at the end)",
            "total_seconds": round(time.perf_counter() - started, 1)}
    report = {"meta": meta, "summary": summary, "goals": goal_rows, "backtest": bt}
    if from_runs:
        meta["total_seconds"] = round(sum(r.seconds for r in results), 1)
        meta["note"] = "built from the kept runs (--from-runs)"
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    (out_dir / "report.md").write_text(markdown(summary, goal_rows, bt, meta, [p.name for p in pngs]))
    if docs_dir is not None:
        images = docs_dir / "images" / "simulation"
        images.mkdir(parents=True, exist_ok=True)
        for p in pngs:
            shutil.copy(p, images / p.name)
        text = markdown(summary, goal_rows, bt, meta, [f"images/simulation/{p.name}" for p in pngs])
        doc = docs_dir / "simulation.md"
        current = doc.read_text() if doc.exists() else f"# Simulation\n\n{BEGIN}\n{END}\n"
        head, rest = current.split(BEGIN, 1)
        doc.write_text(f"{head}{BEGIN}\n{text}{END}{rest.split(END, 1)[1]}")
    return report


BEGIN, END = "<!-- report: written by `make simulate` -->", "<!-- /report -->"

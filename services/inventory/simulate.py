"""`python -m inventory.simulate`: a year of the synthetic region on the inventory's rules (simulation/).

One run:      python -m inventory.simulate --days 365 --sites 40 --seed 1 [--no-optimiser] [--demand baseline]
The report:   python -m inventory.simulate --report --seeds 1 2 3 4 5 [--docs docs]   (make simulate)
Outputs go to var/simulation/ (report.md, report.json, PNGs); --docs also rewrites docs/simulation.md's
report section and copies the PNGs next to it (images/simulation/ of the docs folder).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .simulation.engine import Simulation
from .simulation.region import SIM_COMPONENTS, SimulationParams


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m inventory.simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--demand", choices=("forecast", "baseline"), default="forecast")
    parser.add_argument("--no-optimiser", action="store_true")
    parser.add_argument("--report", action="store_true", help="every scenario over --seeds, with plots")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--workers", type=int, default=1, help="processes for the report's runs")
    parser.add_argument("--out", type=Path, default=Path("var/simulation"))
    parser.add_argument("--docs", type=Path, default=None, help="also write the report into this docs folder")
    parser.add_argument("--from-runs", action="store_true",
                        help="build the report from the runs kept in OUT/runs (the seeds with every scenario)")
    args = parser.parse_args(argv)
    if args.days < 1 or args.sites < 2:
        parser.error("--days ≥ 1 and --sites ≥ 2")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report:
        from .simulation.report import build
        report = build(seeds=args.seeds, n_sites=args.sites, days=args.days, out_dir=args.out,
                       workers=args.workers, docs_dir=args.docs, from_runs=args.from_runs)
        print((args.out / "report.md").read_text())
        print(f"total {report['meta']['total_seconds']} s; written to {args.out}/")
        return
    result = Simulation(n_sites=args.sites, seed=args.seed, optimiser=not args.no_optimiser, demand=args.demand,
                        params=SimulationParams(days=args.days)).run()
    figures = {
        "seed": result.seed, "sites": result.n_sites, "days": result.days, "demand": result.demand,
        "optimiser": result.optimiser,
        **{f"{c}_outdate_percent": round(result.outdate_percent(c), 3) for c in SIM_COMPONENTS},
        **{f"{c}_stockout_days": sum(v for k, v in result.stockout_days.items() if k[0] == c) for c in SIM_COMPONENTS},
        **{f"{c}_unmet_u": round(result.tallies[c].unmet, 1) for c in SIM_COMPONENTS},
        "transport_km": round(result.transport_km), "moves": result.moves,
        "seconds": round(result.seconds, 1), "cpu_seconds": round(result.cpu_seconds, 1),
        "solve_seconds": round(result.solve_seconds, 1),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

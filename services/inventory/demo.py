"""`make up` demo data: the reference network (reference_network.py) with baseline demand and a starting
stock, loaded through the use cases (events reach the outbox) in one transaction per place. Idempotent: a
place whose station exists is skipped whole (its sites, demand and stock were committed together)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from servicekit.auth import Principal
from servicekit.db import make_engine, make_session_factory

from . import demo_cold_chain
from . import demo_history
from . import demo_recall
from .services import sites, units
from .policy import COMPONENTS
from .reference_network import PLACES, daily_demand, hospital_id, station_id
from .unit_of_work import InventoryUnitOfWork

LOADER = Principal(sub="demo-loader", role="admin")
DAYS_HELD = (2.0, 10.0)      # each station holds between 2 and 10 days of each group: some short, some long


def _opening_stock(rng: random.Random, code: str, demand: dict, now: datetime) -> list[units.OpeningDonation]:
    """Past donations whose units are still on the shelf: 400 ml whole blood for red cells (plasma comes with
    them), apheresis platelets; collection dates spread over the shelf life, so expiry dates are spread too."""
    out = []
    for (component, abo, rhd), per_day in demand.items():
        if component not in ("red_cells", "platelets"):
            continue
        life_days = COMPONENTS[component].shelf_life.days
        bag_u = 2.0 if component == "red_cells" else 1.0
        bags = int(per_day * rng.uniform(*DAYS_HELD) / bag_u + rng.random())
        if rhd == "neg":         # rare groups: a few bags kept whatever the daily use, sometimes none
            bags = max(bags, rng.choice((0, 1, 2, 3, 4)))
        for n in range(bags):
            collected = now - timedelta(days=rng.uniform(0.2, life_days * 0.95))
            kind = dict(kind="whole_blood", volume_ml=400) if component == "red_cells" else dict(kind="platelets", doses=1)
            out.append(units.OpeningDonation(din=f"D{code}{abo}{rhd[0].upper()}{component[:2].upper()}{n:06d}"[:14],
                                             abo=abo, rhd=rhd, collected_at=collected, **kind))
    return out


def load_place(uow_factory, place: tuple, rng: random.Random, now: datetime) -> int | None:
    code, name, region, lat, lon, population = place
    station, hospital = station_id(code, region), hospital_id(code, region)
    uow = uow_factory()
    with uow:
        if uow.sites.get(station) is not None:
            return None
        sites.create_site(uow, id=station, name=f"{name}血液中心", kind="station", region=region, lat=lat, lon=lon, now=now)
        sites.create_site(uow, id=hospital, name=f"{name}人民医院", kind="hospital", region=region,
                          supplier_id=station, lat=round(lat + 0.012, 4), lon=round(lon + 0.009, 4), now=now)
        demand = daily_demand(population)
        sites.set_demand(uow, LOADER, site_id=hospital, now=now, lines=[
            dict(component=c, abo=a, rhd=r, units_per_day=v) for (c, a, r), v in sorted(demand.items())])
        loaded = units.load_opening_stock(uow, site_id=station, region=region, now=now,
                                          donations=_opening_stock(rng, code, demand, now))
        uow.commit()
        return loaded


def load(config, *, now: datetime | None = None, seed: int = 7, places: list | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    created = units_loaded = 0
    for place in places or PLACES:
        rng = random.Random(f"{seed}:{place[0]}")       # the same stock for a place whatever loads before it
        loaded = load_place(lambda: InventoryUnitOfWork(sessions), place, rng, now)
        if loaded is not None:
            created += 1
            units_loaded += loaded
    cold = demo_cold_chain.load(lambda: InventoryUnitOfWork(sessions), now)     # one excursion, one reserve (#22)
    recall_units = demo_recall.load_recall(lambda: InventoryUnitOfWork(sessions), now)   # #22: one lookback recall
    snapshots = demo_history.load(lambda: InventoryUnitOfWork(sessions), now, seed)     # #20: four weeks of history
    engine.dispose()
    return {"places_created": created, "sites_created": 2 * created, "units_created": units_loaded + recall_units,
            "cold_chain_excursions": cold["excursions"], "recalls_created": int(recall_units > 0),
            "history_rows_created": snapshots["past"]}

"""`make up` demo data for the cold chain and reserves (#22): at the Huangpu station one blood fridge whose
readings of the last hours show one excursion (45 min at 8–9 °C, against 30 min allowed), which quarantined the
bags placed in it and waits for the station's decision in the console; and a holiday reserve of O+ red cells
active from today. Through the use cases (events reach the outbox); skipped when the fridge exists."""
from __future__ import annotations

from datetime import datetime, timedelta

from servicekit.auth import Principal

from .errors import SiteNotFound
from .services import cold_chain, reserves, sites, units
from .services.reserves import today

STATION = "SH-HP-S"
FRIDGE = "1号储血冰箱（演示）"
STAFF = Principal.from_claims({"sub": "demo-loader", "role": "station", "site_id": STATION, "region": "SH"})


def load(uow_factory, now: datetime) -> dict:
    try:
        sites.get_site(uow_factory(), STATION)
    except SiteNotFound:
        return {"excursions": 0}
    if any(loc.name == FRIDGE for loc in cold_chain.list_locations(uow_factory(), site_id=STATION)):
        return {"excursions": 0}
    bags = [u.id for u in units.list_units(uow_factory(), STAFF, site_id=STATION, status="available",
                                           component="red_cells", abo="O", rhd="pos")[:4]]
    fridge = cold_chain.create_location(uow_factory(), STAFF, site_id=STATION, kind="fridge", name=FRIDGE, now=now)
    if bags:
        cold_chain.place_units(uow_factory(), STAFF, location_id=fridge.id, unit_ids=bags, now=now - timedelta(hours=6))
    start = now - timedelta(hours=4)
    temps = [4.1, 4.3, 4.0, 8.2, 8.9, 8.6, 8.4, 4.5, 4.2, 4.0, 3.9, 4.1]       # every 15 min: out 45 min
    readings = [{"location_id": fridge.id, "at": start + timedelta(minutes=15 * n), "celsius": c}
                for n, c in enumerate(temps)]
    result = cold_chain.ingest_readings(uow_factory(), STAFF, readings=readings, now=now)
    reserves.create_reserve(uow_factory(), STAFF, site_id=STATION, component="red_cells", abo="O", rhd="pos",
                            units=40, starts_on=today(now), ends_on=today(now) + timedelta(days=7),
                            reason="元旦假期用血储备（演示）", now=now)
    return {"excursions": len(result["excursions"])}

"""Inventory integration fixtures: a migrated database per test (SQLite and PostgreSQL), a small network of
sites, and helpers that put units on the shelf through the real use cases."""
import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from inventory.services import sites, units
from inventory.policy import COMPONENTS
from inventory.orm import orders, transfers, unit_movements
from inventory.orm import units as units_table
from inventory.unit_of_work import InventoryUnitOfWork
from servicekit.outbox import envelopes
from servicekit.tables import outbox
from servicekit.testing import row_counts
from tests.fixtures import service_fixtures
from tests.helpers import NETWORK, auth

_din = itertools.count(1)

STATION1 = auth("station", site_id="SH-S1", region="SH")
STATION2 = auth("station", site_id="SH-S2", region="SH")
STATION_JS = auth("station", site_id="JS-S1", region="JS")
HOSPITAL1 = auth("hospital", site_id="SH-H1", region="SH")
HOSPITAL2 = auth("hospital", site_id="SH-H2", region="SH")
ADMIN = auth("admin")


service_db, inventory_db, session_factory, uow_factory, app, client = service_fixtures("inventory", InventoryUnitOfWork)


@pytest.fixture
def immediate_levels(monkeypatch):
    """Levels at once (no consecutive-days rule), for tests about what each level does rather than when it starts."""
    from dataclasses import replace

    from inventory import policy

    monkeypatch.setitem(policy.STOCK_POLICIES, "SH", tuple(replace(p, sustain_days=0)
                                                          for p in policy.STOCK_POLICIES["SH"]))


@pytest.fixture
def network(uow_factory):
    now = datetime.now(timezone.utc)
    for site_id, kind, region, supplier, lat, lon in NETWORK:
        sites.create_site(uow_factory(), id=site_id, name=f"{site_id} 站点", kind=kind, region=region,
                          supplier_id=supplier, lat=lat, lon=lon, now=now)
    return {row[0]: row for row in NETWORK}


def new_din() -> str:
    return f"W0001{26:02d}{next(_din):06d}"


@pytest.fixture
def donate(uow_factory):
    """Put a donation's units at a station (released unless `release=False`); returns its units."""
    def make(site_id="SH-S1", abo="O", rhd="pos", *, kind="whole_blood", volume_ml=200, doses=None,
             collected_days_ago=0.0, release=True, region="SH", donor_id="donor-1", now=None):
        now = now or datetime.now(timezone.utc)
        din = new_din()
        created = units.create_units_from_donation(
            uow_factory(), donation_id=f"don-{din}", donor_id=donor_id, din=din, site_id=site_id, region=region,
            kind=kind, volume_ml=volume_ml if kind == "whole_blood" else None, doses=doses, abo=abo, rhd=rhd,
            collected_at=now - timedelta(days=collected_days_ago), now=now)
        if release:
            units.record_test_result(uow_factory(), station_id=site_id, din=din, qualified=True, now=now)
        return created
    return make


@pytest.fixture
def red_cells(session_factory):
    """`n` available bags (1 U red cells unless told) of a group at a site, inserted straight into the table
    (fast stock for tests whose subject is not the donation path); collected `days_ago`, listed first-expiring
    first; returns their ids."""
    def make(n, site_id="SH-S1", abo="O", rhd="pos", days_ago=0.0, *, component="red_cells", u=1.0,
             status="available", region="SH", donor_id="donor-x"):
        now = datetime.now(timezone.utc)
        shelf = COMPONENTS[component].shelf_life
        rows = []
        for k in range(n):
            collected = now - timedelta(days=days_ago + (n - k) * 0.001)
            rows.append(dict(id=str(uuid.uuid4()), din=new_din(), donation_id=None, donor_id=donor_id,
                             component=component, abo=abo, rhd=rhd, units=u, volume_ml=int(150 * u), status=status,
                             site_id=site_id, region=region, collected_at=collected, expires_at=collected + shelf,
                             bag_no=1))
        if rows:
            with session_factory() as s, s.begin():
                s.execute(units_table.insert(), rows)
        return [r["id"] for r in rows]
    return make


@pytest.fixture
def state(session_factory):
    """A snapshot of everything a refused request must leave unchanged."""
    def snap():
        counts = row_counts(session_factory, [unit_movements, orders, outbox])
        with session_factory() as s:
            return {
                **counts,
                "units": sorted(s.execute(select(units_table.c.id, units_table.c.status, units_table.c.site_id,
                                                 units_table.c.issued_to, units_table.c.transfer_id)).all()),
                "transfers": sorted(s.execute(select(transfers.c.id, transfers.c.status)).all()),
            }
    return snap


@pytest.fixture
def events(session_factory):
    """Staged outbox events of a type, oldest first (as dicts with 'type', 'subject', 'data')."""
    def of(event_type=None):
        return [e for e in envelopes(session_factory) if event_type is None or e["type"] == event_type]
    return of


@pytest.fixture
def imbalance(network, client, red_cells):
    """O+ red cells: SH-S1 holds 40 U against 1 U/day (33 U over a 7-day target); SH-S2 holds 4 U against
    4 U/day (24 U short)."""
    for site_id, per_day in (("SH-S1", 1), ("SH-S2", 4)):
        resp = client.put(f"/api/v1/sites/{site_id}/demand", headers=ADMIN, json={"lines": [
            {"component": "red_cells", "abo": "O", "rhd": "pos", "units_per_day": per_day}]})
        assert resp.status_code == 200
    red_cells(40, site_id="SH-S1")
    red_cells(4, site_id="SH-S2")

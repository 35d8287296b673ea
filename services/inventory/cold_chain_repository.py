"""Cold-chain persistence: stores, their readings (one per store and moment), transport legs, excursions."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from servicekit.db import for_update

from .coldchain import Excursion, Reading, StorageLocation, TemperatureRange
from .model import Unit
from .orm import excursions, sites, temperature_readings, transport_readings, units
from .repository import _insert


class ColdChainRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- stores
    def add_location(self, location: StorageLocation) -> None:
        self.session.add(location)

    def locations(self, location_ids: Iterable[str], lock: bool = False) -> dict[str, StorageLocation]:
        """By id; with `lock`, the rows stay locked until commit in id order (two batches for one store queue)."""
        ids = sorted(set(location_ids))
        if not ids:
            return {}
        stmt = select(StorageLocation).where(StorageLocation.id.in_(ids)).order_by(StorageLocation.id)
        return {s.id: s for s in self.session.scalars(for_update(stmt, self.session) if lock else stmt)}

    def list_locations(self, site_id: str | None) -> list[StorageLocation]:
        stmt = select(StorageLocation).order_by(StorageLocation.site_id, StorageLocation.name)
        if site_id:
            stmt = stmt.where(StorageLocation.site_id == site_id)
        return list(self.session.scalars(stmt))

    # -- readings
    def add_readings(self, location_id: str, readings: list[Reading], received_at: datetime) -> int:
        """Insert what is new, one statement per batch; a (store, moment) already stored, or twice in the batch,
        is kept as first received. Returns the rows added (counted by RETURNING: rowcount is not reliable across
        drivers for ON CONFLICT DO NOTHING)."""
        if not readings:
            return 0
        stmt = (_insert(self.session)(temperature_readings)
                .values([dict(location_id=location_id, at=r.at, celsius=r.celsius, agitating=r.agitating,
                              received_at=received_at) for r in readings])
                .on_conflict_do_nothing().returning(temperature_readings.c.at))
        return len(self.session.execute(stmt).all())

    def last_in_range_before(self, location_id: str, at: datetime, rng: TemperatureRange) -> datetime | None:
        t = temperature_readings.c
        ok = []
        if rng.min_c is not None:
            ok.append(t.celsius >= rng.min_c)
        if rng.max_c is not None:
            ok.append(t.celsius <= rng.max_c)
        if rng.agitation:
            ok.append(or_(t.agitating.is_(None), t.agitating.is_(True)))
        stmt = select(func.max(t.at)).where(t.location_id == location_id, t.at < at, *ok)
        return self.session.execute(stmt).scalar()

    def readings(self, location_id: str, since: datetime | None) -> list[Reading]:
        t = temperature_readings.c
        stmt = select(t.at, t.celsius, t.agitating).where(t.location_id == location_id).order_by(t.at)
        if since is not None:
            stmt = stmt.where(t.at >= since)
        return [Reading(r.at, r.celsius, r.agitating) for r in self.session.execute(stmt)]

    def add_transport_readings(self, transfer_id: str, readings: list[Reading]) -> None:
        for r in readings:
            self.session.execute(_insert(self.session)(transport_readings).values(
                transfer_id=transfer_id, at=r.at, celsius=r.celsius).on_conflict_do_nothing())

    # -- units in a store
    def units_stored(self, location_id: str, placed_by: datetime) -> list[Unit]:
        """Stock sitting in the store that was there by `placed_by` (locked; not already held by an excursion)."""
        stmt = (select(Unit).where(Unit.location_id == location_id, Unit.located_at <= placed_by,
                                   Unit.status.in_(("available", "quarantined")), Unit.hold_ref.is_(None))
                .order_by(Unit.id))
        return list(self.session.scalars(for_update(stmt, self.session).execution_options(populate_existing=True)))

    def held_by(self, excursion_id: str) -> list[Unit]:
        stmt = select(Unit).where(Unit.hold_ref == excursion_id).order_by(Unit.id)
        return list(self.session.scalars(for_update(stmt, self.session).execution_options(populate_existing=True)))

    # -- excursions
    def add_excursion(self, excursion: Excursion) -> None:
        self.session.add(excursion)

    def overlapping(self, location_id: str, start: datetime, end: datetime) -> list[Excursion]:
        """Excursions of the store whose stretch meets [start, end] (an open one has no end yet)."""
        stmt = select(Excursion).where(Excursion.location_id == location_id, Excursion.started_at <= end,
                                       or_(Excursion.ended_at.is_(None), Excursion.ended_at >= start))
        return list(self.session.scalars(stmt.order_by(Excursion.started_at)))

    def get_excursion(self, excursion_id: str, lock: bool = False) -> Excursion | None:
        stmt = select(Excursion).where(Excursion.id == excursion_id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def list_excursions(self, *, site_id=None, region=None, status=None, limit: int = 500) -> list[Excursion]:
        stmt = select(Excursion)
        if site_id:
            stmt = stmt.where(Excursion.site_id == site_id)
        if region:
            stmt = stmt.where(Excursion.site_id.in_(select(sites.c.id).where(sites.c.region == region)))
        if status:
            stmt = stmt.where(Excursion.status == status)
        return list(self.session.scalars(stmt.order_by(Excursion.detected_at.desc(), Excursion.id).limit(limit)))

    # -- statistics
    def excursion_counts(self, site_ids: list[str] | None, since: datetime, until: datetime) -> dict[tuple, int]:
        e = excursions.c
        stmt = (select(e.kind, e.status, func.count()).where(e.detected_at >= since, e.detected_at < until)
                .group_by(e.kind, e.status))
        if site_ids is not None:
            stmt = stmt.where(e.site_id.in_(site_ids))
        return {(r[0], r[1]): r[2] for r in self.session.execute(stmt)}

    def discards_by_cause(self, site_ids: list[str] | None, since: datetime, until: datetime) -> dict[str, dict]:
        u = units.c
        stmt = (select(u.reason, func.count(), func.sum(u.units))
                .where(u.status == "discarded", u.updated_at >= since, u.updated_at < until).group_by(u.reason))
        if site_ids is not None:
            stmt = stmt.where(u.site_id.in_(site_ids))
        return {(r[0] or "unknown"): {"bags": r[1], "units": round(float(r[2] or 0), 2)}
                for r in self.session.execute(stmt)}

    def place(self, unit_ids: list[str], location_id: str, now: datetime) -> None:
        self.session.execute(update(units).where(and_(units.c.id.in_(unit_ids)))
                             .values(location_id=location_id, located_at=now, updated_at=now))

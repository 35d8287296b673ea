"""Inventory persistence behind small role-named methods."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servicekit.db import for_update, is_sqlite

from .model import DemandLine, Movement, Order, Plan, Site, SiteDemand, Transfer, Transfusion, Unit
from .orm import (collections, expected_appointments, expected_drives, site_demand, sites, stock_levels,
                  unit_movements, units)

Key = tuple[str, str, str, str]   # site_id, component, abo, rhd
GROUP_COLS = (units.c.component, units.c.abo, units.c.rhd)


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class SiteRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, site: Site) -> None:
        self.session.add(site)

    def get(self, site_id: str) -> Site | None:
        return self.session.get(Site, site_id)

    def get_many(self, site_ids: Iterable[str]) -> dict[str, Site]:
        ids = set(site_ids)
        if not ids:
            return {}
        return {s.id: s for s in self.session.scalars(select(Site).where(Site.id.in_(ids)))}

    def list(self, region: str | None = None, kind: str | None = None) -> list[Site]:
        stmt = select(Site).order_by(Site.region, Site.kind.desc(), Site.id)
        if region:
            stmt = stmt.where(Site.region == region)
        if kind:
            stmt = stmt.where(Site.kind == kind)
        return list(self.session.scalars(stmt))

    def transfer_versions(self, site_ids: Iterable[str], lock: bool = False) -> dict[str, int]:
        """Each site's transfer version; with `lock`, the site rows stay locked until commit, taken in id order
        (the order every bumper uses too, so approvals and transfer changes queue instead of deadlocking)."""
        ids = sorted(set(site_ids))
        if not ids:
            return {}
        stmt = select(sites.c.id, sites.c.transfer_version).where(sites.c.id.in_(ids)).order_by(sites.c.id)
        return {r.id: r.transfer_version for r in self.session.execute(for_update(stmt, self.session) if lock else stmt)}

    def bump_transfer_versions(self, site_ids: Iterable[str]) -> None:
        """A transfer from or to these sites changed: plans computed before are stale (plans.approve_plan)."""
        ids = sorted(set(site_ids))
        self.transfer_versions(ids, lock=True)
        self.session.execute(update(sites).where(sites.c.id.in_(ids))
                             .values(transfer_version=sites.c.transfer_version + 1))

    def set_demand(self, site_id: str, lines: list[dict]) -> None:
        """Replaces the site's baseline lines with the given ones (a PUT)."""
        self.session.execute(delete(site_demand).where(site_demand.c.site_id == site_id))
        if lines:
            self.session.execute(site_demand.insert(), [dict(site_id=site_id, **line) for line in lines])

    def demand(self, site_id: str) -> SiteDemand:
        rows = self.session.execute(select(site_demand).where(site_demand.c.site_id == site_id)
                                    .order_by(site_demand.c.component, site_demand.c.abo, site_demand.c.rhd))
        return SiteDemand(site_id, [DemandLine(r.component, r.abo, r.rhd, r.units_per_day) for r in rows])

    def baseline_demand(self, site_ids: Iterable[str]) -> dict[Key, float]:
        """A site's own baseline plus that of the sites it supplies (a station serves its hospitals' demand)."""
        ids = list(set(site_ids))
        if not ids:
            return {}
        stmt = (select(site_demand.c.site_id, sites.c.supplier_id, site_demand.c.component, site_demand.c.abo,
                       site_demand.c.rhd, site_demand.c.units_per_day)
                .select_from(site_demand.outerjoin(sites, sites.c.id == site_demand.c.site_id))
                .where(or_(site_demand.c.site_id.in_(ids), sites.c.supplier_id.in_(ids))))
        out: dict[Key, float] = {}
        wanted = set(ids)
        for r in self.session.execute(stmt):
            for target in {r.site_id, r.supplier_id} & wanted:
                key = (target, r.component, r.abo, r.rhd)
                out[key] = out.get(key, 0.0) + r.units_per_day
        return out


class UnitRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_all(self, new_units: list[Unit]) -> None:
        self.session.add_all(new_units)

    def insert_rows(self, rows: list[dict]) -> None:
        """Bulk insert of unit rows without the identity map: for loading thousands of bags at once."""
        if rows:
            self.session.execute(units.insert(), rows)

    def get(self, unit_id: str) -> Unit | None:
        return self.session.get(Unit, unit_id)

    def get_for_update(self, unit_id: str) -> Unit | None:
        return self.session.scalars(for_update(select(Unit).where(Unit.id == unit_id), self.session)
                                    .execution_options(populate_existing=True)).first()

    def by_ids(self, unit_ids: Iterable[str]) -> list[Unit]:
        ids = list(unit_ids)
        if not ids:
            return []
        found = self.session.scalars(select(Unit).where(Unit.id.in_(ids)).execution_options(populate_existing=True))
        by_id = {u.id: u for u in found}
        return [by_id[i] for i in ids if i in by_id]

    def of_donation_for_update(self, din: str) -> list[Unit]:
        stmt = select(Unit).where(Unit.din == din).order_by(Unit.component, Unit.bag_no)
        return list(self.session.scalars(for_update(stmt, self.session)))

    def din_known(self, din: str) -> bool:
        return self.session.execute(select(units.c.id).where(units.c.din == din).limit(1)).first() is not None

    def dins_known(self, dins: Iterable[str]) -> set[str]:
        dins = list(dins)
        if not dins:
            return set()
        if is_sqlite(self.session.get_bind()):
            return set(self.session.scalars(select(units.c.din).where(units.c.din.in_(dins)).distinct()))
        # On PostgreSQL as a probe of the DIN index per DIN: `din IN (500 values)` let the planner scan the whole
        # table while a bulk import was filling it faster than its statistics were refreshed (122 ms a run at
        # 660,000 units and growing; a probe per DIN costs the same at any size).
        given = (func.unnest(bindparam("dins", dins, type_=postgresql.ARRAY(units.c.din.type)))
                 .table_valued("din").render_derived(name="given"))
        probe = select(units.c.id).where(units.c.din == given.c.din).exists()
        return set(self.session.scalars(select(given.c.din).where(probe)))

    def list(self, *, site_id=None, status=None, component=None, abo=None, rhd=None, limit: int = 1000) -> list[Unit]:
        stmt = select(Unit)
        for column, value in ((Unit.site_id, site_id), (Unit.status, status), (Unit.component, component),
                              (Unit.abo, abo), (Unit.rhd, rhd)):
            if value is not None:
                stmt = stmt.where(column == value)
        return list(self.session.scalars(stmt.order_by(Unit.expires_at, Unit.id).limit(limit)))

    @staticmethod
    def _issuable(site_id: str, component: str, abo: str, rhd: str, now: datetime):
        """Bags that may be issued now, first-expiring-first (ties by id): the one order every claimer uses."""
        return (select(units.c.id, units.c.units, units.c.expires_at)
                .where(units.c.site_id == site_id, units.c.status == "available", units.c.component == component,
                       units.c.abo == abo, units.c.rhd == rhd, units.c.expires_at > now)
                .order_by(units.c.expires_at, units.c.id))

    def available_candidates(self, site_id: str, component: str, abo: str, rhd: str, now: datetime,
                             lock: bool = False) -> list:
        """(id, units, expires_at) of issuable bags at a site, first-expiring-first (ties by id). With `lock`,
        the rows stay locked until commit (PostgreSQL), in the same order every claimer uses."""
        stmt = self._issuable(site_id, component, abo, rhd, now)
        return list(self.session.execute(for_update(stmt, self.session) if lock else stmt))

    def iter_available(self, site_id: str, component: str, abo: str, rhd: str, now: datetime, page: int = 64):
        """`available_candidates` a page at a time (keyset on expiry, id): an order for 2 U at a station holding
        40,000 bags reads the first page, not the whole shelf.

        On PostgreSQL bags are read one at a time `FOR UPDATE SKIP LOCKED`: concurrent orders for the same
        group take the next free bags instead of queueing behind whoever holds the first one (they meet only
        at the stock-level row). A bag another transaction holds is in use, so skipping it keeps FEFO among
        the bags that can be had."""
        skip_locked = not is_sqlite(self.session.get_bind())
        page = 1 if skip_locked else page
        after = None
        while True:
            stmt = self._issuable(site_id, component, abo, rhd, now).limit(page)
            if skip_locked:
                stmt = stmt.with_for_update(skip_locked=True)
            if after is not None:
                stmt = stmt.where(or_(units.c.expires_at > after[0],
                                      and_(units.c.expires_at == after[0], units.c.id > after[1])))
            rows = list(self.session.execute(stmt))
            yield from rows
            if len(rows) < page:
                return
            after = (rows[-1].expires_at, rows[-1].id)

    def claim(self, unit_id: str, now: datetime, **values) -> bool:
        """Take an available, unexpired bag; False if someone else took it (or it expired) first.

        The condition is re-checked by the database at the moment of the write: on PostgreSQL a concurrent
        claimer waits for the row lock, then sees status 'issued' and matches nothing; on SQLite the
        BEGIN IMMEDIATE transaction serialises writers. So no bag is ever allocated twice.
        """
        stmt = (update(units).where(units.c.id == unit_id, units.c.status == "available", units.c.expires_at > now)
                .values(updated_at=now, **values))
        return self.session.execute(stmt).rowcount == 1

    def available_totals(self, site_ids: Iterable[str] | None, now: datetime,
                         keys: Iterable[Key] | None = None) -> dict[Key, float]:
        """Issuable U per key; with `keys`, only those (an order touching one group sums one group, which
        the stock index serves, instead of every bag at the station)."""
        stmt = (select(units.c.site_id, *GROUP_COLS, func.sum(units.c.units))
                .where(units.c.status == "available", units.c.expires_at > now)
                .group_by(units.c.site_id, *GROUP_COLS))
        if site_ids is not None:
            stmt = stmt.where(units.c.site_id.in_(list(site_ids)))
        if keys is not None:
            stmt = stmt.where(or_(*(and_(units.c.site_id == s, units.c.component == c, units.c.abo == a,
                                         units.c.rhd == r) for s, c, a, r in set(keys))))
        return {(r[0], r[1], r[2], r[3]): float(r[4] or 0) for r in self.session.execute(stmt)}

    def in_transit_bags(self, transfer_ids: Iterable[str]) -> list:
        """(transfer_id, component, abo, rhd, units, expires_at) of the bags on the road for these transfers."""
        ids = list(set(transfer_ids))
        if not ids:
            return []
        stmt = (select(units.c.transfer_id, *GROUP_COLS, units.c.units, units.c.expires_at)
                .where(units.c.status == "in_transit", units.c.transfer_id.in_(ids))
                .order_by(units.c.expires_at, units.c.id))
        return list(self.session.execute(stmt))

    def available_bags(self, site_ids: Iterable[str], now: datetime) -> list:
        """(site_id, component, abo, rhd, units, expires_at) of every issuable bag: the optimiser's input, in
        dispatch's order (expiry, then id) so that its whole-bag rounding breaks ties as dispatch does."""
        stmt = (select(units.c.site_id, *GROUP_COLS, units.c.units, units.c.expires_at)
                .where(units.c.status == "available", units.c.expires_at > now, units.c.site_id.in_(list(site_ids)))
                .order_by(units.c.expires_at, units.c.id))
        return list(self.session.execute(stmt))

    def issue_history(self, site_ids: Iterable[str], since: datetime) -> dict[Key, tuple[datetime, float]]:
        """Per key: (first issue ever, U issued since `since`)."""
        recent = func.sum(case((units.c.issued_at >= since, units.c.units), else_=0.0))
        stmt = (select(units.c.issued_from, *GROUP_COLS, func.min(units.c.issued_at), recent)
                .where(units.c.issued_from.in_(list(site_ids)), units.c.issued_at.is_not(None))
                .group_by(units.c.issued_from, *GROUP_COLS))
        return {(r[0], r[1], r[2], r[3]): (r[4], float(r[5] or 0)) for r in self.session.execute(stmt)}

    def issues_since(self, keys: Iterable[Key], since: datetime) -> list[tuple[str, str, str, str, datetime, float]]:
        """The issues of these keys since `since`, one row per bag (site, component, abo, rhd, issued_at, U):
        the forecast needs them by day (services/stock.py buckets them by Asia/Shanghai date)."""
        keys = list(keys)
        if not keys:
            return []
        wanted = or_(*(and_(units.c.issued_from == k[0], units.c.component == k[1], units.c.abo == k[2],
                            units.c.rhd == k[3]) for k in keys))
        stmt = (select(units.c.issued_from, *GROUP_COLS, units.c.issued_at, units.c.units)
                .where(units.c.issued_at >= since, wanted))
        return [(r[0], r[1], r[2], r[3], r[4], float(r[5])) for r in self.session.execute(stmt)]

    def expiring(self, now: datetime, limit: int) -> list[Unit]:
        """Stored units still counted as stock although their time is up (locked so an order cannot take them)."""
        stmt = (select(Unit).where(Unit.status.in_(("quarantined", "available")), Unit.expires_at <= now)
                .order_by(Unit.expires_at, Unit.id).limit(limit))
        return list(self.session.scalars(for_update(stmt, self.session, skip_locked=True)))

    def record_movements(self, moves: list[Movement]) -> None:
        if moves:
            self.session.execute(unit_movements.insert(), [vars(m) for m in moves])

    def with_history(self, unit: Unit) -> Unit:
        rows = self.session.execute(select(unit_movements).where(unit_movements.c.unit_id == unit.id)
                                    .order_by(unit_movements.c.at, unit_movements.c.id))
        unit.history = [Movement(r.unit_id, r.kind, r.status, r.at, from_site=r.from_site, to_site=r.to_site,
                                 ref=r.ref, note=r.note) for r in rows]
        return unit


class StockLevelRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock(self, key: Key, region: str, now: datetime):
        """The stored level row of a key, created if missing, locked until commit (PostgreSQL)."""
        site_id, component, abo, rhd = key
        self.session.execute(_insert(self.session)(stock_levels).values(
            site_id=site_id, component=component, abo=abo, rhd=rhd, region=region, level=None,
            available_units=0.0, days_of_supply=None, updated_at=now).on_conflict_do_nothing())
        stmt = select(stock_levels).where(stock_levels.c.site_id == site_id, stock_levels.c.component == component,
                                          stock_levels.c.abo == abo, stock_levels.c.rhd == rhd)
        return self.session.execute(for_update(stmt, self.session)).one()

    def save(self, key: Key, **values) -> None:
        site_id, component, abo, rhd = key
        self.session.execute(update(stock_levels).where(
            stock_levels.c.site_id == site_id, stock_levels.c.component == component,
            stock_levels.c.abo == abo, stock_levels.c.rhd == rhd).values(**values))

    def stored(self, site_ids: Iterable[str]) -> dict[Key, object]:
        stmt = select(stock_levels).where(stock_levels.c.site_id.in_(list(site_ids)))
        return {(r.site_id, r.component, r.abo, r.rhd): r for r in self.session.execute(stmt)}

    def keys_of(self, site_ids: Iterable[str]) -> list[Key]:
        stmt = select(stock_levels.c.site_id, stock_levels.c.component, stock_levels.c.abo, stock_levels.c.rhd) \
            .where(stock_levels.c.site_id.in_(list(site_ids)))
        return [tuple(r) for r in self.session.execute(stmt)]


class OrderRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, order: Order) -> None:
        self.session.add(order)

    def get(self, order_id: str) -> Order | None:
        return self.session.get(Order, order_id)


class TransfusionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, transfusion: Transfusion) -> None:
        self.session.add(transfusion)

    def for_unit(self, unit_id: str) -> Transfusion | None:
        return self.session.scalars(select(Transfusion).where(Transfusion.unit_id == unit_id)).first()


class TransferRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, transfer: Transfer) -> None:
        self.session.add(transfer)

    def get_for_update(self, transfer_id: str) -> Transfer | None:
        stmt = select(Transfer).where(Transfer.id == transfer_id)
        return self.session.scalars(for_update(stmt, self.session).execution_options(populate_existing=True)).first()

    def open_touching(self, site_ids: Iterable[str]) -> list[Transfer]:
        """Requested and in-transit transfers from or to any of these sites, oldest first (dispatch order)."""
        ids = list(set(site_ids))
        if not ids:
            return []
        stmt = (select(Transfer).where(Transfer.status.in_(("requested", "in_transit")),
                                       or_(Transfer.from_site.in_(ids), Transfer.to_site.in_(ids)))
                .order_by(Transfer.requested_at, Transfer.id))
        return list(self.session.scalars(stmt))

    def list(self, site_id: str | None = None, status: str | None = None, limit: int = 500) -> list[Transfer]:
        stmt = select(Transfer).order_by(Transfer.requested_at.desc()).limit(limit)
        if site_id:
            stmt = stmt.where(or_(Transfer.from_site == site_id, Transfer.to_site == site_id))
        if status:
            stmt = stmt.where(Transfer.status == status)
        return list(self.session.scalars(stmt))

    def with_units(self, transfers: list[Transfer]) -> list[Transfer]:
        """Each transfer with its bags, in the order it took them, for a list in one query (not one per transfer)."""
        by_id = {u.id: u for u in UnitRepository(self.session).by_ids(uid for t in transfers for uid in t.unit_ids)}
        for t in transfers:
            t.units = [by_id[i] for i in t.unit_ids if i in by_id]
        return transfers


class PlanRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, plan: Plan) -> None:
        self.session.add(plan)

    def get(self, plan_id: str) -> Plan | None:
        return self.session.get(Plan, plan_id)

    def get_for_update(self, plan_id: str) -> Plan | None:
        stmt = select(Plan).where(Plan.id == plan_id)
        return self.session.scalars(for_update(stmt, self.session).execution_options(populate_existing=True)).first()



class ExpectedCollectionRepository:
    """The donor service's appointments and drives as expectations, and the collections that answer them. Every
    write is keyed by the fact's own id, so a fact told twice is stored once."""

    def __init__(self, session: Session):
        self.session = session

    def expect_appointment(self, **values) -> None:
        """A booking, unless the appointment is already known (a cancellation told first wins: it is later)."""
        self.session.execute(_insert(self.session)(expected_appointments).values(status="booked", **values)
                             .on_conflict_do_nothing())

    def close_appointment(self, status: str, **values) -> None:
        """Cancelled or missed: no longer expected, whether or not the booking was heard of."""
        stmt = _insert(self.session)(expected_appointments).values(status=status, **values)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=[expected_appointments.c.appointment_id],
            set_={"status": status, "updated_at": values["updated_at"]}))

    def expect_drive(self, **values) -> None:
        self.session.execute(_insert(self.session)(expected_drives).values(**values).on_conflict_do_nothing())

    def collected(self, **values) -> None:
        self.collected_many([values])

    def collected_many(self, rows: list[dict]) -> None:
        if rows:      # as parameters: compiled once, sent in multi-row batches (servicekit.inbox.claim_many)
            self.session.execute(_insert(self.session)(collections).on_conflict_do_nothing(), rows)

    def appointments(self, site_ids: list[str] | None, first: date, last: date) -> list:
        q = select(expected_appointments).where(expected_appointments.c.day.between(first, last))
        if site_ids is not None:
            q = q.where(expected_appointments.c.site_id.in_(site_ids))
        return list(self.session.execute(q))

    def drives(self, site_ids: list[str] | None, first: date, last: date) -> list:
        q = select(expected_drives).where(expected_drives.c.day.between(first, last))
        if site_ids is not None:
            q = q.where(expected_drives.c.site_id.in_(site_ids))
        return list(self.session.execute(q.order_by(expected_drives.c.day, expected_drives.c.drive_id)))

    def collections(self, site_ids: list[str] | None, first: date, last: date) -> list:
        q = select(collections).where(collections.c.day.between(first, last))
        if site_ids is not None:
            q = q.where(collections.c.site_id.in_(site_ids))
        return list(self.session.execute(q))

    def drive_donations(self, drive_ids: list[str]) -> dict[str, int]:
        if not drive_ids:
            return {}
        q = (select(collections.c.drive_id, func.count()).where(collections.c.drive_id.in_(drive_ids))
             .group_by(collections.c.drive_id))
        return {drive_id: n for drive_id, n in self.session.execute(q)}

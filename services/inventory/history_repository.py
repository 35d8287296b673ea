"""Daily stock snapshots (#20): the idempotent upsert of a day's rows and the two reads behind the charts."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .history import LevelCounts, Snapshot
from .orm import stock_snapshots as t
from .policy import LEVELS, NO_DATA
from .repository import _insert

VALUES = ("region", "available_units", "days_of_supply", "level", "taken_at")


class SnapshotRepository:
    def __init__(self, session: Session):
        self.session = session

    def upsert(self, snapshots: Iterable[Snapshot], taken_at: datetime) -> int:
        """Write the day's rows keyed by (site, day, component, abo, rhd): a later run of the same day refreshes
        them. Keys go in sorted order, so concurrent snapshotters queue on the same rows instead of deadlocking;
        a computation older than the stored one leaves it alone (a slow replica must not undo a newer picture)."""
        rows = sorted(({"site_id": s.site_id, "day": s.day, "component": s.component, "abo": s.abo, "rhd": s.rhd,
                        "region": s.region, "available_units": s.available_units,
                        "days_of_supply": s.days_of_supply, "level": s.level, "taken_at": taken_at}
                       for s in snapshots), key=lambda r: (r["site_id"], r["day"], r["component"], r["abo"], r["rhd"]))
        if not rows:
            return 0
        stmt = _insert(self.session)(t).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.site_id, t.c.day, t.c.component, t.c.abo, t.c.rhd],
            set_={name: stmt.excluded[name] for name in VALUES},
            where=t.c.taken_at <= stmt.excluded.taken_at)
        self.session.execute(stmt)
        return len(rows)

    def of_site(self, site_id: str, first: date, last: date, *, component: str | None = None,
                abo: str | None = None, rhd: str | None = None) -> list[Snapshot]:
        q = select(t).where(t.c.site_id == site_id, t.c.day.between(first, last))
        for column, value in ((t.c.component, component), (t.c.abo, abo), (t.c.rhd, rhd)):
            if value is not None:
                q = q.where(column == value)
        q = q.order_by(t.c.day, t.c.component, t.c.abo, t.c.rhd)
        return [Snapshot(day=r.day, site_id=r.site_id, region=r.region, component=r.component, abo=r.abo,
                         rhd=r.rhd, available_units=r.available_units, days_of_supply=r.days_of_supply,
                         level=r.level) for r in self.session.execute(q)]

    def level_counts(self, first: date, last: date, *, region: str | None = None,
                     component: str | None = None) -> list[LevelCounts]:
        """Cells at each level per day, counted by the database (GROUP BY day)."""
        counts = [func.sum(case((t.c.level == level, 1), else_=0)).label(level) for level in (*LEVELS, NO_DATA)]
        q = select(t.c.day, *counts).where(t.c.day.between(first, last))
        if region is not None:
            q = q.where(t.c.region == region)
        if component is not None:
            q = q.where(t.c.component == component)
        q = q.group_by(t.c.day).order_by(t.c.day)
        return [LevelCounts(day=r.day, **{level: int(getattr(r, level)) for level in (*LEVELS, NO_DATA)})
                for r in self.session.execute(q)]

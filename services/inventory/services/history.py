"""Stock history (#20): the daily snapshot of the stock view (the `snapshot` job) and the two reads of it.

The figures are the stock view's own (stock.compute: availability, demand, the consecutive-days rule), so a day's
row says what GET /stock said when the day's last snapshot ran.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Callable, Iterable

from hemolink.calendar import shanghai_day

from ..errors import SiteNotFound
from ..history import DEFAULT_DAYS, LevelCounts, Snapshot, snapshot_of, window
from . import stock


def take_snapshot(uow, now: datetime) -> int:
    """Upsert today's (Asia/Shanghai) rows of every station; returns the rows written. Safe to run again and from
    several replicas at once: the key is the day's, the upsert the database's."""
    with uow:
        stations = {s.id: s.region for s in uow.sites.list(kind="station")}
        if not stations:
            return 0
        written = uow.snapshots.upsert([snapshot_of(row, now) for row in stock.compute(uow, stations, now)],
                                       taken_at=now)
        uow.commit()
        return written


def backfill(uow, *, site_id: str, region: str, first: date, now: datetime,
             make: Callable[[list], Iterable[tuple[Snapshot, datetime]]]) -> int:
    """Past days for a station that has none from `first` to yesterday (the demo's invented weeks): `make` turns
    today's stock view rows into (snapshot, taken_at) pairs; written with the job's upsert. Returns rows written."""
    with uow:
        yesterday = shanghai_day(now) - timedelta(days=1)
        if uow.snapshots.of_site(site_id, first, yesterday):
            return 0
        by_moment: dict[datetime, list[Snapshot]] = {}
        for snapshot, taken_at in make(stock.compute(uow, {site_id: region}, now)):
            by_moment.setdefault(taken_at, []).append(snapshot)
        written = sum(uow.snapshots.upsert(rows, taken_at=moment) for moment, rows in sorted(by_moment.items()))
        uow.commit()
        return written


def site_history(uow, *, site_id: str, now: datetime, days: int = DEFAULT_DAYS, component: str | None = None,
                 abo: str | None = None, rhd: str | None = None) -> list[Snapshot]:
    """A site's snapshots of the last `days` Shanghai days (days without one are absent); an unknown site is 404,
    as GET /stock answers it, since an empty history would read as "no data yet"."""
    first, last = window(now, days)
    with uow:
        if uow.sites.get(site_id) is None:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        return uow.snapshots.of_site(site_id, first, last, component=component, abo=abo, rhd=rhd)


def levels_history(uow, *, now: datetime, region: str | None = None, days: int = DEFAULT_DAYS,
                   component: str | None = None) -> list[LevelCounts]:
    """Cells at each level per day in a region (every region without one); an unknown region is 422, as on /stock."""
    first, last = window(now, days)
    with uow:
        if region:
            stock.check_region(uow, region)
        return uow.snapshots.level_counts(first, last, region=region, component=component)

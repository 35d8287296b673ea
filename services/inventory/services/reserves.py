"""Reserves for major events (reserve.py): a station (its own site) or admin sets them; the stock picture shows
them in days of supply; rebalancing keeps them (services/plans.py: the optimiser's `keep`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from ..errors import NotYourSite, ReserveNotFound, SiteNotFound
from ..model import new_id
from ..reserve import Key, Reserve, active_floor
from .stock import SHANGHAI, StockRow


def today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def create_reserve(uow, principal: Principal, *, site_id: str, now: datetime, **fields) -> Reserve:
    if principal.role != "admin" and principal.site_id != site_id:
        raise NotYourSite("只能为本站设置储备")
    with uow:
        site = uow.sites.get(site_id)
        if site is None:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        if site.kind != "station":
            raise Unprocessable("储备设在血站", errors={"site_id": ["必须是血站"]})
        reserve = Reserve(id=new_id(), site_id=site_id, created_by=principal.sub, created_at=now, **fields)
        uow.reserves.add(reserve)
        uow.commit()
        return reserve


def list_reserves(uow, *, site_id: str | None = None, region: str | None = None,
                  active_on: date | None = None) -> list[Reserve]:
    with uow:
        site_ids = None
        if site_id:
            site_ids = [site_id]
        elif region:
            site_ids = [s.id for s in uow.sites.list(region=region)]
        return uow.reserves.list(site_ids, on=active_on)


def delete_reserve(uow, principal: Principal, *, reserve_id: str) -> None:
    with uow:
        reserve = uow.reserves.get(reserve_id)
        if reserve is None:
            raise ReserveNotFound()
        if principal.role != "admin" and principal.site_id != reserve.site_id:
            raise NotYourSite("只能删除本站的储备")
        uow.reserves.delete(reserve)
        uow.commit()


def floors(uow, site_ids, now: datetime) -> dict[Key, float]:
    """U each site keeps today per group (the largest active reserve), inside the caller's transaction."""
    return active_floor(uow.reserves.list(list(site_ids), on=today(now)), today(now))


@dataclass(frozen=True)
class ReservedStockRow(StockRow):
    reserve_units: float = 0.0
    reserve_days: float | None = None      # the reserve in days of supply (None: no demand known)


def with_reserves(uow, rows: list[StockRow], now: datetime) -> list[ReservedStockRow]:
    keep = floors(uow, {r.site_id for r in rows}, now) if rows else {}
    out = []
    for r in rows:
        units = keep.get((r.site_id, r.component, r.abo, r.rhd), 0.0)
        days = round(units / r.daily_demand, 2) if units and r.daily_demand > 0 else None
        out.append(ReservedStockRow(**asdict(r), reserve_units=units, reserve_days=days))
    return out

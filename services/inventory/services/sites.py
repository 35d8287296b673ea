"""Site use cases: register a station or hospital, list sites, set a site's baseline daily demand."""
from __future__ import annotations

from datetime import datetime

from servicekit.auth import Principal
from servicekit.errors import Unprocessable
from sqlalchemy.exc import IntegrityError

from ..errors import NotYourSite, SiteExists, SiteNotFound
from ..model import Site, SiteDemand
from . import stock


def create_site(uow, *, id: str, name: str, kind: str, region: str, supplier_id: str | None = None,
                lat: float | None = None, lon: float | None = None, now: datetime) -> Site:
    if kind == "station" and supplier_id:
        raise Unprocessable("血站没有供血单位", errors={"supplier_id": ["只有医院有供血血站"]})
    with uow:
        if uow.sites.get(id) is not None:
            raise SiteExists(f"站点 {id} 已存在")
        if supplier_id:
            supplier = uow.sites.get(supplier_id)
            if supplier is None or supplier.kind != "station":
                raise Unprocessable("供血单位必须是已登记的血站", errors={"supplier_id": ["必须是已登记的血站"]})
        site = Site(id=id, name=name, kind=kind, region=region, supplier_id=supplier_id, lat=lat, lon=lon,
                    created_at=now)
        uow.sites.add(site)
        try:
            uow.commit()
        except IntegrityError:
            raise SiteExists(f"站点 {id} 已存在")    # a concurrent request registered it first
        return site


def get_site(uow, site_id: str) -> Site:
    with uow:
        site = uow.sites.get(site_id)
        if site is None:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        return site


def list_sites(uow, *, region: str | None = None, kind: str | None = None) -> list[Site]:
    with uow:
        return uow.sites.list(region=region, kind=kind)


def may_manage(principal: Principal, site: Site) -> bool:
    """Admin, the site's own station, or the station that supplies it (a station keeps its hospitals' numbers)."""
    if principal.role == "admin":
        return True
    return principal.role == "station" and principal.site_id in (site.id, site.supplier_id)


def set_demand(uow, principal: Principal, *, site_id: str, lines: list[dict], now: datetime) -> SiteDemand:
    keys = [(ln["component"], ln["abo"], ln["rhd"]) for ln in lines]
    if len(set(keys)) != len(keys):
        raise Unprocessable("同一成分和血型只能出现一次", errors={"lines": ["同一成分和血型只能出现一次"]})
    with uow:
        site = uow.sites.get(site_id)
        if site is None:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        if not may_manage(principal, site):
            raise NotYourSite("只能设置本站或本站所供医院的需求")
        uow.sites.set_demand(site_id, lines)
        holder = site.supplier_id or site.id        # whose days of supply this demand feeds
        regions = {s.id: s.region for s in uow.sites.get_many([holder]).values()}
        stock.refresh(uow, {(holder, c, a, r) for c, a, r in keys} | set(uow.stock.keys_of([holder])), now, regions)
        stored = uow.sites.demand(site_id)
        uow.commit()
        return stored


def get_demand(uow, site_id: str) -> SiteDemand:
    with uow:
        if uow.sites.get(site_id) is None:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        return uow.sites.demand(site_id)

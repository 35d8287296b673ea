"""Finding a site: the gateway asks the inventory service (which registers sites), signing a short-lived
service token. A site user's region is the site's: the gateway never takes it from what an admin typed."""
from __future__ import annotations

from urllib.parse import quote

import urllib3

from servicekit.errors import DomainError, Unprocessable

from .service_calls import service_get

SITE_ROLES = ("station", "hospital")     # the users (and HIS clients) that act for one site


class SiteLookupFailed(DomainError):
    status, code, title = 502, "upstream_unavailable", "无法从库存服务读取站点"


class SiteDirectory:
    def __init__(self, inventory_url: str, signer, http: urllib3.PoolManager):
        self.inventory_url = inventory_url
        self.signer = signer
        self.http = http

    def get(self, site_id: str) -> dict | None:
        """The site as the inventory service has it ({id, kind, region, ...}), or None when it is not registered."""
        try:
            resp = service_get(self.http, self.signer, f"{self.inventory_url}/api/v1/sites/{quote(site_id, safe='')}")
        except urllib3.exceptions.HTTPError as exc:
            raise SiteLookupFailed(f"库存服务无法连接：{exc.__class__.__name__}") from exc
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise SiteLookupFailed(f"库存服务返回 {resp.status}")
        return resp.json()


def site_region(role: str, site_id: str | None, region: str | None, site: dict | None) -> str | None:
    """The region a user or HIS client of `role` carries: its site's. `site` is what the directory returned
    for `site_id`. An unknown site, a site of the other kind, or a region that disagrees with the site's is a
    422 naming the field."""
    if role not in SITE_ROLES:
        return region
    if site is None:
        raise Unprocessable(f"站点 {site_id} 不存在", errors={"site_id": [f"站点 {site_id} 未登记"]})
    if site.get("kind") != role:
        raise Unprocessable("站点类型与角色不符",
                            errors={"site_id": [f"站点 {site_id} 不是{'血站' if role == 'station' else '医院'}"]})
    if region is not None and region != site["region"]:
        raise Unprocessable("地区与站点所属地区不一致",
                            errors={"region": [f"站点 {site_id} 属于 {site['region']}，不是 {region}"]})
    return site["region"]

"""Stock and warning levels per site × component × ABO × RhD: daily demand, days of supply, StockLevelChanged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from hemolink.calendar import SHANGHAI

from .. import forecast
from ..events import StockLevelChanged
from ..errors import SiteNotFound, UnknownRegion
from ..model import EPS, StockLegend, days_of_supply, raw_level, sustained_level, utc
from ..policy import DEFAULT_POLICY_REGION, FORECAST, GROUPS, LEVELS, NO_DATA, STOCK_POLICIES, TRACKED_COMPONENTS, stock_policy

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class StockRow:
    site_id: str
    region: str
    component: str
    abo: str
    rhd: str
    available_units: float
    daily_demand: float
    days_of_supply: float | None
    level: str              # what staff see: the warning level, or no_data when nothing is held or known to be used
    warning: str            # the warning level as stored and announced (StockLevelChanged): never no_data


def policy_for(region: str, now: datetime):
    return stock_policy(region, now.astimezone(SHANGHAI).date())


def daily_demand(uow, site_regions: dict[str, str], now: datetime) -> dict[Key, float]:
    """The demand forecast (forecast.py: trend, weekday, holidays, 调休) where the key has issues of at least
    FORECAST.min_history_days; the 28-day moving average of issues where it has that much; the configured
    baseline before.

    Issues are counted at the issuing site (`issued_from`); a station's baseline includes its hospitals'.
    """
    out: dict[Key, float] = {}
    by_window: dict[int, list[str]] = {}
    for site_id, region in site_regions.items():
        by_window.setdefault(policy_for(region, now).history_days, []).append(site_id)
    baseline = uow.sites.baseline_demand(site_regions)
    out.update(baseline)
    long_enough = now - timedelta(days=FORECAST.min_history_days)
    forecastable: dict[Key, datetime] = {}
    for window, site_ids in by_window.items():
        start = now - timedelta(days=window)
        for key, (first_issue, recent_u) in uow.units.issue_history(site_ids, start).items():
            average = moving_average(first_issue, recent_u, start, window)
            if average is not None:
                out[key] = average
            if first_issue is not None and utc(first_issue) <= long_enough:
                forecastable[key] = utc(first_issue)
    out.update(forecast_demand(uow, forecastable, now))
    return out


def forecast_demand(uow, keys: dict[Key, datetime], now: datetime) -> dict[Key, float]:
    """Mean forecast U/day of the next FORECAST.horizon_days (today, Asia/Shanghai, first) per key ({key: its
    first issue}), fitted on the issues of the FORECAST.history_days before today."""
    if not keys:
        return {}
    today = now.astimezone(SHANGHAI).date()
    since = datetime.combine(today - timedelta(days=FORECAST.history_days), datetime.min.time(), SHANGHAI)
    series: dict[Key, dict] = {key: {} for key in keys}
    for site_id, component, abo, rhd, issued_at, u in uow.units.issues_since(list(keys), since):
        day = utc(issued_at).astimezone(SHANGHAI).date()
        if day < today:                               # today is still being issued: not a whole day yet
            by_day = series[(site_id, component, abo, rhd)]
            by_day[day] = by_day.get(day, 0.0) + u
    for key, by_day in series.items():
        # Days without issues since the first one are zeros of the series, not gaps.
        start = max(keys[key].astimezone(SHANGHAI).date(), today - timedelta(days=FORECAST.history_days))
        by_day.setdefault(start, 0.0)
    return forecast.daily_rates(series, today, FORECAST)


def moving_average(first_issue, recent_u: float, start, window: int) -> float | None:
    """U/day over the window, once the key's issues began before the window did (else None: the baseline)."""
    if first_issue is None or first_issue > start:
        return None
    return recent_u / window


def _since(row) -> dict[str, datetime | None]:
    if row is None:
        return {}
    return {"yellow": row.yellow_since, "orange": row.orange_since, "red": row.red_since}


def compute(uow, site_regions: dict[str, str], now: datetime, keys: Iterable[Key] | None = None,
            stored: dict | None = None) -> list[StockRow]:
    """Live rows for the given sites: every tracked component × group, plus anything else held or demanded."""
    keys = None if keys is None else sorted(set(keys))
    available = uow.units.available_totals(site_regions, now, keys=keys)
    demand = daily_demand(uow, site_regions, now)
    stored = stored if stored is not None else uow.stock.stored(site_regions)
    if keys is None:
        wanted = {(s, c, a, r) for s in site_regions for c in TRACKED_COMPONENTS for a, r in GROUPS}
        wanted |= {k for k in available if k[0] in site_regions} | {k for k in demand if k[0] in site_regions}
    else:
        wanted = set(keys)
    rows = []
    for key in sorted(wanted):
        site_id, component, abo, rhd = key
        region = site_regions[site_id]
        policy = policy_for(region, now)
        avail, need = available.get(key, 0.0), demand.get(key, 0.0)
        days = days_of_supply(avail, need)
        level, _ = sustained_level(raw_level(days, component, policy), _since(stored.get(key)), now,
                                   policy.sustain_days, policy.escalation_sustain_days)
        # Nothing on the shelf and no demand known is not "healthy": nobody knows. A level is a judgement on
        # stock against use, so without either it is no_data (and never a StockLevelChanged).
        shown = NO_DATA if avail <= EPS and need <= EPS else level
        rows.append(StockRow(site_id, region, component, abo, rhd, round(avail, 2), need,
                             None if days is None else round(days, 2), shown, level))
    return rows


def refresh(uow, keys: Iterable[Key], now: datetime, regions: dict[str, str] | None = None) -> list[StockRow]:
    """Recompute the given keys inside the caller's transaction; announce each level that changed.

    Rows are locked in sorted key order (after the caller's unit writes), so concurrent use cases queue
    instead of deadlocking and announce a change once.
    """
    keys = sorted(set(keys))
    if not keys:
        return []
    sites = uow.sites.get_many(k[0] for k in keys)
    site_regions = {k[0]: (sites[k[0]].region if k[0] in sites else (regions or {}).get(k[0]) or DEFAULT_POLICY_REGION)
                    for k in keys}
    locked = {key: uow.stock.lock(key, site_regions[key[0]], now) for key in keys}
    rows = compute(uow, site_regions, now, keys=keys, stored=locked)
    for row in rows:
        key = (row.site_id, row.component, row.abo, row.rhd)
        stored = locked[key]
        policy = policy_for(row.region, now)
        days = days_of_supply(row.available_units, row.daily_demand)
        _, since = sustained_level(raw_level(days, row.component, policy), _since(stored), now,
                                   policy.sustain_days, policy.escalation_sustain_days)
        uow.stock.save(key, region=row.region, level=row.warning, available_units=row.available_units,
                       days_of_supply=row.days_of_supply, yellow_since=since["yellow"], orange_since=since["orange"],
                       red_since=since["red"], updated_at=now)
        previous = stored.level or LEVELS[0]
        if row.warning != previous:
            uow.publish(StockLevelChanged(site_id=row.site_id, region=row.region, component=row.component,
                                          abo=row.abo, rhd=row.rhd, level=row.warning, previous_level=previous,
                                          days_of_supply=row.days_of_supply, available_units=row.available_units,
                                          changed_at=now))
    return rows


def check_region(uow, region: str) -> None:
    """A region is known by its policy or its sites; anything else is 422 (inside the caller's transaction)."""
    if region not in STOCK_POLICIES and not uow.sites.list(region=region):
        raise UnknownRegion(f"地区 {region} 不存在", errors={"region": [f"未知地区：{region}"]})


def list_stock(uow, *, region: str | None = None, site_id: str | None = None, now: datetime) -> list[StockRow]:
    """An unknown site is 404 and an unknown region 422: an empty or all-green answer would read as healthy."""
    with uow:
        if region:
            check_region(uow, region)
        if site_id:
            site = uow.sites.get(site_id)
            if site is None:
                raise SiteNotFound(f"站点 {site_id} 不存在")
            if region and site.region != region:
                return []
            site_regions = {site_id: site.region}
        else:
            site_regions = {s.id: s.region for s in uow.sites.list(region=region, kind="station")}
        if not site_regions:
            return []
        from .reserves import with_reserves     # reserves import StockRow from here
        return with_reserves(uow, compute(uow, site_regions, now), now)


def policy_in_force(uow, *, region: str, now: datetime) -> StockLegend:
    """The thresholds staff read in the legend, per tracked component, as the levels are computed."""
    with uow:
        check_region(uow, region)
    return StockLegend(region, policy_for(region, now))


def refresh_all(uow, now: datetime) -> int:
    """Periodic: levels drift with time (moving average, consecutive-days rule). Returns rows refreshed."""
    with uow:
        stations = {s.id: s.region for s in uow.sites.list(kind="station")}
        keys = {(s, c, a, r) for s in stations for c in TRACKED_COMPONENTS for a, r in GROUPS}
        keys |= set(uow.stock.keys_of(stations))
        rows = refresh(uow, keys, now, stations)
        uow.commit()
        return len(rows)


def current_levels(uow, keys: Iterable[Key], region: str, now: datetime) -> dict[Key, str]:
    """Levels as they stand now (no write), for order cuts."""
    keys = list(keys)
    site_regions = {k[0]: region for k in keys}
    return {(r.site_id, r.component, r.abo, r.rhd): r.warning for r in compute(uow, site_regions, now, keys=keys)}

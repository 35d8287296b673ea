"""Stock history (#20), plain Python: the Asia/Shanghai day a snapshot belongs to, the days a history covers, and a
snapshot row from a row of the stock view (services/stock.py computes the values; nothing is judged again here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hemolink.calendar import shanghai_day

MAX_DAYS = 90          # what a history call may ask for (docs/api.md)
DEFAULT_DAYS = 28


@dataclass(frozen=True)
class Snapshot:
    """One site × component × ABO × RhD on one Shanghai day: the stock view's figures as they stood."""
    day: date
    site_id: str
    region: str
    component: str
    abo: str
    rhd: str
    available_units: float
    days_of_supply: float | None
    level: str          # as staff saw it (services/stock.py StockRow.level): green … red or no_data


@dataclass(frozen=True)
class LevelCounts:
    """Cells (site × component × ABO × RhD) at each level on one day."""
    day: date
    green: int = 0
    yellow: int = 0
    orange: int = 0
    red: int = 0
    no_data: int = 0


def window(now: datetime, days: int) -> tuple[date, date]:
    """The last `days` Shanghai days including today, as (first, last)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1–{MAX_DAYS}, not {days}")
    last = shanghai_day(now)
    return last - timedelta(days=days - 1), last


def snapshot_of(row, now: datetime) -> Snapshot:
    """The day's snapshot of a stock view row (anything with the StockRow fields)."""
    return Snapshot(day=shanghai_day(now), site_id=row.site_id, region=row.region, component=row.component,
                    abo=row.abo, rhd=row.rhd, available_units=row.available_units,
                    days_of_supply=row.days_of_supply, level=row.level)

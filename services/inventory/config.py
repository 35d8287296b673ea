"""Inventory service settings."""
from __future__ import annotations

from dataclasses import dataclass

from servicekit.config import BaseConfig


@dataclass(frozen=True)
class Config(BaseConfig):
    service_name: str = "inventory"
    database_url: str = "sqlite:///var/inventory.db"
    expiry_interval_s: float = 300.0     # how often the expiry job runs (EXPIRY_INTERVAL_S)
    # How often the snapshot job refreshes today's stock snapshot (SNAPSHOT_INTERVAL_S): the day keeps its last run's
    # picture, so the interval bounds how much of a day's end the history can miss.
    snapshot_interval_s: float = 900.0

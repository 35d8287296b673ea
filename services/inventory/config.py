"""Inventory service settings."""
from __future__ import annotations

from dataclasses import dataclass

from servicekit.config import BaseConfig


@dataclass(frozen=True)
class Config(BaseConfig):
    service_name: str = "inventory"
    database_url: str = "sqlite:///var/inventory.db"
    expiry_interval_s: float = 300.0     # how often the expiry job runs (EXPIRY_INTERVAL_S)

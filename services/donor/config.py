"""Donor service settings (same variable names as every service, plus its own)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from servicekit.config import BaseConfig

from .din import is_facility_id


@dataclass(frozen=True)
class Config(BaseConfig):
    service_name: str = "donor"
    database_url: str = "sqlite:///var/donor.db"
    default_region: str = "SH"
    din_facilities: str = "{}"     # JSON: station site id → ISBT 128 facility id (5 characters)
    appointment_interval_s: int = 600   # how often `python -m donor.jobs appointments` reminds and records no-shows

    def facility_ids(self) -> dict[str, str]:
        """DIN_FACILITIES, checked: each value must be a valid ISBT 128 facility id (FIN)."""
        mapping = json.loads(self.din_facilities or "{}")
        if not isinstance(mapping, dict):
            raise ValueError("DIN_FACILITIES must be a JSON object: station site id → facility id")
        bad = {site: fin for site, fin in mapping.items() if not isinstance(fin, str) or not is_facility_id(fin)}
        if bad:
            raise ValueError(f"DIN_FACILITIES has invalid ISBT 128 facility ids: {bad}")
        return mapping

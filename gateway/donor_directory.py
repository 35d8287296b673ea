"""Finding a donor by phone: the gateway asks the donor service, signing a short-lived service token."""
from __future__ import annotations

from urllib.parse import quote

import urllib3

from .service_calls import service_get


class DonorDirectory:
    def __init__(self, donor_url: str, signer, http: urllib3.PoolManager):
        self.donor_url = donor_url
        self.signer = signer
        self.http = http

    def find_by_phone(self, phone: str) -> dict | None:
        resp = service_get(self.http, self.signer, f"{self.donor_url}/api/v1/donors?phone={quote(phone)}")
        if resp.status != 200:
            raise RuntimeError(f"donor lookup failed with {resp.status}")
        donors = resp.json()
        return donors[0] if donors else None

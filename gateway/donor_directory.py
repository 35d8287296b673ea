"""Finding a donor by phone: the gateway asks the donor service, signing a short-lived service token."""
from __future__ import annotations

from urllib.parse import quote

import urllib3

from hemolink.access import ROLES
from servicekit.auth import issue_token


class DonorDirectory:
    def __init__(self, donor_url: str, jwt_secret: str, http: urllib3.PoolManager):
        self.donor_url = donor_url
        self.jwt_secret = jwt_secret
        self.http = http

    def find_by_phone(self, phone: str) -> dict | None:
        token = issue_token(self.jwt_secret, roles=ROLES, sub="gateway", role="service", ttl_s=60)
        resp = self.http.request("GET", f"{self.donor_url}/api/v1/donors?phone={quote(phone)}",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=urllib3.Timeout(connect=1.0, read=5.0), retries=False)
        if resp.status != 200:
            raise RuntimeError(f"donor lookup failed with {resp.status}")
        donors = resp.json()
        return donors[0] if donors else None

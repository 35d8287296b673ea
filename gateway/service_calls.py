"""The gateway's own calls to a service (looking a site or a donor up): signed with a 60-second service token."""
from __future__ import annotations

import urllib3

from hemolink.access import ROLES
from servicekit.auth import issue_token

TIMEOUT = urllib3.Timeout(connect=1.0, read=5.0)


def service_get(http: urllib3.PoolManager, signer, url: str) -> urllib3.BaseHTTPResponse:
    token = issue_token(signer, roles=ROLES, sub="gateway", role="service", ttl_s=60)
    return http.request("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT, retries=False)

"""GET /api/v1/health: the gateway, each service's /readyz and the broker, checked in parallel."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import urllib3

from servicekit.health import broker_reachable


def aggregate(upstreams: dict[str, str], bootstrap_servers: str, http: urllib3.PoolManager) -> dict:
    def check(base: str) -> str:
        try:
            resp = http.request("GET", base + "/readyz", timeout=urllib3.Timeout(connect=0.5, read=2.0),
                                retries=False)
            return "ok" if resp.status == 200 else "down"
        except Exception:
            return "down"

    with ThreadPoolExecutor(max_workers=len(upstreams) + 1) as pool:
        futures = {name: pool.submit(check, url) for name, url in upstreams.items()}
        broker = pool.submit(broker_reachable, bootstrap_servers)
        components = {"gateway": "ok", **{name: f.result() for name, f in futures.items()},
                      "broker": "ok" if broker.result() else "down"}
    status = "ok" if all(v == "ok" for v in components.values()) else "degraded"
    return {"status": status, "components": components}

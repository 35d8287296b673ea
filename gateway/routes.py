"""Routing table as data: public path prefix → upstream service. Longest prefix wins."""
from __future__ import annotations

# Paths the gateway answers itself are not here (auth, users, health, docs, console).
ROUTES: dict[str, str] = {
    "/api/v1/donors": "donor",
    "/api/v1/me": "donor",
    "/api/v1/me/notifications": "donor",
    "/api/v1/donation-points": "donor",
    "/api/v1/prescreening": "donor",
    "/api/v1/call-ups": "donor",
    "/api/v1/rare-donors": "donor",
    "/api/v1/emergency-teams": "donor",
    "/api/v1/rare-call-ups": "donor",
    "/api/v1/organisations": "donor",
    "/api/v1/drives": "donor",
    "/api/v1/group-donation": "donor",
    "/api/v1/sites": "inventory",
    "/api/v1/units": "inventory",
    "/api/v1/donations": "inventory",
    "/api/v1/stock": "inventory",
    "/api/v1/orders": "inventory",
    "/api/v1/transfusions": "inventory",
    "/api/v1/transfers": "inventory",
    "/api/v1/rebalancing": "inventory",
    "/api/v1/cold-chain": "inventory",     # #22
    "/api/v1/reserves": "inventory",
    "/api/v1/recalls": "inventory",                 # #22 lookback recalls
    "/api/v1/clinical-approvals": "inventory",      # #22 tiered clinical approval
    "/api/v1/waiver": "waiver",
    "/api/v1/me/entitlements": "waiver",
    "/api/v1/me/family": "waiver",
    "/api/v1/me/claims": "waiver",
}

_BY_LENGTH = sorted(ROUTES.items(), key=lambda item: len(item[0]), reverse=True)


def match(path: str) -> str | None:
    """The upstream for `path`, matching whole path segments (`/api/v1/mex` is not `/api/v1/me`)."""
    matched = match_route(path)
    return matched[1] if matched else None


def match_route(path: str) -> tuple[str, str] | None:
    """(prefix, upstream) for `path`: the prefix names the route in the metrics."""
    for prefix, upstream in _BY_LENGTH:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, upstream
    return None

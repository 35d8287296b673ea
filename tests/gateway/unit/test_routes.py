"""The routing table: longest prefix, whole path segments."""
import pytest

from gateway.routes import match


@pytest.mark.parametrize("path,upstream", [
    ("/api/v1/donors", "donor"),
    ("/api/v1/donors/abc/donations", "donor"),
    ("/api/v1/me", "donor"),
    ("/api/v1/me/notifications", "donor"),
    ("/api/v1/me/entitlements", "waiver"),
    ("/api/v1/me/claims", "waiver"),
    ("/api/v1/donations/A9999/test-result", "inventory"),
    ("/api/v1/waiver/policies", "waiver"),
    ("/api/v1/rebalancing/plans/1/approve", "inventory"),
    ("/api/v1/recalls/r1/lines/l1/answer", "inventory"),
    ("/api/v1/clinical-approvals", "inventory"),
    ("/api/v1/orders/o1/approval", "inventory"),
    ("/api/v1/stock/history", "inventory"),                 # #20
    ("/api/v1/stock/levels-history", "inventory"),
    ("/api/v1/donors/d1/post-donation-reports", "donor"),
])
def test_paths_route_to_their_owning_service(path, upstream):
    assert match(path) == upstream


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/users", "/api/v1/health", "/api/v1/mex",
                                  "/api/v1/donorsx", "/", "/api/v2/donors"])
def test_other_paths_are_the_gateways_own(path):
    assert match(path) is None

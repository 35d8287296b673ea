"""The gateway's health: each component's state (the conftest's inventory upstream and broker are dead)."""


def test_health_reports_each_component(client):
    body = client.get("/api/v1/health").get_json()
    assert set(body["components"]) == {"gateway", "donor", "inventory", "waiver", "broker"}
    assert body["components"]["inventory"] == "down" and body["components"]["broker"] == "down"
    assert body["status"] == "degraded"

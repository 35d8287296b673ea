"""Post-donation information: a station records that a donor reported illness after giving; the report goes to the
inventory as PostDonationReported (which looks back over the donor's blood) without the donor's words."""
from datetime import datetime, timedelta, timezone

from servicekit.outbox import envelopes
from tests.donor.integration.conftest import station


def test_a_station_records_a_report_and_the_inventory_is_told(client, new_donor, session_factory):
    donor = new_donor()
    onset = datetime.now(timezone.utc) - timedelta(days=3)
    resp = client.post(f"/api/v1/donors/{donor.id}/post-donation-reports", headers=station(site_id="JS-S01",
                                                                                          region="JS"),
                       json={"reason": "illness", "note": "献血后第三天发热、腹泻", "onset_at": onset.isoformat()})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["donor_id"] == donor.id and body["station_id"] == "JS-S01" and body["region"] == "JS"
    [event] = [e for e in envelopes(session_factory) if e["type"] == "PostDonationReported"]
    assert event["subject"] == donor.id and event["data"]["report_id"] == body["id"]
    assert event["data"]["reason"] == "illness" and "发热" not in str(event["data"])
    assert datetime.fromisoformat(event["data"]["onset_at"]) == onset


def test_a_bad_report_is_422_or_404_and_changes_nothing(client, new_donor, state):
    donor = new_donor()
    before = state()
    url = f"/api/v1/donors/{donor.id}/post-donation-reports"
    assert client.post(url, headers=station(), json={"reason": "bored"}).status_code == 422
    assert client.post(url, headers=station(), json={}).status_code == 422
    future = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    assert client.post(url, headers=station(), json={"reason": "illness", "onset_at": future}).status_code == 422
    assert client.post(url, headers=station(), json={"reason": "other", "note": "x" * 501}).status_code == 422
    missing = client.post("/api/v1/donors/nobody/post-donation-reports", headers=station(), json={"reason": "other"})
    assert missing.status_code == 404
    assert state() == before

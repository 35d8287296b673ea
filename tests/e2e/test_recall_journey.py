"""Lookback across services, through the gateway and the broker: a donor's blood reaches a hospital, the donor
reports illness after giving (donor service), and the inventory recalls the bag (PostDonationReported on
donor.events) without naming the donor; the hospital answers and the recall closes. Then an emergency order over
its tier goes ahead owing approval and is approved after."""
import time

from tests.helpers import make_national_id, wait_until
from tests.e2e.test_journeys import _donor, _own_station_and_hospital


def test_a_reported_illness_recalls_the_donors_blood_from_the_hospital(system):
    stamp = int(time.time()) % 300 + 300
    station_id, hospital_id = _own_station_and_hospital(system, stamp)
    station = system.staff(f"recall.station.{stamp}", "station", site_id=station_id)
    hospital = system.staff(f"recall.hospital.{stamp}", "hospital", site_id=hospital_id)
    donor, _ = _donor(system, station, birth="19870707", seq=stamp % 400 + 5, phone=f"1351{stamp:07d}", abo="B")
    donation = system.http.post(system.url(f"/api/v1/donors/{donor['id']}/donations"), headers=station, json={
        "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66, "systolic": 120, "diastolic": 80})
    assert donation.status_code == 201, donation.text
    din = donation.json()["din"]
    wait_until(lambda: [u for u in system.http.get(system.url(f"/api/v1/units?site_id={station_id}&abo=B"),
                                                   headers=station).json() if u["din"] == din], timeout_s=30)
    assert system.http.post(system.url(f"/api/v1/donations/{din}/test-result"), json={"qualified": True},
                            headers=station).status_code == 200
    order = system.http.post(system.url("/api/v1/orders"), headers=hospital, json={
        "lines": [{"component": "red_cells", "abo": "B", "rhd": "pos", "units": 2}], "priority": "urgent"}).json()
    [bag] = order["allocations"]

    report = system.http.post(system.url(f"/api/v1/donors/{donor['id']}/post-donation-reports"), headers=station,
                              json={"reason": "illness", "note": "献血后发热"})
    assert report.status_code == 201, report.text

    def recalled():
        return [r for r in system.http.get(system.url("/api/v1/recalls"), headers=hospital).json()
                if any(ln["unit_id"] == bag["id"] for ln in r["lines"])]
    [recall] = wait_until(recalled, timeout_s=30)
    assert recall["trigger"] == "post_donation_report" and donor["id"] not in str(recall)
    plasma = system.http.get(system.url(f"/api/v1/units?site_id={station_id}&component=plasma&abo=B"),
                             headers=station).json()
    assert [u["status"] for u in plasma if u["din"] == din] == ["quarantined"]     # held at the station
    [line] = recall["lines"]
    done = system.http.post(system.url(f"/api/v1/recalls/{recall['id']}/lines/{line['id']}/answer"),
                            headers=hospital, json={"answer": "returned"})
    assert done.status_code == 200 and done.json()["status"] == "closed", done.text


def test_an_emergency_over_its_tier_goes_ahead_owing_approval_and_is_approved_after(system):
    stamp = int(time.time()) % 300 + 600
    _, hospital_id = _own_station_and_hospital(system, stamp)
    hospital = system.staff(f"approval.hospital.{stamp}", "hospital", site_id=hospital_id)
    patient = make_national_id(birth="19600101", region="310115", seq=stamp % 400 + 7)
    system.remember(patient)
    body = {"lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 8}], "priority": "urgent",
            "patient_national_id": patient}
    refused = system.http.post(system.url("/api/v1/orders"), headers=hospital, json=body)
    assert refused.status_code == 422 and refused.json()["required_level"] == "medical_department", refused.text
    order = system.http.post(system.url("/api/v1/orders"), headers=hospital, json={**body, "priority": "emergency"})
    assert order.status_code == 201 and order.json()["approval"]["status"] == "owed", order.text
    owed = system.http.get(system.url("/api/v1/clinical-approvals?status=owed"), headers=hospital).json()
    assert [a["order_id"] for a in owed] == [order.json()["id"]] and patient not in str(owed)
    after = system.http.post(system.url(f"/api/v1/orders/{order.json()['id']}/approval"), headers=hospital,
                             json={"level": "medical_department", "approver_name": "医务处"})
    assert after.status_code == 200 and after.json()["status"] == "approved_after", after.text

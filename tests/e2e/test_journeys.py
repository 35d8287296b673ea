"""Whole journeys across services, through the gateway, as the users of the system live them."""
import time
from datetime import datetime, timedelta, timezone

from tests.helpers import make_national_id, wait_until


def _donor(system, station, *, birth, seq, phone, abo="A", rhd="pos"):
    nid = make_national_id(birth=birth, region="310115", seq=seq)
    system.remember(nid, phone)
    resp = system.http.post(system.url("/api/v1/donors"), headers=station,
                            json={"name": "旅程献血者", "national_id": nid, "phone": phone, "abo": abo, "rhd": rhd})
    assert resp.status_code == 201, resp.text
    return resp.json(), nid


def test_a_donor_signs_in_with_a_code_sent_to_their_phone(system):
    station = system.staff("journey.station", "station", site_id="SH-HP-S")
    phone = f"1360{int(time.time()) % 10_000_000:07d}"
    donor, _ = _donor(system, station, birth="19910303", seq=int(time.time()) % 300 + 1, phone=phone)
    sent = system.http.post(system.url("/api/v1/auth/donor/otp"), json={"phone": phone})
    assert sent.status_code == 202 and sent.json()["sent"] is True
    token = system.http.post(system.url("/api/v1/auth/donor/token"), json={"phone": phone, "code": sent.json()["dev_code"]})
    assert token.status_code == 200 and token.json()["donor_id"] == donor["id"]
    me = system.http.get(system.url("/api/v1/me"), headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == donor["id"] and phone not in me.text
    wrong = system.http.post(system.url("/api/v1/auth/donor/token"), json={"phone": phone, "code": "000000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_code"


def _own_station_and_hospital(system, stamp: int) -> tuple[str, str]:
    """A station and the hospital it supplies, created for this journey: no demo stock can be issued first."""
    station_id, hospital_id = f"SH-J{stamp}-S", f"SH-J{stamp}-H"
    for body in ({"id": station_id, "name": "旅程血站", "kind": "station", "region": "SH", "lat": 31.2, "lon": 121.5},
                 {"id": hospital_id, "name": "旅程医院", "kind": "hospital", "region": "SH", "supplier_id": station_id,
                  "lat": 31.21, "lon": 121.48}):
        resp = system.http.post(system.url("/api/v1/sites"), json=body, headers=system.admin())
        assert resp.status_code in (201, 409), resp.text
    return station_id, hospital_id


def test_from_donation_to_transfusion_to_a_waiver_at_discharge(system):
    stamp = int(time.time()) % 300
    station_id, hospital_id = _own_station_and_hospital(system, stamp)
    station = system.staff(f"journey.station.{stamp}", "station", site_id=station_id)
    hospital = system.staff(f"journey.hospital.{stamp}", "hospital", site_id=hospital_id)
    donor, donor_nid = _donor(system, station, birth="19880808", seq=stamp + 2, phone=f"1350{stamp:07d}", abo="AB")
    donation = system.http.post(system.url(f"/api/v1/donors/{donor['id']}/donations"), headers=station, json={
        "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66, "systolic": 120, "diastolic": 80})
    assert donation.status_code == 201, donation.text
    din = donation.json()["din"]

    # inventory learns of the donation from donor.events and quarantines its units
    def quarantined():
        units = system.http.get(system.url(f"/api/v1/units?site_id={station_id}&status=quarantined&abo=AB"),
                                headers=station).json()
        return [u for u in units if u["din"] == din]
    units = wait_until(quarantined, timeout_s=30)
    assert sorted(u["component"] for u in units) == ["plasma", "red_cells"]
    released = system.http.post(system.url(f"/api/v1/donations/{din}/test-result"), json={"qualified": True}, headers=station)
    assert released.status_code == 200 and {u["status"] for u in released.json()} == {"available"}

    # the hospital orders AB+ red cells from its station, which holds only this donation's bag
    order = system.http.post(system.url("/api/v1/orders"), headers=hospital, json={
        "lines": [{"component": "red_cells", "abo": "AB", "rhd": "pos", "units": 2}], "priority": "urgent"}).json()
    red = next(u for u in units if u["component"] == "red_cells")
    assert order["status"] == "fulfilled", order
    assert [u["id"] for u in order["allocations"]] == [red["id"]]
    patient = donor_nid                              # the donor is the patient: the self pool pays
    transfused_at = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    t = system.http.post(system.url("/api/v1/transfusions"), headers=hospital, json={
        "unit_id": red["id"], "patient_national_id": patient, "patient_name": "旅程患者", "transfused_at": transfused_at})
    assert t.status_code == 201, t.text

    # the waiver service has the donation (ledger) and the transfusion (cross-check): deduct at discharge
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={patient}")
    wait_until(lambda: system.http.get(lookup, headers=hospital).json().get("pools"), timeout_s=30)
    body = {"patient_national_id": patient, "patient_name": "旅程患者", "admission_no": f"ADM{stamp}",
            "lines": [{"unit_id": red["id"], "component": "red_cells", "volume_ml": 400, "amount_yuan": "440.00",
                       "transfused_at": transfused_at}]}
    key = {"Idempotency-Key": f"journey-{stamp}-{time.time()}"}
    first = system.http.post(system.url("/api/v1/waiver/direct-deductions"), json=body, headers={**hospital, **key})
    assert first.status_code == 201, first.text
    assert first.json()["waived_yuan"] == "440.00" and first.json()["patient_pays_yuan"] == "0.00"
    again = system.http.post(system.url("/api/v1/waiver/direct-deductions"), json=body, headers={**hospital, **key})
    assert again.status_code == 201 and again.json() == first.json()

    # the donor hears that their blood reached a patient (hospital and date, never who)
    otp = system.http.post(system.url("/api/v1/auth/donor/otp"), json={"phone": f"1350{stamp:07d}"}).json()
    token = system.http.post(system.url("/api/v1/auth/donor/token"),
                             json={"phone": f"1350{stamp:07d}", "code": otp["dev_code"]}).json()["access_token"]
    notes = wait_until(lambda: [n for n in system.http.get(system.url("/api/v1/me/notifications"),
                                                          headers={"Authorization": f"Bearer {token}"}).json()
                                if n["kind"] == "unit_used"], timeout_s=30)
    assert "旅程医院" in notes[0]["body"] and "旅程患者" not in notes[0]["body"] and patient not in notes[0]["body"]

    # the donor's child is discharged from the same hospital: the family pool pays on the hospital's attestation,
    # and the donor is told, with the relation and the amount but nothing that identifies the child
    child = make_national_id(birth="20150606", region="310115", seq=stamp + 3)
    system.remember(child)
    relative = {"patient_national_id": child, "patient_name": "旅程子女", "admission_no": f"ADM{stamp}-C",
                "donor_national_id": donor_nid, "relation": "child", "relation_attested": True,
                "relative_conditions_attested": True,
                "proof_ref": f"HIS-PROOF-{stamp}",
                "lines": [{"component": "red_cells", "volume_ml": 200, "amount_yuan": "220.00",
                           "transfused_at": transfused_at}]}
    paid = system.http.post(system.url("/api/v1/waiver/direct-deductions"), json=relative,
                            headers={**hospital, "Idempotency-Key": f"journey-child-{stamp}-{time.time()}"})
    assert paid.status_code == 201 and paid.json()["pools_used"][0]["kind"] == "family", paid.text
    told = wait_until(lambda: [n for n in system.http.get(system.url("/api/v1/me/notifications"),
                                                         headers={"Authorization": f"Bearer {token}"}).json()
                               if n["kind"] == "family_pool_used"], timeout_s=30)
    assert "子女" in told[0]["body"] and "220.00 元" in told[0]["body"]
    assert "旅程子女" not in told[0]["body"] and child not in told[0]["body"]


def test_a_donor_finds_a_point_near_them_books_a_slot_and_the_station_expects_them(system):
    """Mini-program → gateway → donor service: public search, sign-in by code, booking, the station's day sheet."""
    station = system.staff("journey.booking.station", "station", site_id="SH-HP-S")
    phone = f"1370{int(time.time()) % 10_000_000:07d}"
    donor, _ = _donor(system, station, birth="19920404", seq=int(time.time()) % 300 + 2, phone=phone, abo="B")
    tomorrow = (datetime.now(timezone.utc) + timedelta(hours=8) + timedelta(days=1)).date().isoformat()
    found = system.http.get(system.url("/api/v1/donation-points"),
                            params={"near": "31.2304,121.4737", "date": tomorrow, "kind": "whole_blood"})
    assert found.status_code == 200, found.text
    point = found.json()[0]
    assert point["name"] == "人民广场献血屋" and point["distance_km"] < 1      # the demo's point at 人民广场
    slot = next(s for s in point["slots"] if s["free"] > 0)
    questions = system.http.get(system.url("/api/v1/prescreening")).json()
    answers = {q["code"]: not q["defers_if"] for q in questions}
    code = system.http.post(system.url("/api/v1/auth/donor/otp"), json={"phone": phone}).json()["dev_code"]
    token = system.http.post(system.url("/api/v1/auth/donor/token"), json={"phone": phone, "code": code}).json()
    me = {"Authorization": f"Bearer {token['access_token']}"}
    booked = system.http.post(system.url("/api/v1/me/appointments"), headers=me, json={
        "point_id": point["id"], "kind": "whole_blood", "starts_at": slot["starts_at"], "answers": answers})
    assert booked.status_code == 201, booked.text
    sheet = system.http.get(system.url(f"/api/v1/donation-points/{point['id']}/day-sheet"), headers=station,
                            params={"date": tomorrow}).json()
    assert donor["id"] in {line["donor_id"] for line in sheet}
    inbox = system.http.get(system.url("/api/v1/me/notifications"), headers=me).json()
    assert any(n["kind"] == "appointment_booked" for n in inbox)
    cancelled = system.http.post(system.url(f"/api/v1/me/appointments/{booked.json()['id']}/cancel"), headers=me)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

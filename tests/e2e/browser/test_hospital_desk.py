"""A hospital's day in the console, in Chromium against the real system: order blood from its station, check the
delivered bags on a printable delivery note, record a transfusion, and at discharge look up the patient, preview
the deduction, confirm it, print the Chinese receipt and reverse it with a reason."""
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import make_national_id, wait_until


@pytest.fixture
def hospital_with_stock(system):
    """A station with one released AB+ donation (400 ml) and the hospital it supplies, both new to this test, and
    the donor, who will be the patient (their own pool pays)."""
    stamp = int(time.time() * 10) % 100_000
    station_id, hospital_id = f"SH-B{stamp}-S", f"SH-B{stamp}-H"
    for body in ({"id": station_id, "name": "浏览器血站", "kind": "station", "region": "SH", "lat": 31.2, "lon": 121.5},
                 {"id": hospital_id, "name": "浏览器测试医院", "kind": "hospital", "region": "SH",
                  "supplier_id": station_id, "lat": 31.21, "lon": 121.48}):
        assert system.http.post(system.url("/api/v1/sites"), json=body, headers=system.admin()).status_code == 201
    station = system.staff(f"browser.station.{stamp}", "station", site_id=station_id)
    username = f"browser.hospital.{stamp}"
    hospital = system.staff(username, "hospital", site_id=hospital_id)
    nid = make_national_id(birth="19870707", region="310115", seq=stamp % 400 + 5)
    phone = f"1370{stamp:07d}"
    system.remember(nid, phone)
    donor = system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "浏览器献血者", "national_id": nid, "phone": phone, "abo": "AB", "rhd": "pos"}).json()
    din = system.http.post(system.url(f"/api/v1/donors/{donor['id']}/donations"), headers=station, json={
        "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66, "systolic": 120,
        "diastolic": 80}).json()["din"]
    wait_until(lambda: system.http.get(system.url(f"/api/v1/units?site_id={station_id}&status=quarantined"),
                                       headers=station).json(), timeout_s=30)
    released = system.http.post(system.url(f"/api/v1/donations/{din}/test-result"), json={"qualified": True},
                                headers=station)
    assert released.status_code == 200, released.text
    return {"username": username, "password": "password-" + username, "hospital": hospital, "site": hospital_id,
            "nid": nid, "din": din}


def _issued(system, setup, status):
    return system.http.get(system.url(f"/api/v1/units?site_id={setup['site']}&status={status}"),
                           headers=setup["hospital"]).json()


def test_order_receive_transfuse_then_discharge_preview_confirm_print_and_reverse(console, system, hospital_with_stock):
    s = hospital_with_stock
    page = console.page
    console.login(s["username"], s["password"])
    assert page.url.endswith("#hospital")
    console.settled("hospital")

    # order: one line of AB+ red cells, urgent
    row = page.locator("#order-lines .line-row").first
    row.locator('select[aria-label="成分"]').select_option("red_cells")
    row.locator('select[aria-label="ABO 血型"]').select_option("AB")
    row.locator('select[aria-label="RhD"]').select_option("pos")
    row.locator('input[aria-label="数量 (U)"]').fill("2")
    page.select_option("#order-priority", "urgent")
    page.click("#order-submit")
    page.wait_for_selector("#order-card")
    card = console.text("#order-card")
    assert "已全部配发" in card and "加急" in card and s["din"] in card
    assert [u["din"] for u in _issued(system, s, "issued")] == [s["din"]]

    # the delivered bag, on a delivery note for its order
    page.wait_for_selector(f'#received-result .delivery:has-text("{s["din"]}")')
    console.shot("hospital-order")
    page.click('#received-result button:has-text("登记输血")')
    page.fill("#transfusion-patient-id", s["nid"])
    page.fill("#transfusion-patient-name", "浏览器患者")
    page.click("#transfusion-submit")
    page.wait_for_selector("#received-msg.msg-ok")
    assert page.input_value("#transfusion-patient-id") == ""
    assert _issued(system, s, "issued") == [] and [u["din"] for u in _issued(system, s, "transfused")] == [s["din"]]

    # discharge: the waiver service has the donation; look up, preview, confirm
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={s['nid']}")
    wait_until(lambda: system.http.get(lookup, headers=s["hospital"]).json().get("pools"), timeout_s=30)
    console.tab("discharge")
    console.settled("discharge")
    page.fill("#discharge-patient-id", s["nid"])
    page.click("#discharge-lookup")
    page.wait_for_selector("#discharge-pools table")
    assert "本人额度" in console.text("#discharge-pools")
    page.fill("#discharge-patient-id", s["nid"])
    page.fill("#discharge-patient-name", "浏览器患者")
    page.fill("#discharge-admission", f"ADM-{s['site']}")
    line = page.locator("#discharge-lines .line-row").first
    unit_option = line.locator('select[aria-label="血袋"] option', has_text=s["din"])
    line.locator('select[aria-label="血袋"]').select_option(unit_option.get_attribute("value"))
    assert line.locator('select[aria-label="成分"]').input_value() == "red_cells"
    line.locator('input[aria-label="血费 (元)"]').fill("440.00")
    page.click("#discharge-preview")
    page.wait_for_selector("#discharge-preview-card")
    assert "440.00 元" in console.text("#discharge-preview-card")
    assert page.input_value("#discharge-patient-id") == ""
    page.click("#discharge-confirm")
    page.wait_for_selector("#discharge-receipt")
    receipt = console.text("#discharge-receipt")
    assert "直免结算单" in receipt and "已直免" in receipt and "浏览器测试医院" in receipt
    assert "440.00 元" in receipt and "0.00 元" in receipt
    assert s["nid"] not in page.content(), "the raw national ID is never written to the page"
    deduction_id = page.inner_text("#discharge-receipt code.id").strip()
    stored = system.http.get(system.url(f"/api/v1/waiver/direct-deductions/{deduction_id}"), headers=s["hospital"]).json()
    assert stored["status"] == "applied" and stored["waived_yuan"] == "440.00"
    assert "确认按预览结果直免" in console.dialogs[-1]

    # the printable receipt: printing shows the receipt and hides the rest of the console
    page.evaluate("() => { document.querySelector('#discharge-receipt').classList.add('print-target');"
                  " document.body.classList.add('printing'); }")
    page.emulate_media(media="print")
    assert page.locator("#tabs").evaluate("n => getComputedStyle(n).visibility") == "hidden"
    assert page.locator("#discharge-receipt").evaluate("n => getComputedStyle(n).visibility") == "visible"
    console.shot("discharge-receipt-print")
    page.emulate_media(media="screen")
    page.evaluate("() => { document.querySelector('#discharge-receipt').classList.remove('print-target');"
                  " document.body.classList.remove('printing'); }")
    console.shot("discharge-receipt")
    page.locator("#discharge-receipt").screenshot(path=str(console.shots / "discharge-desk.png"))

    # a reversal needs a reason; without one nothing is sent
    page.click("#reverse-submit")
    page.wait_for_selector("#discharge-msg.msg-error")
    assert system.http.get(system.url(f"/api/v1/waiver/direct-deductions/{deduction_id}"),
                           headers=s["hospital"]).json()["status"] == "applied"
    page.fill("#reverse-reason", "收费录入错误，重新结算")
    page.click("#reverse-submit")
    page.wait_for_selector('#discharge-receipt:has-text("已冲正")')
    assert "收费录入错误" in console.text("#discharge-receipt")
    reversed_ = system.http.get(system.url(f"/api/v1/waiver/direct-deductions/{deduction_id}"), headers=s["hospital"]).json()
    assert reversed_["status"] == "reversed" and reversed_["reverse_reason"] == "收费录入错误，重新结算"

    # the reversed deduction is found again by its number
    page.fill("#deduction-find-id", deduction_id)
    page.click("#deduction-find-submit")
    page.wait_for_selector('#discharge-receipt:has-text("冲正理由")')


def test_a_preview_goes_stale_when_the_form_changes_and_bad_lines_are_refused_before_sending(console, system,
                                                                                             hospital_with_stock):
    s = hospital_with_stock
    page = console.page
    console.login(s["username"], s["password"])
    console.tab("discharge")
    console.settled("discharge")
    page.fill("#discharge-patient-id", s["nid"])
    page.fill("#discharge-patient-name", "浏览器患者")
    page.fill("#discharge-admission", "ADM-STALE")
    page.locator('#discharge-lines input[aria-label="血费 (元)"]').first.fill("12.345")
    page.click("#discharge-preview")
    page.wait_for_selector("#discharge-msg.msg-error")
    assert "第 1 行血费" in console.text("#discharge-msg")
    page.fill("#discharge-patient-id", s["nid"])
    page.locator('#discharge-lines input[aria-label="血费 (元)"]').first.fill("220.00")
    page.click("#discharge-preview")
    page.wait_for_selector("#discharge-preview-card")
    page.fill("#discharge-admission", "ADM-STALE-2")
    page.wait_for_selector("#discharge-msg.msg-info")
    assert page.locator("#discharge-preview-card").count() == 0
    assert system.http.get(system.url("/api/v1/waiver/settlements?hospital_id=" + s["site"] + "&month="
                                      + datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")), headers=s["hospital"]).json()["count"] == 0

"""A reviewer's claim in Chromium against the real system: a mail claim filed with its documents, opened from the
queue, its documents read inline (an image shown, a PDF framed) from the waiver service's document endpoint, then
approved and paid."""
import struct
import time
import zlib

import pytest

from tests.helpers import make_national_id, wait_until


def _png(width=6, height=4) -> bytes:
    """A real (tiny, red) PNG: the browser must decode it to show it."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xc0\x26\x2d" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def submitted_claim(system):
    station = system.login("station.hp", "password1")
    reviewer = system.login("reviewer.sh", "password1")
    stamp = int(time.time() * 10) % 100_000
    nid = make_national_id(birth="19850505", region="310115", seq=stamp % 400 + 7)
    phone = f"1380{stamp:07d}"
    system.remember(nid, phone)
    donor = system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "浏览器申请人", "national_id": nid, "phone": phone, "abo": "O", "rhd": "pos"}).json()
    assert system.http.post(system.url(f"/api/v1/donors/{donor['id']}/donations"), headers=station, json={
        "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66, "systolic": 120,
        "diastolic": 80}).status_code == 201
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={nid}")
    wait_until(lambda: system.http.get(lookup, headers=reviewer).json().get("pools"), timeout_s=30)
    transfused_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 300))  # after the donation
    claim = system.http.post(system.url("/api/v1/waiver/claims"), headers=reviewer, json={
        "channel": "mail", "patient_national_id": nid, "patient_name": "浏览器申请人", "relation": "self",
        "hospital_name": "外省人民医院", "invoice_no": f"FP{stamp}", "tracking_no": f"SF{stamp:010d}",
        "lines": [{"component": "red_cells", "volume_ml": 400, "units": 2, "amount_yuan": "440.00",
                   "transfused_at": transfused_at}],
        "bank": {"account_name": "浏览器申请人", "account_no": "6222020200112233445", "bank_name": "工商银行"}})
    assert claim.status_code == 201, claim.text
    claim_id = claim.json()["id"]
    for kind, data, name in (("id_card", _png(), "身份证.png"), ("donation_certificate", _png(8, 8), "献血证.png"),
                             ("invoice", PDF, "发票.pdf"), ("transfusion_record", PDF, "输血记录.pdf")):
        up = system.http.post(system.url(f"/api/v1/waiver/claims/{claim_id}/documents"), headers=reviewer,
                              data={"kind": kind}, files={"file": (name, data)})
        assert up.status_code == 201, up.text
    submitted = system.http.post(system.url(f"/api/v1/waiver/claims/{claim_id}/submit"), headers=reviewer)
    assert submitted.status_code == 200, submitted.text
    return {"id": claim_id, "reviewer": reviewer, "nid": nid}


def test_a_reviewer_reads_the_documents_inline_then_approves_and_pays(console, system, submitted_claim):
    claim_id = submitted_claim["id"]
    page = console.page
    console.login("reviewer.sh")
    console.settled("claims")
    page.select_option("#claims-channel", "mail")
    page.click("#claims-submit")
    console.settled("claims")
    page.click(f'#claims-result tr:has-text("{claim_id}") button:has-text("查看")')
    page.wait_for_selector("#claim-detail:not([hidden])")
    assert "身份证.png" in console.text("#claim-detail-body")

    page.click('#claim-detail-body tr:has-text("身份证.png") button[data-document]')
    image = page.wait_for_selector("#doc-viewer img.doc-image")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [6, 4]
    assert image.get_attribute("src").startswith("blob:")
    page.click('#claim-detail-body tr:has-text("发票.pdf") button[data-document]')
    frame = page.wait_for_selector("#doc-viewer iframe.doc-frame")
    assert frame.get_attribute("src").startswith("blob:") and page.locator("#doc-viewer img").count() == 0
    console.shot("reviewer-claim-documents")
    page.click('#doc-viewer button:has-text("关闭材料")')
    page.wait_for_selector("#doc-viewer", state="hidden")

    # the donor's remaining entitlement beside the claim, from the ID the reviewer reads off the ID card
    page.fill("#claim-ent-id", submitted_claim["nid"])
    page.click("#claim-ent-submit")
    page.wait_for_selector("#claim-ent-result table")
    assert "本人额度" in console.text("#claim-ent-result") and page.input_value("#claim-ent-id") == ""
    assert submitted_claim["nid"] not in page.content()

    page.click("#claim-approve")
    page.wait_for_selector("#claim-msg.msg-ok, #claim-msg.msg-error")
    assert "msg-ok" in page.get_attribute("#claim-msg", "class"), console.text("#claim-msg")
    assert "440.00 元" in console.text("#claim-msg")
    page.fill("#claim-payment-ref", f"PAY-{claim_id[:8]}")
    page.click("#claim-pay")
    page.wait_for_selector('#claim-msg.msg-ok:has-text("已登记付款")')
    stored = system.http.get(system.url(f"/api/v1/waiver/claims/{claim_id}"), headers=submitted_claim["reviewer"]).json()
    assert stored["status"] == "paid" and stored["approved_yuan"] == "440.00"


def test_a_reviewer_verifies_one_family_binding_and_rejects_another_with_a_reason(console, system):
    station = system.login("station.hp", "password1")
    stamp = int(time.time() * 10) % 100_000
    nid = make_national_id(birth="19800808", region="310115", seq=stamp % 400 + 9)
    phone = f"1390{stamp:07d}"
    system.remember(nid, phone)
    assert system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "浏览器家属献血者", "national_id": nid, "phone": phone, "abo": "A", "rhd": "pos"}).status_code == 201
    code = system.http.post(system.url("/api/v1/auth/donor/otp"), json={"phone": phone}).json()["dev_code"]
    token = system.http.post(system.url("/api/v1/auth/donor/token"), json={"phone": phone, "code": code}).json()
    me = {"Authorization": f"Bearer {token['access_token']}"}
    names = {"spouse": f"配偶{stamp}", "child": f"子女{stamp}"}
    ids = {}
    for relation, birth in (("spouse", "19810909"), ("child", "20100101")):
        relative = make_national_id(birth=birth, region="310115", seq=stamp % 400 + 11)
        system.remember(relative)
        def bind():   # the waiver service learns of the donor from donor.events: refused (changing nothing) until then
            resp = system.http.post(system.url("/api/v1/me/family"), headers=me,
                                    json={"name": names[relation], "national_id": relative, "relation": relation})
            assert resp.status_code in (201, 422), resp.text
            return resp if resp.status_code == 201 else None
        made = wait_until(bind, timeout_s=30, interval_s=0.5)
        ids[relation] = made.json()["id"]

    page = console.page
    console.login("reviewer.sh")
    console.tab("family")
    console.settled("family")
    page.click(f'button[data-verify="{ids["spouse"]}"]')
    page.wait_for_selector("#family-msg.msg-ok")
    page.click(f'button[data-reject="{ids["child"]}"]')
    page.wait_for_selector("#family-msg.msg-error")         # a rejection needs a reason: nothing sent
    page.fill(f'tr:has(button[data-reject="{ids["child"]}"]) input', "出生证明与登记信息不符")
    page.click(f'button[data-reject="{ids["child"]}"]')
    page.wait_for_selector(f'#family-msg.msg-ok:has-text("{names["child"]}")')
    mine = {b["id"]: b for b in system.http.get(system.url("/api/v1/me/family"), headers=me).json()}
    assert mine[ids["spouse"]]["status"] == "verified" and mine[ids["child"]]["status"] == "rejected"
    assert page.locator(f'button[data-verify="{ids["spouse"]}"]').count() == 0     # no longer pending

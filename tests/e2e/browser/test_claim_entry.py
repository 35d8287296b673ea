"""The waiver office enters claims itself in Chromium against the real system: a posted (邮寄) claim for a donor
looked up by ID, its documents uploaded from files, refused while one is missing (and left a draft), then submitted
into the review queue and read there; a relative's claim made at the counter (现场), kept as a draft and finished from the queue; files the service would refuse
(too large, not a PDF/JPEG/PNG) told in Chinese."""
import time

import pytest

from tests.e2e.browser.test_reviewer_desk import PDF, _png
from tests.helpers import make_national_id, wait_until


@pytest.fixture
def entry_donor(system):
    """A donor who gave 400 ml two hours ago (in Shanghai), known to the waiver service."""
    station = system.login("station.hp", "password1")
    reviewer = system.login("reviewer.sh", "password1")
    stamp = int(time.time() * 10) % 100_000
    nid = make_national_id(birth="19870707", region="310115", seq=stamp % 400 + 13)
    phone = f"1370{stamp:07d}"
    system.remember(nid, phone)
    donor = system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "录入申请人", "national_id": nid, "phone": phone, "abo": "B", "rhd": "pos"}).json()
    collected = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 7200))
    assert system.http.post(system.url(f"/api/v1/donors/{donor['id']}/donations"), headers=station, json={
        "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66, "systolic": 120,
        "diastolic": 80, "collected_at": collected}).status_code == 201
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={nid}")
    wait_until(lambda: system.http.get(lookup, headers=reviewer).json().get("pools"), timeout_s=30)
    return {"nid": nid, "stamp": stamp, "reviewer": reviewer}


def _look_up(console, nid):
    page = console.page
    page.fill("#entry-donor-id", nid)
    page.click("#entry-donor-lookup")
    page.wait_for_selector("#entry-donor table")
    assert page.input_value("#entry-donor-id") == ""                 # the raw ID left the page at once
    shown = console.text("#entry-donor")
    assert "录入申请人" in shown and nid[-4:] in shown and "本人额度" in shown


def _fill_claim(page, stamp, *, amount="440.00"):
    page.fill("#entry-hospital", "外省人民医院")
    page.fill("#entry-invoice", f"FP-E{stamp}")
    page.fill('#entry-lines input[aria-label="用量 (ml)"]', "400")
    page.fill('#entry-lines input[aria-label="血费 (元)"]', amount)
    page.fill("#entry-bank-account-name", "录入申请人")
    page.fill("#entry-bank-account-no", "6222020200998877665")
    page.fill("#entry-bank-name", "建设银行")


def _upload(console, kind, name, data, mime):
    page = console.page
    page.select_option("#entry-doc-kind", kind)
    page.set_input_files("#entry-doc-file", {"name": name, "mimeType": mime, "buffer": data})
    page.click("#entry-doc-upload")
    page.wait_for_selector("#entry-doc-msg.msg-ok, #entry-doc-msg.msg-error")
    return page.get_attribute("#entry-doc-msg", "class"), console.text("#entry-doc-msg")


def test_a_reviewer_enters_a_mail_claim_uploads_its_documents_and_submits_it_into_the_queue(console, system,
                                                                                             entry_donor):
    nid, stamp = entry_donor["nid"], entry_donor["stamp"]
    page = console.page
    console.expect_error(r"status of (413|415|422)")     # the refusals this test provokes on purpose
    console.login("reviewer.sh")
    console.settled("claims")
    page.click("#entry-open")
    page.wait_for_selector("#claim-entry:not([hidden])")
    assert page.get_attribute("#entry-open", "aria-expanded") == "true"
    assert page.evaluate("() => document.activeElement.id") == "entry-channel"      # the keyboard starts there
    page.select_option("#entry-channel", "mail")
    page.fill("#entry-tracking", f"SF{stamp:010d}")
    # the day the posted papers arrived: yesterday in Shanghai
    yesterday = page.evaluate("() => new Date(Date.now() - 864e5).toLocaleDateString('en-CA', "
                              "{timeZone: 'Asia/Shanghai'})")
    page.fill("#entry-received", yesterday)

    # saving before the donor is looked up says what is missing, in Chinese
    page.click("#entry-create")
    page.wait_for_selector("#entry-msg.msg-error")
    assert "先查询献血者" in console.text("#entry-msg")

    _look_up(console, nid)
    assert page.input_value("#entry-patient-name") == "录入申请人"     # relation 本人: the donor is the patient
    _fill_claim(page, stamp)
    page.click("#entry-create")
    page.wait_for_selector("#entry-docs:not([hidden])")
    assert "草稿已保存" in console.text("#entry-msg")
    claim_id = page.inner_text("#entry-draft code.id")
    required = page.eval_on_selector_all("#entry-required li", "items => items.map(i => [i.dataset.kind, i.dataset.present])")
    assert required == [["id_card", "no"], ["donation_certificate", "no"], ["invoice", "no"]]   # Shanghai, self
    assert "邮寄" in console.text("#entry-draft") and yesterday in console.text("#entry-draft")

    # files the service would refuse: over 10 MB (said before sending), not a PDF/JPEG/PNG (the service sniffs it)
    cls, text = _upload(console, "invoice", "扫描件.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "application/pdf")
    assert "msg-error" in cls and "超过 10 MB 上限，请压缩或分页扫描后上传" in text   # the console's own words: not sent
    cls, text = _upload(console, "invoice", "发票.pdf", "这是一段文字，不是 PDF".encode(), "application/pdf")
    assert "msg-error" in cls and "材料须为 PDF、JPEG 或 PNG 文件" in text
    cls, text = _upload(console, "invoice", "发票.pdf", PDF, "application/pdf")
    assert "msg-ok" in cls and "已上传发票" in text
    cls, text = _upload(console, "transfusion_record", "输血记录.png", _png(12, 9), "image/png")
    assert "msg-ok" in cls

    # submitting with documents missing: refused in Chinese, naming them, and the claim stays a draft
    page.click("#entry-submit")
    page.wait_for_selector("#entry-doc-msg.msg-error")
    refused = console.text("#entry-doc-msg")
    assert "缺少必需的材料" in refused and "身份证件" in refused and "献血证" in refused and "仍为草稿" in refused
    stored = system.http.get(system.url(f"/api/v1/waiver/claims/{claim_id}"), headers=entry_donor["reviewer"]).json()
    assert stored["status"] == "draft" and len(stored["documents"]) == 2 and stored["received_on"] == yesterday
    present = page.eval_on_selector_all("#entry-required li", "items => items.map(i => i.dataset.present)")
    assert present == ["no", "no", "yes"]
    console.shot("claim-entry")

    assert "msg-ok" in _upload(console, "id_card", "身份证.png", _png(), "image/png")[0]
    assert "msg-ok" in _upload(console, "donation_certificate", "献血证.pdf", PDF, "application/pdf")[0]
    page.click("#entry-submit")
    page.wait_for_selector("#entry-msg.msg-ok:has-text('已进入待审核队列')")
    assert page.is_hidden("#entry-docs")

    # in the queue, opened beside it, its documents readable inline
    page.wait_for_selector(f'#claims-result tr:has-text("{claim_id}")')
    assert "待审核" in page.inner_text(f'#claims-result tr:has-text("{claim_id}")')
    page.wait_for_selector("#claim-detail:not([hidden])")
    detail = console.text("#claim-detail-body")
    assert claim_id in detail and f"SF{stamp:010d}" in detail
    page.click('#claim-detail-body tr:has-text("输血记录.png") button[data-document]')
    image = page.wait_for_selector("#doc-viewer img.doc-image")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [12, 9]
    stored = system.http.get(system.url(f"/api/v1/waiver/claims/{claim_id}"), headers=entry_donor["reviewer"]).json()
    assert stored["status"] == "submitted" and stored["channel"] == "mail" and len(stored["documents"]) == 4
    assert nid not in page.content()


def test_a_reviewer_enters_a_relatives_claim_at_the_counter(console, system, entry_donor):
    nid, stamp = entry_donor["nid"], entry_donor["stamp"]
    spouse = make_national_id(birth="19880808", region="310115", seq=stamp % 400 + 17)
    system.remember(spouse)
    page = console.page
    console.login("reviewer.sh")
    console.settled("claims")
    page.click("#entry-open")
    page.select_option("#entry-channel", "on_site")
    assert page.is_hidden("#entry-tracking") and page.is_hidden("#entry-received")    # nothing posted
    _look_up(console, nid)
    page.select_option("#entry-relation", "spouse")
    page.fill("#entry-patient-id", spouse)
    page.fill("#entry-patient-name", "录入配偶")
    page.check("#entry-conditions")
    _fill_claim(page, stamp + 1, amount="220.00")
    page.click("#entry-create")
    page.wait_for_selector("#entry-docs:not([hidden])")
    assert page.input_value("#entry-patient-id") == ""
    claim_id = page.inner_text("#entry-draft code.id")
    kinds = page.eval_on_selector_all("#entry-required li", "items => items.map(i => i.dataset.kind)")
    assert kinds == ["id_card", "donation_certificate", "invoice", "kinship_proof"]    # Shanghai, a relative
    for kind in kinds[:2]:
        assert "msg-ok" in _upload(console, kind, f"{kind}.pdf", PDF, "application/pdf")[0]
    # the applicant fetches the kinship papers: the draft is kept, and finished later from the queue
    page.click("#entry-later")
    page.wait_for_selector("#entry-msg.msg-info:has-text('已保留')")
    assert page.is_hidden("#entry-docs") and page.is_visible("#entry-form")
    page.select_option("#claims-status", "draft")
    page.select_option("#claims-channel", "on_site")
    page.click("#claims-submit")
    console.settled("claims")
    page.click(f'#claims-result tr:has-text("{claim_id}") button:has-text("查看")')
    page.click("#claim-resume")
    page.wait_for_selector("#entry-docs:not([hidden])")
    present = page.eval_on_selector_all("#entry-required li", "items => items.map(i => i.dataset.present)")
    assert present == ["yes", "yes", "no", "no"] and page.input_value("#entry-doc-kind") == "invoice"
    for kind in kinds[2:]:
        assert "msg-ok" in _upload(console, kind, f"{kind}.pdf", PDF, "application/pdf")[0]
    page.click("#entry-submit")
    page.wait_for_selector("#entry-msg.msg-ok:has-text('已进入待审核队列')")
    page.wait_for_selector(f'#claims-result tr:has-text("{claim_id}")')
    assert "现场" in page.inner_text(f'#claims-result tr:has-text("{claim_id}")')
    stored = system.http.get(system.url(f"/api/v1/waiver/claims/{claim_id}"), headers=entry_donor["reviewer"]).json()
    assert (stored["status"], stored["channel"], stored["relation"]) == ("submitted", "on_site", "spouse")
    assert stored["relative_conditions_attested"] is True and stored["received_on"] is None
    assert spouse not in page.content() and nid not in page.content()

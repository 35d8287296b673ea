"""The recall desk in Chromium against the demo data (`make up` loads one recall reaching 黄浦区人民医院 and
南京市人民医院): a station sees the recall and its closure statistics; the Shanghai hospital sees only its own line,
never the donor, and answers it, which closes the recall."""
import re

from .conftest import DEMO_PASSWORD


def test_the_hospital_answers_its_recalled_unit_and_the_station_sees_the_recall_close(console, system):
    console.login("station.hp", DEMO_PASSWORD)
    console.tab("recalls")
    console.settled("recalls")
    assert "HIV" in console.text("#recalls-result") and "JS-NJ-H" in console.text("#recalls-result")
    assert "近 90 天召回统计" in console.text("#recalls-stats")
    console.page.click("#logout")
    console.login("hospital.hp", DEMO_PASSWORD)
    console.tab("recalls")
    console.settled("recalls")
    shown = console.text("#recalls-result")
    assert "JS-NJ-H" not in shown and "demo-donor" not in shown
    console.page.select_option("#recalls-result select[aria-label='答复']", "destroyed")
    console.page.click("#recalls-result button[data-answer]")
    console.page.wait_for_selector("#recalls-msg.msg-ok")
    assert re.search("召回已全部完成并关闭", console.text("#recalls-msg"))


def test_an_order_past_its_tier_shows_the_approval_needed_and_goes_through_with_it(console, system):
    from tests.helpers import make_national_id

    patient = make_national_id(birth="19700101", region="310115", seq=77)
    system.remember(patient)
    console.expect_error(r"status of 422")
    console.login("hospital.hp", DEMO_PASSWORD)
    console.tab("hospital")
    console.settled("hospital")
    console.page.fill("#order-lines input[type='number']", "4")        # 4 U red cells: 800 ml
    console.page.fill("#order-patient-id", patient)
    console.page.click("#order-submit")
    console.page.wait_for_selector("#order-msg.msg-error")
    assert "超出本级用血审批权限" in console.text("#order-msg") and "科室主任" in console.text("#order-msg")
    assert console.page.input_value("#order-patient-id") == ""          # the ID is not kept in the page
    console.page.fill("#order-patient-id", patient)
    console.page.select_option("#order-approval-level", "department_head")
    console.page.fill("#order-approver", "李主任")
    console.page.click("#order-submit")
    console.page.wait_for_selector("#order-card")
    assert "已审批" in console.text("#order-card") and "800 ml" in console.text("#order-card")
    assert patient not in console.page.content()

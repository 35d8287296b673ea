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

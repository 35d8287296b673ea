"""The 冷链 tab in Chromium against the demo data: the Huangpu station sees its one open excursion (the demo fridge,
4 bags held), the last 30 days' figures and its holiday reserve, and releases the excursion with a reason.
Named to run last: the release puts the demo's held bags back into stock, which the stock-picture tests read."""


def test_the_station_releases_its_demo_excursion_with_a_reason(console, system):
    console.login("station.hp", "password1")
    console.tab("coldchain")
    console.settled("coldchain")
    page = console.page
    rows = page.locator("#coldchain-result tbody tr")
    assert rows.count() == 1
    row_text = rows.first.inner_text()
    assert "待处理" in row_text and "SH-HP-S" in row_text and "8.9" in row_text
    assert "温度偏离次数" in console.text("#coldchain-stats")
    assert "元旦假期用血储备" in console.text("#coldchain-reserves")
    page.fill("#coldchain-result tbody tr input", "复核冰箱记录仪，确认为门未关严的短时升温，血液可用")
    page.click("#coldchain-result tbody tr button[data-decision='release']")
    page.wait_for_selector("#coldchain-msg.msg-success")
    console.settled("coldchain")
    assert any("放行" in d for d in console.dialogs)
    assert "没有温度偏离记录" in console.text("#coldchain-result")          # nothing open any more

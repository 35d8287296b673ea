"""减免统计's trends and the stock picture's days-of-supply trend in Chromium against the real system: a reviewer sees
the months by channel, the zero-trip share and the median days to pay as SVG charts whose bars and points are the
numbers GET /waiver/stats/monthly gives; an admin switches region; the chart module itself drawn from fixed data.

The warning levels over time and a cell's days of supply are checked against GET /stock/levels-history and
/stock/history on the demo's four weeks of history."""
import io
import json
import math
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import make_national_id, wait_until

from .conftest import ADMIN

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
CHANNELS = ["direct", "mini_program", "mail", "on_site"]


def _months(count=12):
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    year, month = now.year, now.month
    out = []
    for _ in range(count):
        out.insert(0, f"{year}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


@pytest.fixture
def waived_this_month(system):
    """This month in Shanghai: one direct deduction at hospital.hp and one mail claim approved and paid."""
    station = system.login("station.hp", "password1")
    hospital = system.login("hospital.hp", "password1")
    reviewer = system.login("reviewer.sh", "password1")
    stamp = int(time.time() * 10) % 100_000
    nid = make_national_id(birth="19860606", region="310115", seq=stamp % 400 + 11)
    phone = f"1390{stamp:07d}"
    system.remember(nid, phone)
    donor = system.http.post(system.url("/api/v1/donors"), headers=station, json={
        "name": "统计献血者", "national_id": nid, "phone": phone, "abo": "O", "rhd": "pos"}).json()
    assert system.http.post(system.url(f"/api/v1/donors/{donor['id']}/donations"), headers=station, json={
        "kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 66, "systolic": 120,
        "diastolic": 80}).status_code == 201
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={nid}")
    wait_until(lambda: system.http.get(lookup, headers=reviewer).json().get("pools"), timeout_s=30)
    used = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    line = {"component": "red_cells", "volume_ml": 200, "units": 1, "amount_yuan": "220.00", "transfused_at": used}
    d = system.http.post(system.url("/api/v1/waiver/direct-deductions"), headers={**hospital, "Idempotency-Key": f"st{stamp}"},
                         json={"patient_national_id": nid, "patient_name": "统计献血者", "admission_no": f"ST{stamp}",
                               "lines": [line]})
    assert d.status_code == 201, d.text
    claim = system.http.post(system.url("/api/v1/waiver/claims"), headers=reviewer, json={
        "channel": "mail", "patient_national_id": nid, "patient_name": "统计献血者", "relation": "self",
        "hospital_name": "外省人民医院", "invoice_no": f"TJ{stamp}", "tracking_no": f"SF{stamp:010d}",
        "lines": [{**line, "amount_yuan": "100.00"}],
        "bank": {"account_name": "统计献血者", "account_no": "6222020200112233445", "bank_name": "工商银行"}})
    assert claim.status_code == 201, claim.text
    cid = claim.json()["id"]
    for kind in ("id_card", "donation_certificate", "invoice", "transfusion_record"):
        up = system.http.post(system.url(f"/api/v1/waiver/claims/{cid}/documents"), headers=reviewer,
                              data={"kind": kind}, files={"file": (f"{kind}.pdf", io.BytesIO(PDF))})
        assert up.status_code == 201, up.text
    for step, body in (("submit", None), ("approve", None), ("pay", {"payment_ref": f"P{stamp}"})):
        resp = system.http.post(system.url(f"/api/v1/waiver/claims/{cid}/{step}"), headers=reviewer, json=body)
        assert resp.status_code == 200, (step, resp.text)
    return {"reviewer": reviewer}


def _series(system, headers, months, region=None):
    query = f"from={months[0]}&to={months[-1]}" + (f"&region={region}" if region else "")
    resp = system.http.get(system.url(f"/api/v1/waiver/stats/monthly?{query}"), headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _bars(page, chart):
    """{month: {channel: value}} as the stacked bars of `chart` draw them."""
    return page.eval_on_selector(f"#{chart}", """fig => Object.fromEntries([...fig.querySelectorAll('g.chart-stack')]
        .map(g => [g.dataset.x, Object.fromEntries([...g.querySelectorAll('rect')]
            .map(r => [r.dataset.series, Number(r.dataset.value)]))]))""")


def _points(page, chart):
    return page.eval_on_selector(f"#{chart}", """fig => Object.fromEntries([...fig.querySelectorAll('circle')]
        .map(c => [c.dataset.x, Number(c.dataset.value)]))""")


def _expect_charts_equal_api(page, series):
    months = [m["month"] for m in series]
    for chart, pick in (("trend-count", lambda f: f["count"]), ("trend-yuan", lambda f: float(f["yuan"]))):
        drawn = _bars(page, chart)
        assert set(drawn) == set(months), chart
        for m in series:
            assert drawn[m["month"]] == {c: pick(f) for c, f in m["by_channel"].items() if pick(f) > 0}, (chart, m)
    assert _points(page, "trend-zero-trip") == {m["month"]: math.floor(m["zero_trip_share"] * 1000 + 0.5) / 10
                                                for m in series if m["zero_trip_share"] is not None}
    assert _points(page, "trend-days-to-pay") == {m["month"]: m["median_days_to_pay"]
                                                  for m in series if m["median_days_to_pay"] is not None}


def test_a_reviewer_sees_the_months_by_channel_share_and_days_to_pay(console, system, waived_this_month):
    page = console.page
    console.login("reviewer.sh")
    console.tab("stats")
    page.wait_for_selector("#trend-count svg")
    console.settled("stats")
    months = _months(12)
    series = _series(system, waived_this_month["reviewer"], months)
    this_month = series[-1]
    assert this_month["by_channel"]["direct"]["count"] >= 1 and this_month["by_channel"]["mail"]["count"] >= 1
    assert this_month["median_days_to_pay"] is not None
    _expect_charts_equal_api(page, series)
    # the axis says the months in Chinese, the newest last; the chart is described for screen readers and as a table
    labels = page.eval_on_selector_all("#trend-count .chart-x-labels text", "ts => ts.map(t => t.textContent)")
    newest = months[-1].split("-")
    assert labels[-1] == f"{newest[0]}年{int(newest[1])}月"
    assert page.get_attribute("#trend-count svg", "aria-label").startswith("各渠道减免笔数（按月）")
    assert page.locator("#trend-count .chart-legend li").all_inner_texts() == \
        ["院内直免 direct", "小程序 mini_program", "邮寄 mail", "现场 on_site"]
    assert page.locator("#trend-count details.chart-data tbody tr").count() == 12
    assert "一次都不跑" in console.text("#trend-zero-trip figcaption")
    assert "中位数" in console.text("#trend-days-to-pay figcaption")
    # a reviewer's region is theirs only: the selector offers no other
    assert page.eval_on_selector_all("#trend-region option", "os => os.map(o => o.value)") == ["SH"]
    assert page.is_disabled("#trend-region")
    # the warning levels chart draws what the endpoint gives, day by day
    rows = system.http.get(system.url("/api/v1/stock/levels-history?region=SH&days=28"),
                           headers=waived_this_month["reviewer"]).json()
    assert len(rows) >= 20
    drawn = _bars(page, "levels-chart-svg")
    assert sorted(drawn) == sorted(r["day"] for r in rows)
    assert all(drawn[r["day"]] == {k: r[k] for k in ("green", "yellow", "orange", "red", "no_data") if r[k]} for r in rows)
    page.select_option("#trend-months", "24")
    page.click("#trend-submit")
    page.wait_for_function("() => document.querySelectorAll('#trend-count g.chart-stack').length === 24")
    console.settled("stats")
    page.select_option("#trend-months", "12")
    page.click("#trend-submit")
    page.wait_for_function("() => document.querySelectorAll('#trend-count g.chart-stack').length === 12")
    console.settled("stats")
    console.shot("statistics")


def test_an_admin_switches_region_and_the_charts_follow(console, system, waived_this_month):
    page = console.page
    console.login(*ADMIN)
    console.tab("stats")
    page.wait_for_selector("#trend-count svg")
    console.settled("stats")
    assert page.eval_on_selector_all("#trend-region option", "os => os.map(o => o.value)") == ["", "SH", "JS", "ZJ", "AH"]
    admin = system.admin()
    months = _months(12)
    _expect_charts_equal_api(page, _series(system, admin, months))
    for region, name in (("JS", "江苏"), ("SH", "上海")):
        page.select_option("#trend-region", region)
        page.wait_for_function("(n) => (document.querySelector('#trend-scope') || {}).textContent?.startsWith(n)", arg=name)
        console.settled("stats")
        _expect_charts_equal_api(page, _series(system, admin, months, region))
    sh = _series(system, admin, months, "SH")[-1]["by_channel"]["direct"]["count"]
    everywhere = _series(system, admin, months)[-1]["by_channel"]["direct"]["count"]
    assert everywhere >= sh >= 1


def test_a_cell_of_the_stock_picture_opens_its_days_of_supply_trend(console, system):
    """The demo's four weeks of history (inventory.demo_history): a cell's chart draws that cell's days of supply
    from GET /stock/history, day by day, for the site, component and group of the cell clicked."""
    page = console.page
    console.login("station.hp")
    console.settled("stock")
    with page.expect_response("**/api/v1/stock/history?*") as answered:
        page.click("#stock-matrix-table tbody tr:first-child td.cell[data-level] >> nth=0")
    page.wait_for_selector("#stock-history:not([hidden]) h3")
    assert "可供天数趋势" in console.text("#stock-history h3") and "SH-HP-S" in console.text("#stock-history h3")
    asked = parse_qs(urlsplit(answered.value.url).query)
    assert asked.keys() >= {"site_id", "days", "component", "abo", "rhd"}
    assert (asked["site_id"], asked["days"]) == (["SH-HP-S"], ["28"])
    station = system.login("station.hp", "password1")
    rows = system.http.get(system.url("/api/v1/stock/history"), headers=station,
                           params={k: v[0] for k, v in asked.items()}).json()
    assert len(rows) >= 20 and len({(r["component"], r["abo"], r["rhd"]) for r in rows}) == 1
    page.wait_for_selector("#stock-history-chart svg")
    points = page.eval_on_selector_all("#stock-history-chart circle", "cs => cs.map(c => Number(c.dataset.value))")
    assert [round(p, 1) for p in points] == [round(r["days_of_supply"], 1) for r in rows
                                            if r["days_of_supply"] is not None]
    # the site's 趋势 button: every group of the component; the keyboard reaches the cells too
    page.click('#stock-matrix-table tbody tr:first-child button[data-trend="site"]')
    page.wait_for_function("() => document.querySelector('#stock-history h3').textContent.includes('各血型')")
    page.focus("#stock-matrix-table tbody tr:first-child td.cell[data-level] >> nth=1")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('#stock-history h3').textContent.includes('各血型')")
    page.click('#stock-history button:has-text("关闭趋势")')
    assert page.is_hidden("#stock-history")


CHART_PROBE = """async () => {
  const { lineChart, stackedBarChart, niceScale } = await import('/console/assets/console-chart.js');
  const { historyChart, levelsChart, monthsBack } = await import('/console/assets/console-trends.js');
  const host = document.createElement('div');
  document.body.appendChild(host);
  const line = lineChart({ id: 'probe-line', title: '测试折线', xs: ['2026-01', '2026-02', '2026-03'], yTitle: '天',
    series: [{ key: 'a', name: '甲', values: [1, null, 3] }] });
  const bars = stackedBarChart({ id: 'probe-bars', title: '测试柱', xs: ['2026-01', '2026-02'], yTitle: '笔数',
    series: [{ key: 'a', name: '甲', values: [1, 3] }, { key: 'b', name: '乙', values: [2, 0] }] });
  const days = [...Array(28).keys()].map(i => new Date(Date.UTC(2026, 10, 10 + i)).toISOString().slice(0, 10));
  const rows = days.flatMap((day, i) => [
    { day, site_id: 'S1', component: 'red_cells', abo: 'O', rhd: 'pos', available_units: 10, days_of_supply: i % 7,
      level: i % 7 < 2 ? 'red' : 'green' },
    { day, site_id: 'S1', component: 'red_cells', abo: 'A', rhd: 'neg', available_units: 0,
      days_of_supply: i < 3 ? null : 5, level: i < 3 ? 'no_data' : 'green' }]);
  const hist = historyChart(rows, 'S1');
  const levels = levelsChart(days.slice(0, 3).map((day, i) => ({ day, green: 5, yellow: i, orange: 0, red: 1, no_data: 0 })));
  host.append(line, bars, hist, levels);
  const ys = [...line.querySelectorAll('circle')].map(c => Number(c.getAttribute('cy')));
  const rects = [...bars.querySelectorAll('rect')].map(r => [r.dataset.series, Number(r.dataset.value),
    Number(r.getAttribute('height'))]);
  const out = {
    lineRuns: line.querySelectorAll('polyline').length,
    linePoints: [...line.querySelectorAll('circle')].map(c => [c.dataset.x, Number(c.dataset.value)]),
    higherIsUp: ys[1] < ys[0],
    lineTitle: line.querySelector('svg > title').textContent,
    lineLabel: line.querySelector('svg').getAttribute('aria-label'),
    tableRows: [...line.querySelectorAll('tbody tr')].map(tr => [...tr.cells].map(td => td.textContent)),
    rects,
    totals: [...bars.querySelectorAll('g.chart-stack')].map(g => Number(g.dataset.total)),
    tooltip: bars.querySelector('rect title').textContent,
    histLines: [...hist.querySelectorAll('g.chart-line')].map(g => [g.dataset.series, g.querySelectorAll('circle').length]),
    histRed: hist.querySelectorAll('circle.chart-point-red').length,
    levelSeries: [...levels.querySelectorAll('.chart-legend li')].map(li => li.textContent),
    yAxis: [...line.querySelectorAll('.chart-axis-title')].map(t => t.textContent),
    nice: [niceScale(7), niceScale(0.3), niceScale(0), niceScale(2, 5, true), niceScale(23, 5, true)],
    months: monthsBack('2026-02', 3),
  };
  host.remove();
  return out;
}"""


def test_the_chart_module_draws_given_series(console):
    console.login("reviewer.sh")
    console.settled("claims")
    out = console.page.evaluate(CHART_PROBE)
    assert out["lineRuns"] == 2                      # the missing February breaks the line
    assert out["linePoints"] == [["2026-01", 1], ["2026-03", 3]] and out["higherIsUp"]
    assert out["lineTitle"] == "测试折线" and out["lineLabel"].startswith("测试折线。2026年1月至2026年3月")
    assert out["tableRows"] == [["2026年1月", "1"], ["2026年2月", "—"], ["2026年3月", "3"]]
    assert out["yAxis"] == ["月份", "天"]
    assert [r[:2] for r in out["rects"]] == [["a", 1], ["b", 2], ["a", 3]]     # a zero draws no segment
    heights = {v: h for _s, v, h in out["rects"]}
    assert abs(heights[2] - 2 * heights[1]) < 0.2 and abs(heights[3] - 3 * heights[1]) < 0.2
    assert out["totals"] == [3, 3] and out["tooltip"] == "2026年1月 甲：1"
    assert sorted(out["histLines"]) == [["Aneg", 25], ["Opos", 28]]            # no point where nothing is known
    assert out["histRed"] == 8                                                 # days 0, 1, 7, 8, 14, 15, 21, 22
    assert out["levelSeries"] == ["告急 red", "紧张 orange", "偏紧 yellow", "正常 green", "无数据 no_data"]
    assert out["nice"] == [{"top": 8, "step": 2}, {"top": 0.3, "step": 0.1}, {"top": 1, "step": 0.2},
                           {"top": 2, "step": 1}, {"top": 25, "step": 5}]          # counts step by whole numbers
    assert out["months"] == ["2025-12", "2026-01", "2026-02"]


def _fixed_history(route, request):
    """The stock history contract's shape (GET /stock/history, /stock/levels-history) answered by the browser
    itself: the views are wired to the fields the other change serves."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = [(today - timedelta(days=27 - i)).isoformat() for i in range(28)]
    if "/levels-history" in request.url:
        body = [{"day": d, "green": 10 + i % 3, "yellow": 2, "orange": i % 2, "red": 1 if i > 20 else 0, "no_data": 1}
                for i, d in enumerate(days)]
    else:
        groups = [(query["abo"], query["rhd"])] if query.get("abo") else [("O", "pos"), ("A", "neg")]
        body = [{"day": d, "site_id": query["site_id"], "component": query.get("component", "red_cells"), "abo": abo,
                 "rhd": rhd, "available_units": 10.0, "days_of_supply": round(2 + i / 4, 2),
                 "level": "red" if i < 4 else "green"} for abo, rhd in groups for i, d in enumerate(days)]
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_the_history_charts_draw_what_the_history_endpoints_answer(console):
    page = console.page
    page.route("**/api/v1/stock/*history*", _fixed_history)
    console.login("station.hp")
    console.settled("stock")
    page.click("#stock-matrix-table tbody tr:first-child td.cell[data-level] >> nth=0")
    page.wait_for_selector("#stock-history-chart svg")
    points = page.eval_on_selector_all("#stock-history-chart circle", "cs => cs.map(c => Number(c.dataset.value))")
    assert points == [round(2 + i / 4, 2) for i in range(28)]
    assert page.locator("#stock-history-chart circle.chart-point-red").count() == 4
    assert page.locator("#stock-history-chart .chart-legend li").all_inner_texts() == ["O RhD+"]
    page.click('#stock-matrix-table tbody tr:first-child button[data-trend="site"]')
    page.wait_for_function("() => document.querySelectorAll('#stock-history-chart g.chart-line').length === 2")
    page.locator("#stock-history").screenshot(path=str(console.shots / "stock-history.png"))
    page.click("#logout")
    console.login("reviewer.sh")
    console.tab("stats")
    page.wait_for_selector("#levels-chart-svg svg")
    console.settled("stats")
    stacks = page.eval_on_selector_all("#levels-chart-svg g.chart-stack", "gs => gs.map(g => Number(g.dataset.total))")
    assert stacks == [10 + i % 3 + 2 + i % 2 + (1 if i > 20 else 0) + 1 for i in range(28)]
    assert "上海" in console.text("#levels-chart-svg figcaption")

"""The stock picture in Chromium against the demo network: a site × blood-group matrix per component coloured by
the warning level the service computed, site names, the user's own site first, headers that stay in view; the
units near expiry by DIN, and one click that proposes a plan moving that site's surplus."""
from datetime import datetime, timedelta, timezone

from .conftest import ADMIN

GROUP_HEADERS = ["O RhD+", "O RhD−", "A RhD+", "A RhD−", "B RhD+", "B RhD−", "AB RhD+", "AB RhD−"]


def _one_place(value):
    """The console's fmtNumber(value, 1): one decimal, a trailing .0 dropped."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _matrix(console):
    """{site_id: {group header: (level, cell text)}} as the page shows it."""
    return console.page.eval_on_selector("#stock-matrix-table", """table => {
        const heads = [...table.tHead.rows[0].cells].slice(1).map(c => c.textContent);
        const out = {};
        for (const row of table.tBodies[0].rows) {
            out[row.dataset.site] = {};
            [...row.cells].slice(1).forEach((c, i) => { out[row.dataset.site][heads[i]] = [c.dataset.level || null, c.innerText]; });
        }
        return out;
    }""")


def test_the_matrix_shows_each_site_and_group_at_its_level_with_the_own_site_first(console, system):
    console.login("station.hp")
    console.settled("stock")
    page = console.page
    assert page.eval_on_selector_all("#stock-matrix-table thead th", "ths => ths.map(t => t.textContent)")[1:] == GROUP_HEADERS
    sites = page.eval_on_selector_all("#stock-matrix-table tbody tr", "rows => rows.map(r => r.dataset.site)")
    assert sites[0] == "SH-HP-S" and "本站" in page.inner_text("#stock-matrix-table tbody tr >> nth=0")
    station = system.login("station.hp", "password1")
    names = {s["id"]: s["name"] for s in system.http.get(system.url("/api/v1/sites?region=SH"), headers=station).json()}
    assert names["SH-HP-S"] in page.inner_text("#stock-matrix-table tbody tr >> nth=0")
    stock = system.http.get(system.url("/api/v1/stock?region=SH"), headers=station).json()
    red = [r for r in stock if r["component"] == "red_cells"]
    assert sorted(sites) == sorted({r["site_id"] for r in red})
    shown = _matrix(console)
    for row in red:
        group = f"{row['abo']} RhD{'+' if row['rhd'] == 'pos' else '−'}"
        level, text = shown[row["site_id"]][group]
        assert level == row["level"], (row, level)
        units, unit_word, *days = text.split()
        assert (units, unit_word) == (_one_place(row["available_units"]), "U")
        if row["days_of_supply"] is None:
            assert days == ["—"]
        else:   # computed live: a moment later it may read a tenth lower
            assert days[1] == "天" and abs(float(days[0]) - row["days_of_supply"]) <= 0.15, (row, text)
    # headers stay in view: the group row on top, the site column on the left
    assert page.eval_on_selector("#stock-matrix-table thead th", "t => getComputedStyle(t).position") == "sticky"
    assert page.eval_on_selector("#stock-matrix-table tbody th", "t => getComputedStyle(t).position") == "sticky"
    page.locator("#stock-matrix").screenshot(path=str(console.shots / "stock-picture.png"))

    # another component is another matrix; "alerts only" keeps only sites with a warning
    page.select_option("#stock-component", "platelets")
    assert "血小板" in page.inner_text("#stock-matrix caption")
    page.check("#stock-alerts-only")
    alerting = {r["site_id"] for r in stock if r["component"] == "platelets" and r["level"] in ("red", "orange", "yellow")}
    shown_sites = set(page.eval_on_selector_all("#stock-matrix-table tbody tr", "rows => rows.map(r => r.dataset.site)")) \
        if alerting else set()
    assert shown_sites == alerting


def test_units_near_expiry_are_listed_by_din_and_one_click_proposes_moving_them(console, system):
    console.login("station.hp")
    console.settled("stock")
    station = system.login("station.hp", "password1")
    units = system.http.get(system.url("/api/v1/units?site_id=SH-HP-S&status=available"), headers=station).json()
    horizon = datetime.now(timezone.utc) + timedelta(hours=72)
    soon = {u["din"] for u in units if datetime.fromisoformat(u["expires_at"]) <= horizon}
    page = console.page
    listed = set(page.eval_on_selector_all("#stock-expiring td code.id", "cs => cs.map(c => c.textContent)"))
    assert listed == soon
    if not soon:
        assert "没有 72 小时内失效" in console.text("#stock-expiring")
        return
    page.click('#stock-expiring button[data-propose="SH-HP-S"]')
    page.wait_for_selector("#view-rebalancing:not([hidden])")
    page.wait_for_selector("#plan-result .card")
    console.settled("rebalancing")
    assert "SH-HP-S" in console.text("#plan-result") and page.is_checked("#plan-own")
    console.shot("stock-expiring-plan")


def test_an_admin_sees_the_worst_sites_first(console, system):
    console.login(*ADMIN)
    console.settled("stock")
    order = {"red": 0, "orange": 1, "yellow": 2, "green": 3, "no_data": 4}
    shown = _matrix(console)
    worst = [min(order.get(level or "no_data", 4) for level, _ in cells.values()) for cells in shown.values()]
    assert worst == sorted(worst) and len(worst) > 1

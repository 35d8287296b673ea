"""A rebalancing plan on the schematic map, in Chromium against the demo network: the four provinces drawn from the
bundled outline, the sites at their coordinates, one arrow per sender → receiver pair (its U summed), the per-site days of
supply before and after, and the solver said in plain words."""
from .conftest import ADMIN


def test_a_plan_is_drawn_as_arrows_between_the_sites_it_moves_blood_between(console, system):
    console.login(*ADMIN)
    console.tab("rebalancing")
    console.settled("rebalancing")
    page = console.page
    page.fill("#plan-region", "SH")
    page.fill("#plan-target", "7")
    page.click("#plan-submit")
    page.wait_for_selector("#plan-result .card")
    plan_id = page.inner_text("#plan-result .facts code").strip()
    assert "先使缺口最小" in console.text("#plan-result")
    moves = page.locator("#plan-result details.moves:not(.site-days) tbody tr").count() if page.locator("#plan-result details.moves:not(.site-days) table").count() else 0
    if not moves:
        assert "无需调剂" in console.text("#plan-result")
        return
    page.wait_for_selector("#plan-map")
    assert page.locator("#plan-map .province polygon").count() == 4
    assert sorted(page.eval_on_selector_all("#plan-map .province", "gs => gs.map(g => g.dataset.region)")) == \
        ["AH", "JS", "SH", "ZJ"]
    arrows = page.eval_on_selector_all("#plan-map line.move", "ls => ls.map(l => [l.dataset.from, l.dataset.to])")
    listed = page.eval_on_selector_all("#plan-result details.moves:not(.site-days) tbody tr",
                                       "rs => rs.map(r => [r.cells[0].textContent.trim(), r.cells[1].textContent.trim()])")
    assert len(listed) == moves
    arrows = [tuple(a) for a in arrows]
    assert sorted(arrows) == sorted({tuple(pair) for pair in listed}), "one arrow per sender → receiver pair"
    drawn = set(page.eval_on_selector_all("#plan-map .site", "gs => gs.map(g => g.dataset.site)"))
    assert {site for pair in arrows for site in pair} <= drawn
    # every site a move touches has its before/after days of supply, and a sender ends with less
    rows = page.eval_on_selector_all("#plan-map-box tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent.trim()))")
    senders = {a for a, _ in arrows}
    assert {r[0].split()[-1] for r in rows} == {site for pair in arrows for site in pair}
    for site, _component, _group, change, before, after in rows:
        if site.split()[-1] in senders and change.startswith("-") and before != "—":
            assert float(after) <= float(before)
    assert system.http.get(system.url(f"/api/v1/rebalancing/plans/{plan_id}"),
                           headers=system.admin()).json()["status"] == "proposed"
    page.locator("#plan-map-box .map-frame").screenshot(path=str(console.shots / "plan-map.png"))

"""The report: every scenario per seed, the goals judged on every seed, plots written, docs/simulation.md's
report section replaced and nothing else of the page, and a report rebuilt from the kept runs."""
import json

from inventory.simulation.report import BEGIN, END, SCENARIO_NAMES, build


def test_a_tiny_report_writes_its_figures_plots_and_docs_section(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "simulation.md").write_text(f"# Simulation\n\nintro stays\n\n{BEGIN}\nold report\n{END}\n\nafter stays\n")
    out = tmp_path / "var"
    report = build(seeds=[1], n_sites=3, days=3, out_dir=out, docs_dir=docs)
    assert set(report["summary"]) == set(SCENARIO_NAMES.values())
    assert [g["goal"] for g in report["goals"]] == ["red cells outdates ≤ 0.4 %", "platelets outdates ≤ 5.0 %",
                                                    "zero red cells stock-out days", "zero platelets stock-out days"]
    assert all(g["met"] == (g["value"]["max"] <= (0.4 if "red cells outdates" in g["goal"] else
               5.0 if "platelets outdates" in g["goal"] else 0)) for g in report["goals"])
    for name in ("days_of_supply.png", "outdates_by_month.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
        assert (docs / "images" / "simulation" / name).exists()
    page = (docs / "simulation.md").read_text()
    assert "intro stays" in page and "after stays" in page and "old report" not in page
    assert "![days_of_supply](images/simulation/days_of_supply.png)" in page
    assert json.loads((out / "report.json").read_text())["meta"]["seeds"] == [1]
    again = build(seeds=[1, 2], n_sites=3, days=3, out_dir=out, from_runs=True)   # seed 2 never ran
    assert again["meta"]["seeds"] == [1] and again["summary"] == json.loads(json.dumps(report["summary"]))

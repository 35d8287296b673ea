"""The simulation report's plots for the console's 调剂 tab: staff of dispatch and stations only, named plots only,
"available": false until `make simulate` has written a report."""
import json

import pytest

from servicekit.broker import free_port
from tests.helpers import auth

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "simulation"


@pytest.fixture
def app_settings(upstream, folder):
    return dict(donor_url=upstream.url, inventory_url=upstream.url, waiver_url=upstream.url,
                hemolink_admin_password="s3cret-admin", kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
                simulation_dir=str(folder))


def _write(folder):
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps({"meta": {"sites": 40, "days": 365}, "goals": [
        {"goal": "red cells outdates ≤ 0.4 %", "met": True, "value": {"mean": 0.3}}], "summary": {}}))
    (folder / "days_of_supply.png").write_bytes(PNG)
    (folder / "secret.txt").write_text("not served")


def test_no_report_yet_says_so(client):
    resp = client.get("/api/v1/simulation/report", headers=auth("admin"))
    assert resp.status_code == 200
    assert resp.get_json() == {"available": False, "meta": {}, "goals": [], "images": []}
    missing = client.get("/api/v1/simulation/images/days_of_supply.png", headers=auth("admin"))
    assert missing.status_code == 404 and missing.get_json()["code"] == "simulation_image_not_found"
    assert missing.content_type.startswith("application/problem+json")


def test_staff_read_the_report_and_its_plots(client, folder):
    _write(folder)
    for headers in (auth("admin"), auth("station", site_id="SH-S01", region="SH")):
        body = client.get("/api/v1/simulation/report", headers=headers).get_json()
        assert body["available"] is True and body["meta"] == {"sites": 40, "days": 365}
        assert body["goals"][0]["met"] is True
        assert body["images"] == [{"name": "days_of_supply.png", "title": "全年各血型可供天数",
                                   "href": "/api/v1/simulation/images/days_of_supply.png"}]   # the one written
        png = client.get("/api/v1/simulation/images/days_of_supply.png", headers=headers)
        assert png.status_code == 200 and png.content_type == "image/png" and png.data == PNG


def test_other_names_roles_and_anonymous_calls_are_refused(client, folder):
    _write(folder)
    for name in ("secret.txt", "report.json", "outdates_by_month.png", "..%2Freport.json"):
        resp = client.get(f"/api/v1/simulation/images/{name}", headers=auth("admin"))
        assert resp.status_code == 404, name
    for role in ("hospital", "reviewer", "donor"):
        resp = client.get("/api/v1/simulation/report", headers=auth(role, site_id="SH-H01", region="SH", donor_id="d"))
        assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden_role"
        assert client.get("/api/v1/simulation/images/days_of_supply.png", headers=auth(role, site_id="SH-H01",
                          region="SH", donor_id="d")).status_code == 403
    assert client.get("/api/v1/simulation/report").status_code == 401

"""The station's donation pages in Chromium against the demo system (#21): its points with their slots and the day
sheet, where a donor who did not come is recorded; the collections the stock expects (the demo's drive counted);
group drives with their organisations, roster and the year's 团体 / 街头 figures; the rare-donor registry, emergency
teams and a rare call-up; the call-ups' funnel."""
import time
from datetime import datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine

from donor.orm import appointments

from tests.helpers import make_national_id, wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATION = ("station.hp", "password1")


def _today():
    return datetime.now(SHANGHAI).date()


def _donor(system, station, *, abo="A", rhd="pos"):
    stamp = int(time.time() * 1000)
    phone = f"1390{stamp % 10_000_000:07d}"
    nid = make_national_id(birth="19930505", region="310101", seq=stamp % 499)
    system.remember(nid, phone)
    resp = system.http.post(system.url("/api/v1/donors"), headers=station,
                            json={"name": "页面献血者", "national_id": nid, "phone": phone, "abo": abo, "rhd": rhd})
    assert resp.status_code == 201, resp.text
    return resp.json(), phone


def _book_tomorrow(system, station):
    """A donor books the demo's 人民广场献血屋 tomorrow through the mini-program's calls; returns (donor, point, booking)."""
    donor, phone = _donor(system, station)
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    point = next(p for p in system.http.get(system.url("/api/v1/donation-points"), params={"date": tomorrow}).json()
                 if p["name"] == "人民广场献血屋")
    slot = next(s for s in point["slots"] if s["free"] > 0 and s["kind"] == "whole_blood")
    answers = {q["code"]: not q["defers_if"] for q in system.http.get(system.url("/api/v1/prescreening")).json()}
    code = system.http.post(system.url("/api/v1/auth/donor/otp"), json={"phone": phone}).json()["dev_code"]
    token = system.http.post(system.url("/api/v1/auth/donor/token"), json={"phone": phone, "code": code}).json()
    booked = system.http.post(system.url("/api/v1/me/appointments"), json={
        "point_id": point["id"], "kind": "whole_blood", "starts_at": slot["starts_at"], "answers": answers},
        headers={"Authorization": f"Bearer {token['access_token']}"})
    assert booked.status_code == 201, booked.text
    return donor, point, booked.json()


def _started(system, appointment_id):
    """Test set-up only: move the booking to today's first moment, as if its slot had started (a slot cannot be
    booked once started, and waiting for one would take up to its length)."""
    url = system.env.get("DONOR_DATABASE_URL") or f"sqlite:///{system.env['HEMOLINK_VAR']}/donor.db"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:          # the table's own column type writes the time as the service does
            conn.execute(appointments.update().where(appointments.c.id == appointment_id).values(
                starts_at=datetime.combine(_today(), clock(0), SHANGHAI).astimezone(timezone.utc)))
    finally:
        engine.dispose()


def test_a_station_reads_its_points_and_day_sheet_and_records_a_no_show(console, system):
    station = system.login(*STATION)
    donor, point, booking = _book_tomorrow(system, station)
    console.login(*STATION)
    console.tab("points")
    console.settled("points")
    page = console.page
    page.wait_for_selector("#points-result table")
    assert "人民广场献血屋" in console.text("#points-result")           # tomorrow, the default
    page.click(f'#points-result [data-sheet="{point["id"]}"]')
    page.wait_for_selector("#sheet-result table")
    assert "页面献血者" in console.text("#sheet-result") and "时段未开始" in console.text("#sheet-result")
    assert page.locator(f'[data-no-show="{booking["id"]}"]').count() == 0  # not before the slot starts

    _started(system, booking["id"])
    page.fill("#points-date", _today().isoformat())
    page.click("#points-submit")
    console.settled("points")
    page.click(f'#points-result [data-sheet="{point["id"]}"]')
    page.wait_for_selector(f'#sheet-heading:has-text("{_today().isoformat()}")')
    page.click(f'[data-no-show="{booking["id"]}"]')
    page.wait_for_selector("#sheet-msg.msg-ok")
    assert any("未到" in d for d in console.dialogs)
    page.wait_for_selector(f'#sheet-result tr:has-text("页面献血者") .status-no_show')
    sheet = system.http.get(system.url(f"/api/v1/donation-points/{point['id']}/day-sheet"), headers=station,
                            params={"date": _today().isoformat()}).json()
    assert next(e for e in sheet if e["donor_id"] == donor["id"])["appointment"]["status"] == "no_show"
    console.shot("station-points")


def test_the_station_sees_the_collections_its_drive_and_bookings_promise(console, system):
    station = system.login(*STATION)
    drive_day = (_today() + timedelta(days=3)).isoformat()           # the demo's university drive, target 60
    wait_until(lambda: any(r["day"] == drive_day and r["drives"] for r in system.http.get(
        system.url("/api/v1/stock/expected-collections"), headers=station).json()), timeout_s=30)
    console.login(*STATION)
    console.tab("points")
    console.settled("points")
    console.page.wait_for_selector("#expected-result table")
    row = console.page.locator(f'#expected-result tr:has-text("{drive_day}")')
    assert "60 / 0 / 60" in row.inner_text()
    assert "预计仍待采集" in console.text("#expected-result")


def test_a_station_plans_a_drive_for_an_organisation_and_fills_its_roster(console, system):
    station = system.login(*STATION)
    donor, _ = _donor(system, station)
    console.login(*STATION)
    console.tab("drives")
    console.settled("drives")
    page = console.page
    for part in ("#org-result table", "#drives-result table", "#group-stats-result table"):
        page.wait_for_selector(part)
    assert "复旦大学" in console.text("#drives-result")                 # the demo's drive
    assert "团体献血" in console.text("#group-stats-result") and "街头献血" in console.text("#group-stats-result")
    name = f"上海电气集团{int(time.time())}"
    page.fill("#org-name", name)
    page.select_option("#org-kind", "employer")
    page.click("#org-submit")
    page.wait_for_selector("#org-msg.msg-ok")
    assert name in console.text("#org-result")
    page.select_option("#drive-org", label=name)
    page.fill("#drive-target", "25")
    page.click("#drive-submit")
    page.wait_for_selector("#drives-msg.msg-ok")
    row = page.locator(f'#drives-result tr:has-text("{name}")')
    assert "25" in row.inner_text()
    row.locator("[data-roster]").click()
    page.wait_for_selector("#roster-box:not([hidden])")
    page.fill("#roster-ids", donor["id"])
    page.click("#roster-submit")
    page.wait_for_selector("#roster-msg.msg-ok")
    assert donor["id"] in console.text("#roster-result")
    console.settled("drives")
    console.shot("station-drives")


def test_a_station_keeps_its_rare_donors_in_a_team_and_calls_them(console, system):
    console.login(*STATION)
    console.tab("rare")
    console.settled("rare")
    page = console.page
    page.wait_for_selector("#rare-result table")
    page.wait_for_selector("#team-result table")
    assert "RhD阴性" in console.text("#rare-result") and "已在队" in console.text("#rare-result")   # the demo's
    assert "黄浦区稀有血型应急献血队" in console.text("#team-result")
    team = f"浦江应急队{int(time.time())}"
    page.fill("#team-name", team)
    page.click("#team-submit")
    page.wait_for_selector("#team-msg.msg-ok")
    assert team in console.text("#team-result")
    page.select_option("#rare-call-phenotype", "rhd_neg")
    page.fill("#rare-call-reason", "浏览器测试：RhD阴性患者急需")
    page.click("#rare-call-submit")
    page.wait_for_selector("#rare-call-msg.msg-ok")
    assert any("紧急召集" in d for d in console.dialogs)
    assert "浏览器测试：RhD阴性患者急需" in console.text("#rare-call-result")
    console.settled("rare")
    console.shot("station-rare")


def test_the_call_up_funnel_loads_for_stations_and_reviewers(console, system):
    console.login("reviewer.sh")
    console.tab("callups")
    console.settled("callups")
    assert "招募次数" in console.text("#callups-result")

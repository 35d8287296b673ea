"""Lookback and recall: a donor's positive test holds their earlier blood in stock everywhere and reaches, unit by
unit, the hospitals (in two regions) that received it, never naming the donor; the recall closes when every line
is answered. A donor's report of illness arrives by event and opens one recall however often it is delivered."""
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from inventory.handlers import HANDLERS
from inventory.orm import recall_lines, recalls as recalls_table
from inventory.services import sites
from servicekit.consumer import APPLIED, DUPLICATE, EventProcessor
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import auth, make_national_id

from .conftest import ADMIN, HOSPITAL1, HOSPITAL2, STATION1

pytestmark = pytest.mark.usefixtures("network")
DONOR = "donor-lookback"
SHANGHAI = ZoneInfo("Asia/Shanghai")
JS_HOSPITAL = auth("hospital", site_id="JS-H1", region="JS")
O_POS = {"component": "red_cells", "abo": "O", "rhd": "pos"}


@pytest.fixture
def js_hospital(uow_factory):
    sites.create_site(uow_factory(), id="JS-H1", name="JS-H1 站点", kind="hospital", region="JS",
                      supplier_id="JS-S1", lat=32.07, lon=118.8, now=datetime.now(timezone.utc))


def _issue(client, headers, units=1):
    resp = client.post("/api/v1/orders", json={"lines": [{**O_POS, "units": units}], "priority": "urgent"},
                       headers=headers)
    assert resp.status_code == 201, resp.get_json()
    [unit] = resp.get_json()["allocations"]
    return unit["id"]


@pytest.fixture
def donor_history(client, donate, js_hospital):
    """The donor's blood before a positive test: a bag issued to SH-H1 (Shanghai), one issued to JS-H1 (Jiangsu),
    a donation on the shelf at SH-S2, one not yet tested at SH-S1, and one from 400 days ago (outside the window)."""
    sh = donate("SH-S1", donor_id=DONOR, collected_days_ago=20)
    sh_issued = _issue(client, HOSPITAL1)
    js = donate("JS-S1", donor_id=DONOR, collected_days_ago=10, region="JS")
    js_issued = _issue(client, JS_HOSPITAL)
    shelf = donate("SH-S2", donor_id=DONOR, collected_days_ago=5)
    untested = donate("SH-S1", donor_id=DONOR, collected_days_ago=1, release=False)
    old = donate("SH-S1", donor_id=DONOR, collected_days_ago=400)
    return dict(sh_issued=sh_issued, js_issued=js_issued,
                held={u.id for u in [*sh, *js, *shelf, *untested] if u.id not in (sh_issued, js_issued)},
                untested=untested, old={u.id for u in old})


def _positive(client, donate, marker="hiv"):
    trigger = donate("SH-S1", donor_id=DONOR, release=False)
    resp = client.post(f"/api/v1/donations/{trigger[0].din}/test-result",
                       json={"qualified": False, "reason": marker}, headers=STATION1)
    assert resp.status_code == 200, resp.get_json()
    return trigger


def _unit(client, unit_id):
    return client.get(f"/api/v1/units/{unit_id}", headers=ADMIN).get_json()


def test_a_positive_test_holds_stock_everywhere_and_notifies_hospitals_in_two_regions(client, donate, donor_history,
                                                                                        events):
    trigger = _positive(client, donate)
    [recall] = client.get("/api/v1/recalls", headers=STATION1).get_json()
    assert recall["status"] == "open" and recall["marker"] == "hiv" and recall["window_days"] == 365
    assert recall["trigger"] == "positive_test" and recall["trigger_ref"] == trigger[0].din
    assert recall["hospitals"] == ["JS-H1", "SH-H1"] and recall["unanswered"] == 2
    assert {(ln["hospital_id"], ln["unit_id"], ln["region"]) for ln in recall["lines"]} == {
        ("SH-H1", donor_history["sh_issued"], "SH"), ("JS-H1", donor_history["js_issued"], "JS")}
    assert set(recall["held_unit_ids"]) == donor_history["held"]
    for unit_id in donor_history["held"]:
        assert _unit(client, unit_id)["status"] == "quarantined"        # at SH-S1, SH-S2 and JS-S1 alike
    assert not donor_history["old"] & set(recall["held_unit_ids"])       # collected before the window
    assert all(_unit(client, u)["status"] != "quarantined" for u in donor_history["old"])
    [opened] = events("RecallOpened")
    assert opened["subject"] == recall["id"] and DONOR not in json.dumps(opened["data"])
    assert {h["hospital_id"]: h["unit_ids"] for h in opened["data"]["hospitals"]} == {
        "SH-H1": [donor_history["sh_issued"]], "JS-H1": [donor_history["js_issued"]]}
    # The recalled bags are no longer stock: an order finds nothing of the donor's.
    assert not {u["id"] for u in client.get("/api/v1/units?status=available", headers=ADMIN).get_json()} \
        & donor_history["held"]


def test_a_hospital_sees_only_its_own_lines_and_never_the_donor_or_the_trigger(client, donate, donor_history):
    _positive(client, donate)
    [mine] = client.get("/api/v1/recalls", headers=HOSPITAL1).get_json()
    assert [ln["unit_id"] for ln in mine["lines"]] == [donor_history["sh_issued"]]
    assert mine["trigger_ref"] is None and mine["held_unit_ids"] == [] and mine["hospitals"] == ["SH-H1"]
    assert DONOR not in json.dumps(mine)
    assert client.get("/api/v1/recalls", headers=HOSPITAL2).get_json() == []
    other = client.get(f"/api/v1/recalls/{mine['id']}", headers=HOSPITAL2)
    assert other.status_code == 404 and other.get_json()["code"] == "recall_not_found"


def test_answers_per_unit_close_the_recall_and_its_closure_time_is_counted(client, donate, donor_history, events,
                                                                            state):
    _positive(client, donate)
    [recall] = client.get("/api/v1/recalls", headers=ADMIN).get_json()
    line = {ln["hospital_id"]: ln for ln in recall["lines"]}
    url = f"/api/v1/recalls/{recall['id']}/lines/{{}}/answer"
    before = state()
    # Another hospital's line; "transfused" for a bag never recorded as transfused: refused, nothing changes.
    assert client.post(url.format(line["JS-H1"]["id"]), json={"answer": "returned"},
                       headers=HOSPITAL1).status_code in (403, 404)
    wrong = client.post(url.format(line["SH-H1"]["id"]), json={"answer": "transfused", "note": "随访"},
                        headers=HOSPITAL1)
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "unit_not_transfused"
    assert client.post(url.format(line["SH-H1"]["id"]), json={"answer": "lost"}, headers=HOSPITAL1).status_code == 422
    assert state() == before
    # A recalled bag may not be given after the notice; SH-H1 had given it before: recorded, then answered with the
    # patient's follow-up.
    transfusion = {"unit_id": donor_history["sh_issued"], "patient_national_id": make_national_id(seq=11),
                   "patient_name": "赵六", "transfused_at": datetime.now(timezone.utc).isoformat()}
    late = client.post("/api/v1/transfusions", headers=HOSPITAL1, json=transfusion)
    assert late.status_code == 409 and late.get_json()["code"] == "unit_recalled"
    earlier = datetime.fromisoformat(line["SH-H1"]["notified_at"]) - timedelta(minutes=1)
    assert client.post("/api/v1/transfusions", headers=HOSPITAL1,
                       json={**transfusion, "transfused_at": earlier.isoformat()}).status_code == 201
    no_note = client.post(url.format(line["SH-H1"]["id"]), json={"answer": "transfused"}, headers=HOSPITAL1)
    assert no_note.status_code == 422 and no_note.get_json()["code"] == "follow_up_required"
    body = client.post(url.format(line["SH-H1"]["id"]), json={"answer": "transfused", "note": "已通知主管医生，3 个月后复查"},
                       headers=HOSPITAL1).get_json()
    assert body["status"] == "open" and body["lines"][0]["answer"] == "transfused"
    # JS-H1 sends its bag back: it is discarded, and the last answer closes the recall.
    body = client.post(url.format(line["JS-H1"]["id"]), json={"answer": "returned"}, headers=JS_HOSPITAL).get_json()
    assert body["status"] == "closed" and body["closure_hours"] is not None and body["unanswered"] == 0
    assert _unit(client, donor_history["js_issued"])["status"] == "discarded"
    again = client.post(url.format(line["JS-H1"]["id"]), json={"answer": "destroyed"}, headers=JS_HOSPITAL)
    assert again.status_code == 409 and again.get_json()["code"] == "recall_line_answered"
    [closed] = events("RecallClosed")
    assert closed["data"]["returned"] == 1 and closed["data"]["transfused"] == 1 and closed["data"]["destroyed"] == 0
    assert len(events("RecallLineAnswered")) == 2
    today = datetime.now(SHANGHAI).date()
    stats = client.get(f"/api/v1/recalls/stats?since={today}&until={today}", headers=STATION1).get_json()
    assert stats["opened"] == 1 and stats["closed"] == 1 and stats["open"] == 0
    assert stats["closure_hours"]["median"] == body["closure_hours"] and stats["lines"]["returned"] == 1
    assert client.get("/api/v1/recalls/stats?since=2026-02-01&until=2026-01-01",
                      headers=STATION1).status_code == 422
    assert client.get("/api/v1/recalls/stats?since=9999-12-31&until=9999-12-31",
                      headers=STATION1).status_code == 422
    yesterday = today - timedelta(days=1)
    assert client.get(f"/api/v1/recalls/stats?since={yesterday}&until={yesterday}",
                      headers=STATION1).get_json()["opened"] == 0


def test_a_held_donation_stays_quarantined_when_its_own_test_passes(client, donate, donor_history, events):
    _positive(client, donate)
    din = donor_history["untested"][0].din
    resp = client.post(f"/api/v1/donations/{din}/test-result", json={"qualified": True}, headers=STATION1)
    assert resp.status_code == 200
    assert {u["status"] for u in resp.get_json()} == {"quarantined"}
    assert din not in {e["subject"] for e in events("DonationReleased")}        # nothing was released


def test_a_donor_without_blood_at_hospitals_gets_a_recall_closed_at_once(client, donate):
    donate("SH-S2", donor_id=DONOR, collected_days_ago=3)
    _positive(client, donate, marker="syphilis")
    [recall] = client.get("/api/v1/recalls", headers=ADMIN).get_json()
    assert recall["status"] == "closed" and recall["window_days"] == 90 and recall["lines"] == []
    assert len(recall["held_unit_ids"]) == 2 and recall["closure_hours"] == 0


def test_a_non_infectious_failure_opens_no_recall(client, donate, donor_history):
    trigger = donate("SH-S1", donor_id=DONOR, release=False)
    client.post(f"/api/v1/donations/{trigger[0].din}/test-result", json={"qualified": False, "reason": "lipaemic"},
                headers=STATION1)
    assert client.get("/api/v1/recalls", headers=ADMIN).get_json() == []


def _report(report_id, onset=None):
    now = datetime.now(timezone.utc)
    return record_of(make_envelope("PostDonationReported", {
        "report_id": report_id, "donor_id": DONOR, "station_id": "SH-S1", "region": "SH",
        "onset_at": onset.isoformat() if onset else None, "reported_at": now.isoformat()},
        source="donor", subject=DONOR))


def test_a_reported_illness_opens_one_recall_however_often_it_is_delivered(client, donate, uow_factory,
                                                                           session_factory):
    recent = donate("SH-S1", donor_id=DONOR, collected_days_ago=10)
    old = donate("SH-S1", donor_id=DONOR, collected_days_ago=45)          # 30-day window: outside it
    processor = EventProcessor(group="inventory", handlers=HANDLERS, uow_factory=uow_factory,
                               dlq_producer=FakeProducer(), retry_sleep_s=0)
    record = _report("pdr-1")
    assert processor.process(record) == APPLIED
    assert processor.process(record) == DUPLICATE                        # the same record redelivered
    assert processor.process(_report("pdr-1")) == APPLIED               # the same report under a new event id
    with session_factory() as s:
        rows = s.execute(select(recalls_table)).all()
        assert s.execute(select(recall_lines)).all() == []
    assert len(rows) == 1 and rows[0].trigger == "post_donation_report" and rows[0].window_days == 30
    assert set(rows[0].held_unit_ids) == {u.id for u in recent}
    assert all(_unit(client, u.id)["status"] in ("available", "expired") for u in old)   # not held


def test_the_window_edge_a_bag_collected_exactly_the_window_before_is_recalled_a_second_earlier_is_not(
        client, uow_factory):
    from inventory.services import units
    from .conftest import new_din

    now = datetime.now(timezone.utc)
    trigger_at = now - timedelta(hours=1)

    def donation(collected_at):
        din = new_din()
        made = units.create_units_from_donation(uow_factory(), donation_id=f"don-{din}", donor_id=DONOR, din=din,
                                                site_id="SH-S1", region="SH", kind="whole_blood", volume_ml=200,
                                                doses=None, collected_at=collected_at, abo="O", rhd="pos", now=now)
        return din, {u.component: u.id for u in made}

    _, at_edge = donation(trigger_at - timedelta(days=90))
    _, before_edge = donation(trigger_at - timedelta(days=90, seconds=1))
    trigger, _ = donation(trigger_at)
    assert client.post(f"/api/v1/donations/{trigger}/test-result", json={"qualified": False, "reason": "syphilis"},
                       headers=STATION1).status_code == 200
    [recall] = client.get("/api/v1/recalls", headers=ADMIN).get_json()
    assert set(recall["held_unit_ids"]) == set(at_edge.values())
    assert not set(before_edge.values()) & set(recall["held_unit_ids"])


def test_two_hospitals_answering_their_last_lines_at_once_close_the_recall_once(app, client, donate, donor_history,
                                                                                  events):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    _positive(client, donate)
    [recall] = client.get("/api/v1/recalls", headers=ADMIN).get_json()
    by_hospital = {ln["hospital_id"]: ln["id"] for ln in recall["lines"]}
    barrier = threading.Barrier(2)

    def answer(args):
        hospital, headers = args
        barrier.wait()
        return app.test_client().post(f"/api/v1/recalls/{recall['id']}/lines/{by_hospital[hospital]}/answer",
                                      json={"answer": "returned"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(answer, [("SH-H1", HOSPITAL1), ("JS-H1", JS_HOSPITAL)]))
    assert codes == [200, 200]
    assert len(events("RecallClosed")) == 1
    assert client.get(f"/api/v1/recalls/{recall['id']}", headers=ADMIN).get_json()["status"] == "closed"

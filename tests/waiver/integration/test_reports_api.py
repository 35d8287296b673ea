"""Monthly settlement per hospital (JSON and CSV) and statistics by channel."""
import csv
from zoneinfo import ZoneInfo
import io
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import auth
from tests.waiver.builders import ago, claim_body, deduction_body, line, person
from waiver.policy import shanghai_day

HOSPITAL = auth("hospital", site_id="H1", region="SH")
REVIEWER = auth("reviewer", region="SH")
DEDUCT = "/api/v1/waiver/direct-deductions"


def _month(at: datetime) -> str:
    return shanghai_day(at).strftime("%Y-%m")


@pytest.fixture
def cross_region_deduction(client, ledger):
    """A Shanghai hospital waives blood for a donor who gave in Shanghai (200 ml) and in Jiangsu (400 ml)."""
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, region="SH", volume_ml=200, collected_at=ago(days=40))   # 1000 ml
    ledger.donation(donor_id, nid, region="JS", volume_ml=400, collected_at=ago(days=20))   # 1200 ml
    body = deduction_body(nid, [line(units=6, amount="1320.00")])                              # 1200 ml
    d = client.post(DEDUCT, json=body, headers={**HOSPITAL, "Idempotency-Key": "x"}).get_json()
    assert d["waived_yuan"] == "1320.00"
    return d


def test_settlement_lists_the_months_deductions_and_who_owes_them(client, cross_region_deduction, clock):
    month = _month(clock())
    report = client.get(f"/api/v1/waiver/settlements?hospital_id=H1&month={month}", headers=HOSPITAL).get_json()
    assert (report["hospital_id"], report["month"], report["count"], report["waived_yuan"]) == \
        ("H1", month, 1, "1320.00")
    pools = {p["region"]: p for p in report["deductions"][0]["pools"]}
    assert pools["SH"]["ml"] == 1000 and pools["SH"]["yuan"] == "1100.00" and not pools["SH"]["cross_region"]
    assert pools["JS"]["ml"] == 200 and pools["JS"]["yuan"] == "220.00" and pools["JS"]["owed_by_region"] == "JS"
    assert pools["JS"]["cross_region"] is True
    assert report["owed_by_region"] == [{"region": "JS", "yuan": "220.00"}, {"region": "SH", "yuan": "1100.00"}]
    # api.md's shape: whom the hospital bills for what, by the region whose pool paid
    assert report["by_payer_region"] == {"JS": {"count": 1, "yuan": "220.00"}, "SH": {"count": 1, "yuan": "1100.00"}}


def test_a_reversal_in_a_later_month_is_subtracted_in_that_month(client, cross_region_deduction, clock):
    applied_month = _month(clock())
    clock.at = datetime.now(timezone.utc) + timedelta(days=40)
    client.post(f"{DEDUCT}/{cross_region_deduction['id']}/reverse", json={"reason": "重复结算"}, headers=HOSPITAL)
    later = client.get(f"/api/v1/waiver/settlements?hospital_id=H1&month={_month(clock())}", headers=HOSPITAL).get_json()
    assert later["waived_yuan"] == "-1320.00" and later["deductions"][0]["event"] == "reversed"
    assert later["by_payer_region"] == {"JS": {"count": 1, "yuan": "-220.00"}, "SH": {"count": 1, "yuan": "-1100.00"}}
    first = client.get(f"/api/v1/waiver/settlements?hospital_id=H1&month={applied_month}", headers=HOSPITAL).get_json()
    assert first["waived_yuan"] == "1320.00"


def test_settlement_as_csv_by_accept_header_or_format(client, cross_region_deduction, clock):
    url = f"/api/v1/waiver/settlements?hospital_id=H1&month={_month(clock())}"
    for resp in (client.get(url, headers={**HOSPITAL, "Accept": "text/csv"}),
                 client.get(url + "&format=csv", headers=HOSPITAL)):
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        raw = resp.get_data()
        assert raw.startswith(b"\xef\xbb\xbf")                       # UTF-8 with BOM: Excel reads it as UTF-8
        header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert header[0] == "减免单号 (deduction_id)" and header[2] == "时间（北京时间） (at)"
        codes = [cell.rsplit("(", 1)[1].rstrip(")") for cell in header]
        rows = [dict(zip(codes, row)) for row in rows]
        assert {(r["pool_region"], r["owed_by_region"], r["cross_region"], r["yuan"]) for r in rows[:-1]} == \
            {("SH", "SH", "否", "1100.00"), ("JS", "JS", "是", "220.00")}
        beijing = clock().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H")
        assert all(r["at"].startswith(beijing) and r["event"] == "减免 (applied)" for r in rows[:-1])
        assert rows[-1]["deduction_id"] == "合计" and rows[-1]["yuan"] == "1320.00"


def test_settlement_access(client, cross_region_deduction, clock):
    month = _month(clock())
    url = f"/api/v1/waiver/settlements?hospital_id=H1&month={month}"
    other = client.get(url, headers=auth("hospital", site_id="H2", region="SH"))
    assert other.status_code == 403 and other.get_json()["code"] == "other_hospital"
    assert client.get(url, headers=REVIEWER).get_json()["count"] == 1
    assert client.get(url, headers=auth("reviewer", region="ZJ")).get_json()["count"] == 0
    assert client.get(url, headers=auth("admin")).get_json()["count"] == 1
    assert client.get(url, headers=auth("donor", donor_id="d")).status_code == 403
    assert client.get(f"/api/v1/waiver/settlements?hospital_id=H1&month=2026-13", headers=HOSPITAL).status_code == 422
    assert client.get("/api/v1/waiver/settlements?month=2026-01", headers=HOSPITAL).status_code == 422


def _scenario_start() -> datetime:
    """Noon (Shanghai) on the 10th of last month: the whole week-long scenario falls in one month, whatever today is."""
    today = shanghai_day(datetime.now(timezone.utc))
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    return datetime(last_month.year, last_month.month, 10, 4, 0, tzinfo=timezone.utc)


def test_stats_by_channel_zero_trip_share_and_days_to_pay(client, ledger, clock):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=90))
    me = auth("donor", donor_id=donor_id)
    start = _scenario_start()
    used = (datetime.now(timezone.utc) - start).days + 1            # blood used the day before the scenario
    clock.at = start
    client.post(DEDUCT, json=deduction_body(nid, [line(amount="100.00", units=1, days_ago=used)]),
                headers={**HOSPITAL, "Idempotency-Key": "s1"})
    for i, (channel, headers) in enumerate((("mini_program", me), ("mail", REVIEWER), ("on_site", REVIEWER))):
        claim = client.post("/api/v1/waiver/claims", json=claim_body(nid, channel=channel,
                                                                    lines=[line(amount="10.00", units=1, days_ago=used)]),
                            headers=headers).get_json()
        for kind in ("id_card", "donation_certificate", "invoice"):
            client.post(f"/api/v1/waiver/claims/{claim['id']}/documents", headers=headers, content_type="multipart/form-data",
                        data={"kind": kind, "file": (io.BytesIO(b"%PDF-1"), "a.pdf")})
        clock.at = start
        assert client.post(f"/api/v1/waiver/claims/{claim['id']}/submit", headers=headers).status_code == 200
        clock.at = start + timedelta(days=1)
        assert client.post(f"/api/v1/waiver/claims/{claim['id']}/approve", headers=REVIEWER).status_code == 200
        if channel != "on_site":
            clock.at = start + timedelta(days=2 + 2 * i)          # 2 and 4 days after submission
            assert client.post(f"/api/v1/waiver/claims/{claim['id']}/pay", json={"payment_ref": f"R{i}"},
                               headers=REVIEWER).status_code == 200
        clock.at = start
    clock.at = None
    month = _month(start)
    stats = client.get(f"/api/v1/waiver/stats?month={month}", headers=REVIEWER).get_json()
    assert stats["by_channel"] == {"direct": {"count": 1, "yuan": "100.00"},
                                   "mini_program": {"count": 1, "yuan": "10.00"},
                                   "mail": {"count": 1, "yuan": "10.00"}, "on_site": {"count": 1, "yuan": "10.00"}}
    assert stats["zero_trip_share"] == 0.75 and stats["median_days_to_pay"] == 3.0
    assert client.get(f"/api/v1/waiver/stats?month={month}&region=SH", headers=auth("admin")).get_json() == stats
    elsewhere = client.get(f"/api/v1/waiver/stats?month={month}", headers=auth("reviewer", region="JS")).get_json()
    assert elsewhere["zero_trip_share"] is None and elsewhere["by_channel"]["direct"]["count"] == 0
    assert client.get(f"/api/v1/waiver/stats?month={month}&region=SH",
                      headers=auth("reviewer", region="JS")).status_code == 403
    assert client.get(f"/api/v1/waiver/stats?month={month}", headers=HOSPITAL).status_code == 403


def test_a_mail_claims_days_to_pay_count_from_the_day_the_office_received_it(client, ledger, clock):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=90))
    start = _scenario_start()                                       # 12:00 in Shanghai
    used = (datetime.now(timezone.utc) - start).days + 1
    received = (shanghai_day(start) - timedelta(days=2)).isoformat()    # posted papers waited 2.5 days to be entered
    for channel, extra, paid_after in (("mail", {"received_on": received}, 2), ("on_site", {}, 1)):
        clock.at = start
        claim = client.post("/api/v1/waiver/claims", headers=REVIEWER, json=claim_body(
            nid, channel=channel, lines=[line(amount="10.00", units=1, days_ago=used)], **extra)).get_json()
        for kind in ("id_card", "donation_certificate", "invoice"):
            client.post(f"/api/v1/waiver/claims/{claim['id']}/documents", headers=REVIEWER,
                        content_type="multipart/form-data", data={"kind": kind, "file": (io.BytesIO(b"%PDF-1"), "a.pdf")})
        assert client.post(f"/api/v1/waiver/claims/{claim['id']}/submit", headers=REVIEWER).status_code == 200
        assert client.post(f"/api/v1/waiver/claims/{claim['id']}/approve", headers=REVIEWER).status_code == 200
        clock.at = start + timedelta(days=paid_after)
        assert client.post(f"/api/v1/waiver/claims/{claim['id']}/pay", json={"payment_ref": channel},
                           headers=REVIEWER).status_code == 200
    clock.at = start
    stats = client.get(f"/api/v1/waiver/stats?month={_month(start)}", headers=REVIEWER).get_json()
    assert stats["median_days_to_pay"] == (4.5 + 1.0) / 2          # mail 2.5 + 2 days, on-site 1 day


def test_impossible_months_are_422_not_a_crash(client):
    from tests.helpers import auth

    for path in ("/api/v1/waiver/settlements?hospital_id=H1&month=0000-01", "/api/v1/waiver/stats?month=0000-01"):
        resp = client.get(path, headers=auth("reviewer", region="SH"))
        assert resp.status_code == 422 and resp.mimetype == "application/problem+json", resp.get_data(as_text=True)

"""The waiver statistics of a run of months (GET /waiver/stats/monthly): for every month the same numbers as the
per-month GET /waiver/stats, on seeded deductions and claims spread over months, regions, channels and statuses,
with times on both sides of Shanghai's month boundaries."""
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import auth
from waiver import orm
from waiver.policy import SHANGHAI

REVIEWER_SH = auth("reviewer", region="SH")
ADMIN = auth("admin")
URL = "/api/v1/waiver/stats/monthly"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
# 16:00 UTC on the last day of a month is 00:00 of the next in Shanghai: rows within an hour either side of it.
BOUNDARIES = [datetime(2026, m, 1, 16, 0, tzinfo=timezone.utc) - timedelta(days=1) for m in range(2, 7)]


def _moment(rng: random.Random) -> datetime:
    if rng.random() < 0.3:
        return rng.choice(BOUNDARIES) + timedelta(seconds=rng.randint(-3600, 3600), microseconds=rng.randint(0, 999999))
    start = datetime(2025, 12, 20, tzinfo=timezone.utc)           # some before the first month and after the last
    return start + timedelta(seconds=rng.randint(0, 200 * 86400), microseconds=rng.randint(0, 999999))


def _cents(rng: random.Random) -> str:
    return f"{rng.randint(0, 200000) / 100:.2f}"


def _deduction(rng):
    applied = _moment(rng)
    status = rng.choice(["applied", "applied", "applied", "reversed"])
    return dict(id=str(uuid.uuid4()), hospital_id=rng.choice(["H1", "H2", "H9"]),
                hospital_region=rng.choice(["SH", "SH", "JS", None]), patient_blind=uuid.uuid4().hex,
                patient_masked="310***********1234", patient_name="王五", admission_no=uuid.uuid4().hex[:8],
                relation="self", relation_attested=False, status=status, total_yuan="2000.00",
                waived_yuan=rng.choice(["0.00", _cents(rng), _cents(rng)]), lines=[], pools_used=[],
                applied_at=applied, reversed_at=applied + timedelta(days=3) if status == "reversed" else None,
                relative_conditions_attested=False)


def _claim(rng):
    created = _moment(rng)
    submitted = None if rng.random() < 0.1 else created + timedelta(minutes=rng.randint(0, 600))
    decided = (submitted or created) + timedelta(seconds=rng.randint(0, 20 * 86400), microseconds=rng.randint(0, 999999))
    paid = decided + timedelta(seconds=rng.randint(0, 15 * 86400), microseconds=rng.randint(0, 999999))
    status = rng.choice(["draft", "submitted", "approved", "rejected", "paid", "paid"])
    channel = rng.choice(["mini_program", "mail", "on_site"])
    # Most mail claims record the day the post came (Shanghai), up to 6 days before they were entered: they wait
    # from that day's start, which can move them past other claims in the month's ranking.
    received_on = ((submitted - timedelta(days=rng.randint(0, 6))).astimezone(SHANGHAI).date()
                   if channel == "mail" and submitted and rng.random() < 0.8 else None)
    return dict(id=str(uuid.uuid4()), channel=channel, received_on=received_on, status=status,
                region=rng.choice(["SH", "JS"]), handling_region=rng.choice(["SH", "JS", "ZJ", None]),
                donor_id=str(uuid.uuid4()), relation="self", patient_blind=uuid.uuid4().hex,
                patient_masked="310***********1234", patient_name="王五", hospital_name="外省人民医院",
                invoice_no=uuid.uuid4().hex[:8], lines=[], bank_account_name="王五", bank_account_no_encrypted="x",
                bank_account_no_masked="6222***3445", bank_name="工商银行", total_yuan="1000.00",
                approved_yuan=(None if rng.random() < 0.2 else _cents(rng)) if status in ("approved", "paid") else None,
                created_by="seed", created_at=created, submitted_at=submitted,
                decided_at=decided if status in ("approved", "rejected", "paid") else None,
                paid_at=paid if status == "paid" else None, relative_conditions_attested=False)


@pytest.fixture
def seeded(session_factory):
    rng = random.Random(20)
    deductions = [_deduction(rng) for _ in range(300)]
    claims = [_claim(rng) for _ in range(400)]
    # Two payments of one month whose waits differ by a microsecond: the ranking must not take them as equal.
    base = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
    for extra_us in (0, 1):
        twin = _claim(rng)
        twin.update(status="paid", channel="mail", region="SH", handling_region="SH", approved_yuan="10.00",
                    submitted_at=base, decided_at=base + timedelta(days=1),
                    paid_at=base + timedelta(days=2, microseconds=extra_us))
        claims.append(twin)
    with session_factory() as s:
        s.execute(orm.deductions.insert(), deductions)
        s.execute(orm.claims.insert(), claims)
        s.commit()
    return {"deductions": deductions, "claims": claims}


def _per_month(client, headers, region=None):
    extra = f"&region={region}" if region else ""
    out = []
    for month in MONTHS:
        resp = client.get(f"/api/v1/waiver/stats?month={month}{extra}", headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        out.append(resp.get_json())
    return out


@pytest.mark.parametrize("who,region", [(ADMIN, None), (ADMIN, "SH"), (ADMIN, "JS"), (REVIEWER_SH, None)])
def test_each_month_of_the_series_is_the_per_month_stats(client, seeded, who, region):
    extra = f"&region={region}" if region else ""
    resp = client.get(f"{URL}?from={MONTHS[0]}&to={MONTHS[-1]}{extra}", headers=who)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    series = resp.get_json()
    assert [m["month"] for m in series] == MONTHS
    assert series == _per_month(client, who, region)
    # the seed is rich enough for the comparison to mean something: every channel and both medians occur
    assert all(m["by_channel"][c]["count"] > 0 for m in series for c in ("direct", "mini_program", "mail", "on_site"))
    assert all(m["median_days_to_pay"] is not None and 0 < m["zero_trip_share"] < 1 for m in series)


def test_a_month_with_nothing_is_zeros_and_no_shares(client, seeded):
    series = client.get(f"{URL}?from=2024-11&to=2025-01", headers=ADMIN).get_json()
    assert [m["month"] for m in series] == ["2024-11", "2024-12", "2025-01"]          # across a new year
    assert all(m["zero_trip_share"] is None and m["median_days_to_pay"] is None for m in series)
    assert all(f == {"count": 0, "yuan": "0.00"} for m in series for f in m["by_channel"].values())


def test_the_median_is_of_the_months_waits_in_days(client, session_factory):
    """Three claims paid in March 2026 (Shanghai) after 1, 2 and 10 days, one paid 00:30 on 1 April Shanghai time
    (16:30 UTC on 31 March) after 4 days: March's median is 2, April's 4."""
    rng = random.Random(1)
    rows = []
    for days, paid in ((1, datetime(2026, 3, 5, tzinfo=timezone.utc)), (10, datetime(2026, 3, 20, tzinfo=timezone.utc)),
                       (2, datetime(2026, 3, 31, 15, 59, tzinfo=timezone.utc)),
                       (4, datetime(2026, 3, 31, 16, 30, tzinfo=timezone.utc))):
        row = _claim(rng)
        row.update(status="paid", channel="mail", region="SH", handling_region="SH", approved_yuan="20.00",
                   submitted_at=paid - timedelta(days=days), decided_at=paid - timedelta(hours=1), paid_at=paid)
        rows.append(row)
    with session_factory() as s:
        s.execute(orm.claims.insert(), rows)
        s.commit()
    march, april = client.get(f"{URL}?from=2026-03&to=2026-04", headers=REVIEWER_SH).get_json()
    assert (march["median_days_to_pay"], april["median_days_to_pay"]) == (2.0, 4.0)
    assert (march["by_channel"]["mail"], april["by_channel"]["mail"]) == \
        ({"count": 4, "yuan": "80.00"}, {"count": 0, "yuan": "0.00"})   # all four approved in March
    assert march["zero_trip_share"] == 1.0 and march["region"] == "SH"


@pytest.mark.parametrize("query", ["from=2026-01", "to=2026-01", "from=2026-13&to=2027-01", "from=2026-1&to=2026-02",
                                   "from=2026-05&to=2026-04", "from=2024-01&to=2026-01", "from=1999-01&to=1999-02",
                                   "from=2026-01&to=2026-02&region=sh", f"from=2026-01&to={'9' * 300}"])
def test_bad_ranges_are_422_problems(client, query):
    resp = client.get(f"{URL}?{query}", headers=ADMIN)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
    assert resp.get_json()["errors"]


def test_twenty_four_months_is_the_limit(client):
    assert client.get(f"{URL}?from=2024-01&to=2025-12", headers=ADMIN).status_code == 200
    too_long = client.get(f"{URL}?from=2024-01&to=2026-01", headers=ADMIN)
    assert too_long.status_code == 422 and "to" in too_long.get_json()["errors"]


def test_only_reviewers_of_the_region_and_admins(client, seeded):
    query = f"{URL}?from=2026-01&to=2026-02"
    for headers in (auth("hospital", site_id="H1", region="SH"), auth("station", site_id="S1", region="SH"),
                    auth("donor", donor_id="d1")):
        resp = client.get(query, headers=headers)
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    other = client.get(f"{query}&region=JS", headers=REVIEWER_SH)
    assert other.status_code == 403 and other.get_json()["code"] == "other_region"
    assert client.get(query).status_code == 401
    assert client.get(f"{query}&region=SH", headers=REVIEWER_SH).get_json() == \
        client.get(query, headers=REVIEWER_SH).get_json()


def test_two_years_take_three_queries_not_one_per_month(client, seeded):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    selects = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and ("deductions" in statement or "claims" in statement):
            selects.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        resp = client.get(f"{URL}?from=2025-01&to=2026-12", headers=ADMIN)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert resp.status_code == 200 and len(resp.get_json()) == 24
    assert len(selects) == 3 and all("GROUP BY" in s or "OVER" in s for s in selects)

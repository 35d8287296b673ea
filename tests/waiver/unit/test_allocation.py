"""Paying lines from pools: order, pro rata, at most the line's amount, reasons."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from waiver.allocation import DonationFact, LineRequest, PoolAccount, allocate
from waiver.policy import Policy, PolicyBook
from waiver.policy_data import DEFAULTS

BOOK = PolicyBook([Policy.from_dict(d) for d in DEFAULTS])
T0 = datetime(2026, 1, 10, 4, tzinfo=timezone.utc)
USE = T0 + timedelta(days=30)


def account(pool_id, region="SH", ml=200, relation="self", kind="self", used_ml=0, used_yuan="0.00", **donation):
    facts = [DonationFact(pool_id, region, donation.get("kind", "whole_blood"), ml, donation.get("doses"),
                          donation.get("rhd", "pos"), T0)]
    return PoolAccount(pool_id=pool_id, donor_id="d1", donor_masked="310***********1234", kind=kind, region=region,
                       relation=relation, used_ml=used_ml, used_yuan=Decimal(used_yuan), book=BOOK, donations=facts)


def req(i=0, amount="440.00", units=2, component="red_cells", volume=400, at=USE, already=False):
    return LineRequest(index=i, key=f"k{i}", component=component, volume_ml=volume, amount_yuan=Decimal(amount),
                       transfused_at=at, units=Decimal(units) if units is not None else None, already_waived=already)


def test_a_line_within_quota_is_waived_whole():
    result = allocate([req()], [account("p")])
    assert result.lines[0].waived_yuan == Decimal("440.00") and result.lines[0].waived_ml == 400
    assert [(t.pool_id, t.ml, t.yuan) for t in result.takes] == [("p", 400, Decimal("440.00"))]


def test_pro_rata_rounds_down_to_the_fen_and_never_exceeds_the_line():
    pool = account("p", used_ml=1000 - 333)                  # 333 ml left of 1000
    result = allocate([req(amount="100.00", units=5)], [pool])  # 1000 ml line
    assert result.lines[0].waived_ml == 333 and result.lines[0].waived_yuan == Decimal("33.30")
    assert result.lines[0].reason == "quota_exhausted" and pool.used_ml == 1000


def test_a_second_pool_finishes_a_line_and_the_total_is_exactly_the_amount():
    a, b = account("a", used_ml=1000 - 100), account("b", region="JS", ml=200)   # 100 ml + 600 ml
    result = allocate([req(amount="100.01", units=1)], [a, b])                   # 200 ml line
    assert [t.ml for t in result.takes] == [100, 100]
    assert sum(t.yuan for t in result.takes) == Decimal("100.01") == result.lines[0].waived_yuan


def test_a_money_pool_pays_yuan_directly():
    pool = account("ah", region="AH", ml=200)                  # CNY 220
    first = allocate([req(amount="150.00")], [pool])
    second = allocate([req(i=1, amount="150.00")], [pool])
    assert first.lines[0].waived_yuan == Decimal("150.00")
    assert second.lines[0].waived_yuan == Decimal("70.00") and pool.used_yuan == Decimal("220.00")


def test_an_unlimited_pool_covers_any_line():
    pool = account("zj", region="ZJ", ml=400)                   # 400 ml in Zhejiang: free for life
    result = allocate([req(amount="99999.00", units=50)], [pool])
    assert result.lines[0].waived_yuan == Decimal("99999.00") and result.lines[0].reason is None


def test_earlier_uses_are_paid_first_whatever_the_order_of_lines():
    pool = account("p", ml=200)                                 # 1000 ml
    late, early = req(0, amount="1000.00", units=5, at=USE + timedelta(days=1)), req(1, amount="1000.00", units=5)
    result = allocate([late, early], [pool])
    assert result.lines[1].waived_yuan == Decimal("1000.00") and result.lines[0].waived_yuan == 0


def test_reasons_explain_a_zero():
    assert allocate([req(already=True)], [account("p")]).lines[0].reason == "already_waived"
    assert allocate([req()], []).lines[0].reason == "not_a_donor"
    assert allocate([req()], [account("p", relation="sibling", kind="family")]).lines[0].reason == \
        "relation_out_of_scope"
    assert allocate([req(at=T0 - timedelta(days=1))], [account("p")]).lines[0].reason == "donation_after_use"
    assert allocate([req(at=T0 - timedelta(hours=1))], [account("p")]).lines[0].reason is None   # same day
    assert allocate([req()], [account("p", used_ml=1000)]).lines[0].reason == "quota_exhausted"


def test_family_pools_use_the_relatives_multiple():
    pool = account("f", region="ZJ", ml=200, relation="spouse", kind="family")   # 2× within 5 years
    assert allocate([req(amount="800.00", units=2)], [pool]).lines[0].waived_yuan == Decimal("800.00")
    assert pool.used_ml == 400
    assert pool.quota(USE).window_ends == date(2031, 1, 9)

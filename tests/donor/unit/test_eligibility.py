"""GB 18467 eligibility, each rule at its boundary (Shanghai defaults from donor.policy)."""
from datetime import date, timedelta

import pytest

from donor.eligibility import PastDonation, Vitals, assess
from donor.policy import SHANGHAI

BIRTH = date(1990, 6, 15)
OK_VITALS = {"M": Vitals(140, 70, 120, 80), "F": Vitals(130, 55, 115, 75)}


def check(on, *, kind="whole_blood", birth=BIRTH, sex="M", history=(), vitals=None, **kw):
    return assess(kind=kind, on=on, birth_date=birth, sex=sex, history=list(history), rules=SHANGHAI,
                  vitals=vitals or OK_VITALS[sex], **kw)


def test_the_day_before_the_18th_birthday_is_too_young_and_the_birthday_itself_is_fine():
    birth = date(2008, 3, 10)
    before = check(date(2026, 3, 9), birth=birth)
    assert before.reasons == ("age",) and before.next_eligible_at == date(2026, 3, 10)
    assert check(date(2026, 3, 10), birth=birth).eligible


@pytest.mark.parametrize("repeat,age,eligible", [
    (False, 55, True), (False, 56, False),          # first-time donors: up to 55
    (True, 56, True), (True, 60, True), (True, 61, False),   # repeat donors: up to 60
])
def test_upper_age_depends_on_being_a_repeat_donor(repeat, age, eligible):
    on = date(BIRTH.year + age, BIRTH.month, BIRTH.day)          # the birthday of that age
    history = [PastDonation("whole_blood", on - timedelta(days=400))] if repeat else []
    verdict = check(on, history=history)
    assert verdict.eligible is eligible
    if not eligible:
        assert verdict.reasons == ("age",) and verdict.next_eligible_at is None


def test_the_last_day_of_age_55_is_still_allowed_for_a_first_time_donor():
    assert check(date(BIRTH.year + 56, BIRTH.month, BIRTH.day) - timedelta(days=1)).eligible


def test_a_donation_recorded_later_for_an_earlier_date_does_not_make_a_repeat_donor():
    on = date(BIRTH.year + 57, 1, 1)               # 56: too old for a first donation
    later_only = [PastDonation("whole_blood", on + timedelta(days=400))]
    assert check(on, history=later_only).reasons == ("age",)


def test_an_adverse_reaction_keeps_the_first_time_limit():
    on = date(BIRTH.year + 57, 1, 1)
    smooth = [PastDonation("whole_blood", on - timedelta(days=800)), PastDonation("whole_blood", on - timedelta(days=400))]
    assert check(on, history=smooth).eligible
    reacted = [smooth[0], PastDonation("whole_blood", on - timedelta(days=400), adverse_reaction=True)]
    verdict = check(on, history=reacted)
    assert verdict.reasons == ("age",) and verdict.next_eligible_at is None


@pytest.mark.parametrize("previous,following,days", [
    ("whole_blood", "whole_blood", 180), ("platelets", "platelets", 14),
    ("platelets", "whole_blood", 28), ("whole_blood", "platelets", 90),
])
def test_each_interval_at_n_minus_one_and_n_days(previous, following, days):
    on = date(2026, 11, 1)
    early = check(on, kind=following, history=[PastDonation(previous, on - timedelta(days=days - 1))])
    assert early.reasons == ("interval",) and early.next_eligible_at == on + timedelta(days=1)
    assert check(on, kind=following, history=[PastDonation(previous, on - timedelta(days=days))]).eligible


def test_a_backdated_donation_must_leave_the_interval_before_a_later_one():
    later = PastDonation("whole_blood", date(2026, 6, 1))
    assert check(date(2026, 3, 1), history=[later]).reasons == ("interval",)
    assert check(date(2025, 12, 1), history=[later]).eligible


@pytest.mark.parametrize("sex,hb_low,hb_ok,weight_low,weight_ok", [("M", 119, 120, 49.9, 50), ("F", 114, 115, 44.9, 45)])
def test_hemoglobin_and_weight_thresholds_by_sex(sex, hb_low, hb_ok, weight_low, weight_ok):
    on = date(2026, 11, 1)
    assert check(on, sex=sex, vitals=Vitals(hb_low, 70, 120, 80)).reasons == ("hemoglobin",)
    assert check(on, sex=sex, vitals=Vitals(hb_ok, 70, 120, 80)).eligible
    assert check(on, sex=sex, vitals=Vitals(140, weight_low, 120, 80)).reasons == ("weight",)
    assert check(on, sex=sex, vitals=Vitals(140, weight_ok, 120, 80)).eligible


@pytest.mark.parametrize("systolic,diastolic,ok", [(89, 60, False), (90, 60, True), (139, 89, True), (140, 80, False),
                                                   (120, 59, False), (120, 90, False), (100, 71, False), (100, 70, True)])
def test_blood_pressure_ranges_and_pulse_pressure(systolic, diastolic, ok):
    assert check(date(2026, 11, 1), vitals=Vitals(140, 70, systolic, diastolic)).eligible is ok


def test_the_25th_platelet_donation_in_a_calendar_year_is_refused():
    on = date(2026, 12, 20)
    history = [PastDonation("platelets", date(2026, 1, 1) + timedelta(days=14 * i)) for i in range(24)]
    verdict = check(on, kind="platelets", history=history)
    assert "annual_limit" in verdict.reasons and verdict.next_eligible_at == date(2027, 1, 1)
    assert check(on, kind="platelets", history=history[:23]).eligible


def test_every_failing_reason_is_named_at_once_with_the_latest_clearing_date():
    on = date(2026, 11, 1)
    verdict = check(on, history=[PastDonation("whole_blood", on - timedelta(days=100))], vitals=Vitals(100, 40, 150, 95),
                    deferred_until=on + timedelta(days=200))
    assert set(verdict.reasons) == {"interval", "deferred", "hemoglobin", "weight", "blood_pressure"}
    assert verdict.next_eligible_at == on + timedelta(days=200)


def test_a_permanent_deferral_has_no_next_date():
    verdict = check(date(2026, 11, 1), permanently_deferred=True)
    assert verdict.reasons == ("deferred",) and verdict.next_eligible_at is None

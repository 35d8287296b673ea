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


@pytest.mark.parametrize("previous,following,donated,first_day", [
    ("whole_blood", "whole_blood", date(2026, 3, 15), date(2026, 9, 15)),       # 6 calendar months (184 days here)
    ("whole_blood", "whole_blood", date(2026, 8, 31), date(2027, 2, 28)),       # month end clamps
    ("whole_blood", "whole_blood", date(2027, 8, 31), date(2028, 2, 29)),       # ... to 29 February in a leap year
    ("whole_blood", "platelets", date(2026, 11, 30), date(2027, 2, 28)),        # 3 months
    ("platelets", "whole_blood", date(2026, 11, 1), date(2026, 11, 29)),        # 4 weeks
    ("platelets", "platelets", date(2026, 12, 25), date(2027, 1, 8)),           # 2 weeks, across the new year
])
def test_each_interval_in_calendar_terms_the_day_before_of_and_after(previous, following, donated, first_day):
    history = [PastDonation(previous, donated)]
    early = check(first_day - timedelta(days=1), kind=following, history=history)
    assert early.reasons == ("interval",) and early.next_eligible_at == first_day
    assert check(first_day, kind=following, history=history).eligible
    assert check(first_day + timedelta(days=1), kind=following, history=history).eligible


def test_180_days_is_not_six_months_a_donor_is_not_let_back_early():
    donated = date(2026, 3, 1)                      # 1 March + 180 days = 28 August, 4 days before 1 September
    verdict = check(donated + timedelta(days=180), history=[PastDonation("whole_blood", donated)])
    assert verdict.reasons == ("interval",) and verdict.next_eligible_at == date(2026, 9, 1)


def test_the_draft_laws_90_days_is_one_line_of_data():
    from dataclasses import replace

    from hemolink.calendar import Span

    draft = replace(SHANGHAI, intervals={**SHANGHAI.intervals, ("whole_blood", "whole_blood"): Span(days=90)})
    history = [PastDonation("whole_blood", date(2026, 3, 1))]
    on = date(2026, 5, 30)                          # 90 days later
    assert assess(kind="whole_blood", on=on, birth_date=BIRTH, sex="M", history=history, rules=draft,
                  vitals=OK_VITALS["M"]).eligible
    assert check(on, history=history).reasons == ("interval",)


@pytest.mark.parametrize("pulse,ok", [(59, False), (60, True), (100, True), (101, False)])
def test_pulse_60_to_100(pulse, ok):
    verdict = check(date(2026, 11, 1), vitals=Vitals(140, 70, 120, 80, pulse=pulse))
    assert verdict.eligible is ok and verdict.reasons == (() if ok else ("pulse",))


@pytest.mark.parametrize("hematocrit,count,reasons", [
    (0.36, 150, ()), (0.359, 150, ("hematocrit",)), (0.4, 149, ("platelet_count",)), (0.4, 449, ()),
    (0.4, 450, ("platelet_count",)), (0.30, 500, ("hematocrit", "platelet_count")),
])
def test_apheresis_needs_hematocrit_from_0_36_and_platelets_from_150_below_450(hematocrit, count, reasons):
    vitals = Vitals(140, 70, 120, 80, pulse=72, hematocrit=hematocrit, platelet_count=count)
    assert check(date(2026, 11, 1), kind="platelets", vitals=vitals).reasons == reasons
    assert check(date(2026, 11, 1), kind="whole_blood", vitals=vitals).eligible    # whole blood ignores both


def test_the_yearly_apheresis_volume_cap_of_10_litres():
    on = date(2026, 12, 1)
    history = [PastDonation("platelets", date(2026, 1, 5) + timedelta(weeks=2 * i), apheresis_ml=500)
               for i in range(19)]                                               # 9,500 ml this year
    assert check(on, kind="platelets", history=history, apheresis_ml=500).eligible           # exactly 10 L
    over = check(on, kind="platelets", history=history, apheresis_ml=501)
    assert over.reasons == ("apheresis_volume",) and over.next_eligible_at == date(2027, 1, 1)
    last_year = [PastDonation(p.kind, p.day.replace(year=2025), apheresis_ml=p.apheresis_ml) for p in history]
    assert check(on, kind="platelets", history=last_year, apheresis_ml=600).eligible


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

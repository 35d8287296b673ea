"""Who may donate what, when (GB 18467 as data in rules.py). Plain Python, no I/O.

`assess` names every failing reason at once, so a station fixes everything in one visit, and the
earliest date the time-bound reasons clear.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hemolink.calendar import add_years

from .policy import EligibilityRules


@dataclass(frozen=True)
class PastDonation:
    kind: str
    day: date                  # collection day in Asia/Shanghai
    adverse_reaction: bool = False
    apheresis_ml: int = 0      # what an apheresis collection took out (0 for whole blood)


@dataclass(frozen=True)
class Vitals:
    hemoglobin_g_l: float | None = None
    weight_kg: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    hematocrit: float | None = None        # a fraction: 0.36
    platelet_count: float | None = None    # x10^9/L


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    reasons: tuple[str, ...]
    next_eligible_at: date | None


def assess(*, kind: str, on: date, birth_date: date, sex: str, history: list[PastDonation], rules: EligibilityRules,
           vitals: Vitals | None = None, deferred_until: date | None = None,
           permanently_deferred: bool = False, apheresis_ml: int = 0) -> Assessment:
    """`apheresis_ml` is what this collection would take out by apheresis (0 for whole blood)."""
    reasons: list[str] = []
    not_before: list[date] = []
    never = False

    adult_on = add_years(birth_date, rules.min_age)
    # A repeat donor (donated before, never with an adverse reaction) may continue to the higher age.
    earlier = [p for p in history if p.day < on]
    repeat = bool(earlier) and not any(p.adverse_reaction for p in history)
    max_age = rules.max_age_repeat if repeat else rules.max_age_first_time
    too_old_on = add_years(birth_date, max_age + 1)       # eligible through the last day of age max_age
    if on < adult_on:
        reasons.append("age")
        not_before.append(adult_on)
    elif on >= too_old_on:
        reasons.append("age")
        never = True

    if permanently_deferred:
        reasons.append("deferred")
        never = True
    elif deferred_until and on < deferred_until:
        reasons.append("deferred")
        not_before.append(deferred_until)

    interval_ok_from, clashes_with_later = on, False
    for past in history:
        if past.day <= on:
            span = rules.intervals.get((past.kind, kind))
            if span is not None and span.after(past.day) > on:
                interval_ok_from = max(interval_ok_from, span.after(past.day))
        else:   # recording a donation dated before one already recorded: it must fit before that one
            span = rules.intervals.get((kind, past.kind))
            clashes_with_later |= span is not None and span.after(on) > past.day
    if interval_ok_from > on or clashes_with_later:
        reasons.append("interval")
        if interval_ok_from > on:
            not_before.append(interval_ok_from)

    if kind == "platelets":
        this_year = [p for p in history if p.kind == "platelets" and p.day.year == on.year]
        if len(this_year) >= rules.platelet_donations_per_year:
            reasons.append("annual_limit")
            not_before.append(date(on.year + 1, 1, 1))
        taken = sum(p.apheresis_ml for p in history if p.day.year == on.year)
        if taken + apheresis_ml > rules.apheresis_ml_per_year:
            reasons.append("apheresis_volume")
            not_before.append(date(on.year + 1, 1, 1))

    if vitals is not None:
        if vitals.hemoglobin_g_l is not None and vitals.hemoglobin_g_l < rules.min_hemoglobin_g_l[sex]:
            reasons.append("hemoglobin")
        if vitals.weight_kg is not None and vitals.weight_kg < rules.min_weight_kg[sex]:
            reasons.append("weight")
        if not _blood_pressure_ok(vitals, rules):
            reasons.append("blood_pressure")
        if vitals.pulse is not None and not rules.pulse_range[0] <= vitals.pulse <= rules.pulse_range[1]:
            reasons.append("pulse")
        if kind == "platelets":
            if vitals.hematocrit is not None and vitals.hematocrit < rules.min_hematocrit:
                reasons.append("hematocrit")
            low, high = rules.platelet_count_range
            if vitals.platelet_count is not None and not low <= vitals.platelet_count < high:
                reasons.append("platelet_count")

    eligible = not reasons
    next_at = None if never else (max(not_before) if not_before else (on if eligible else None))
    return Assessment(eligible, tuple(reasons), next_at)


def _blood_pressure_ok(v: Vitals, rules: EligibilityRules) -> bool:
    if v.systolic is None and v.diastolic is None:
        return True
    lo_s, hi_s = rules.systolic_range
    lo_d, hi_d = rules.diastolic_range
    if v.systolic is not None and not lo_s <= v.systolic < hi_s:
        return False
    if v.diastolic is not None and not lo_d <= v.diastolic < hi_d:
        return False
    if v.systolic is not None and v.diastolic is not None and v.systolic - v.diastolic < rules.min_pulse_pressure:
        return False
    return True

"""Donation rules as data (GB 18467-2011 and the national award scheme), per region, Shanghai default.

Intervals are calendar spans as GB 18467 and the statute write them ("6 months", "4 weeks"), counted on
Asia/Shanghai dates; the draft national law's 90 days for whole blood would be one line:
`("whole_blood", "whole_blood"): Span(days=90)`. Change a region's rules by adding an entry to REGION_RULES.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hemolink.calendar import Span


@dataclass(frozen=True)
class EligibilityRules:
    min_age: int = 18
    max_age_first_time: int = 55
    max_age_repeat: int = 60                     # repeat donors without adverse reactions
    min_weight_kg: dict = field(default_factory=lambda: {"M": 50.0, "F": 45.0})
    min_hemoglobin_g_l: dict = field(default_factory=lambda: {"M": 120.0, "F": 115.0})
    systolic_range: tuple = (90, 140)            # 90 <= systolic < 140 mmHg
    diastolic_range: tuple = (60, 90)            # 60 <= diastolic < 90 mmHg
    min_pulse_pressure: int = 30
    pulse_range: tuple = (60, 100)               # 60 <= pulse <= 100 per minute (50-100 for athletes is a
                                                 # station's judgement, not a rule: docs/domain-reference.md §3)
    min_hematocrit: float = 0.36                 # apheresis only, before collection
    platelet_count_range: tuple = (150, 450)     # apheresis: 150 <= count < 450 (x10^9/L) before collection
    # (previous kind, next kind) -> the minimum span from one collection day to the next (GB 18467, R29)
    intervals: dict = field(default_factory=lambda: {
        ("whole_blood", "whole_blood"): Span(months=6),
        ("platelets", "platelets"): Span(weeks=2),
        ("platelets", "whole_blood"): Span(weeks=4),
        ("whole_blood", "platelets"): Span(months=3),
    })
    platelet_donations_per_year: int = 24        # calendar year, Asia/Shanghai
    apheresis_ml_per_year: int = 10_000          # platelets + plasma collected by apheresis, calendar year (R29)
    # What one platelet dose takes out when the station does not send the collected volume: an assumption
    # [U] (about 250 ml of platelet-rich plasma per dose, the bag volume stations publish), not a sourced rule.
    apheresis_ml_per_dose: int = 250

    def apheresis_ml(self, kind: str, volume_ml: int | None, doses: int | None) -> int:
        """What a collection takes out by apheresis, for the yearly cap (whole blood: 0)."""
        if kind != "platelets":
            return 0
        return volume_ml if volume_ml else (doses or 0) * self.apheresis_ml_per_dose
    whole_blood_volumes_ml: tuple = (200, 300, 400)
    platelet_doses: tuple = (1, 2)
    platelet_dose_ml_equivalent: int = 800       # what one therapeutic dose counts as, in whole-blood ml
    deferral_days_after_failed_test: int = 180   # non-infectious test failures; infectious → permanent
    shortage_call_cooldown_days: int = 14


SHANGHAI = EligibilityRules()

# GB 18467 is national; the provinces differ so far only where noted in docs/domain-reference.md §2 (none of
# it binding yet), so each region starts from the Shanghai defaults. A region's own numbers go here,
# e.g. "ZJ": replace(SHANGHAI, platelet_dose_ml_equivalent=...).
REGION_RULES: dict[str, EligibilityRules] = {"SH": SHANGHAI, "JS": SHANGHAI, "ZJ": SHANGHAI, "AH": SHANGHAI}


def rules_for(region: str | None) -> EligibilityRules:
    return REGION_RULES.get(region or "SH", SHANGHAI)


@dataclass(frozen=True)
class AwardStep:
    level: str
    threshold: float      # award units (see AwardRules.units)


@dataclass(frozen=True)
class AwardRules:
    """全国无偿献血奉献奖 as data: bronze 20, silver 30, gold 40 award units; gold is granted again every
    `gold_every` units (the count restarts from the previous gold, lower awards accumulate); the
    lifetime honour comes with gold number `golds_for_lifetime`."""

    ladder: tuple = (AwardStep("bronze", 20), AwardStep("silver", 30))
    gold_every: float = 40
    golds_for_lifetime: int = 3
    ml_per_unit: int = 200                 # every 200 ml of whole blood counts 1
    units_per_platelet_dose: float = 1     # every therapeutic dose counts 1 (since 2010-01-01)
    # Reaching a level makes the donor ELIGIBLE: the award itself is conferred at the next national commendation.
    commendation_every_years: int = 2
    # Where the data goes beyond what the sources say (docs/domain-reference.md §4):
    unverified: tuple = (
        "a 300 ml whole-blood donation counts 1.5 (every 200 ml = 1, applied pro rata): the sources give only 200 and 400 ml",
        "the 2022 edition's thresholds and counting are taken as the 2009 text's (20/30/40): not verified",
    )

    def units(self, kind: str, volume_ml: int | None, doses: int | None) -> float:
        if kind == "whole_blood":
            return (volume_ml or 0) / self.ml_per_unit
        return (doses or 0) * self.units_per_platelet_dose


NATIONAL_AWARDS = AwardRules()


@dataclass(frozen=True)
class Commendation:
    """A region's own statute commendation for cumulative donation in that region."""
    region: str
    name: str
    min_ml: int                 # cumulative ml donated in the region (platelet doses at the region's equivalent)
    source: str


# Shanghai blood donation regulations Art. 36: individuals with >= 1000 ml cumulative donation are commended [C] R2.
# Other regions' statutes name none we could confirm (docs/domain-reference.md §1).
REGIONAL_COMMENDATIONS: tuple = (
    Commendation("SH", "上海市无偿献血表彰", 1000, "上海市献血条例 第三十六条 [C] R2"),
)

LEVEL_NAMES = {"bronze": "铜奖", "silver": "银奖", "gold": "金奖", "lifetime": "终身荣誉奖"}


@dataclass(frozen=True)
class BookingRules:
    """Appointments at donation points [U: station practice, no source; parameters to set per station]."""
    horizon_days: int = 14          # slots can be booked up to this many days ahead (Asia/Shanghai days)
    nearby_points: int = 20         # how many points a search returns at most, nearest first
    # A shortage call-up invites donors to the places free in the next `call_up_days` days, at most
    # `invitations_per_place` donors per free place (not every donor answers; more would overbook the call).
    call_up_days: int = 3
    invitations_per_place: int = 3
    # The mini-program page a call-up's booking link opens (WeChat mini-program path with its query).
    booking_link: str = "pages/appointments/new?campaign={campaign}&point={point}&kind={kind}"


BOOKING = BookingRules()

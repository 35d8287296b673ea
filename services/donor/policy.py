"""Donation rules as data (GB 18467-2011 and the national award scheme), per region, Shanghai default.

Intervals are configured in days (GB 18467 says "6 months" / "3 months"; we use 180 / 90 days so a
boundary is one unambiguous day). Change a region's rules by adding an entry to REGION_RULES.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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
    # (previous kind, next kind) -> minimum days between the two collections
    interval_days: dict = field(default_factory=lambda: {
        ("whole_blood", "whole_blood"): 180,
        ("platelets", "platelets"): 14,
        ("platelets", "whole_blood"): 28,
        ("whole_blood", "platelets"): 90,
    })
    platelet_donations_per_year: int = 24        # calendar year, Asia/Shanghai
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

    def units(self, kind: str, volume_ml: int | None, doses: int | None) -> float:
        if kind == "whole_blood":
            return (volume_ml or 0) / self.ml_per_unit
        return (doses or 0) * self.units_per_platelet_dose


NATIONAL_AWARDS = AwardRules()

LEVEL_NAMES = {"bronze": "铜奖", "silver": "银奖", "gold": "金奖", "lifetime": "终身荣誉奖"}

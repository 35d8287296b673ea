"""The donation award ladder (policy.AwardRules), and where a donor stands on it. Plain Python."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .policy import LEVEL_NAMES, NATIONAL_AWARDS, REGIONAL_COMMENDATIONS, AwardRules, Commendation


@dataclass(frozen=True)
class NextAward:
    level: str
    remaining: float             # award units still to give


@dataclass(frozen=True)
class EarnedAward:
    """A level reached: the donor is eligible, the award itself is conferred at the next national commendation."""
    level: str
    granted_at: datetime         # when the donor became eligible for the level
    note: str
    status: str = "eligible"


@dataclass(frozen=True)
class CommendationProgress:
    """A region's statute commendation and the ml the donor has given in that region towards it."""
    commendation: Commendation
    total_ml: int

    @property
    def reached(self) -> bool:
        return self.total_ml >= self.commendation.min_ml


@dataclass(frozen=True)
class AwardSummary:
    donation_count: float        # in award units (policy.AwardRules.units), not donations
    awards: list[EarnedAward]
    next: NextAward | None
    commendations: list[CommendationProgress]


def award_units(kind: str, volume_ml: int | None, doses: int | None, rules: AwardRules = NATIONAL_AWARDS) -> float:
    return rules.units(kind, volume_ml, doses)


def earned(units: float, rules: AwardRules = NATIONAL_AWARDS) -> list[tuple[str, int]]:
    """Every (level, cycle) earned at `units`: each ladder step once, gold once per `gold_every`
    units, lifetime once with the `golds_for_lifetime`-th gold. The database keeps each pair unique."""
    out = [(step.level, 1) for step in rules.ladder if units >= step.threshold]
    golds = int(units // rules.gold_every)
    out += [("gold", n) for n in range(1, golds + 1)]
    if golds >= rules.golds_for_lifetime:
        out.append(("lifetime", 1))
    return out


def next_award(units: float, granted: set[tuple[str, int]], rules: AwardRules = NATIONAL_AWARDS) -> NextAward | None:
    if ("lifetime", 1) in granted:
        return None
    for step in rules.ladder:
        if (step.level, 1) not in granted:
            return NextAward(step.level, round(max(step.threshold - units, 0), 1))
    golds = int(units // rules.gold_every)
    level = "lifetime" if golds + 1 >= rules.golds_for_lifetime else "gold"
    return NextAward(level, round((golds + 1) * rules.gold_every - units, 1))


def summarise(donations, granted, rules: AwardRules = NATIONAL_AWARDS) -> AwardSummary:
    """A donor's standing from their donations (model.Donation) and the awards granted them (model.Award)."""
    units = sum(rules.units(d.kind, d.volume_ml, d.doses) for d in donations)
    return AwardSummary(
        donation_count=units,
        awards=[EarnedAward(a.level, a.granted_at, f"具备下一届全国无偿献血表彰（每{rules.commendation_every_years}年一届）"
                                                   f"{LEVEL_NAMES[a.level]}申报资格") for a in granted],
        next=next_award(units, {(a.level, a.cycle) for a in granted}, rules),
        commendations=[CommendationProgress(c, sum(d.counts_as_ml for d in donations if d.region == c.region))
                       for c in REGIONAL_COMMENDATIONS])

"""The donation award ladder (policy.AwardRules). Plain Python."""
from __future__ import annotations

from .policy import NATIONAL_AWARDS, AwardRules


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


def next_award(units: float, granted: set[tuple[str, int]], rules: AwardRules = NATIONAL_AWARDS) -> dict | None:
    if ("lifetime", 1) in granted:
        return None
    for step in rules.ladder:
        if (step.level, 1) not in granted:
            return {"level": step.level, "remaining": round(max(step.threshold - units, 0), 1)}
    golds = int(units // rules.gold_every)
    level = "lifetime" if golds + 1 >= rules.golds_for_lifetime else "gold"
    return {"level": level, "remaining": round((golds + 1) * rules.gold_every - units, 1)}
